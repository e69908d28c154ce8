"""The emulated workspace's MLflow tracking server: what starting it on demand costs.

Measured per round, in the same run:
- baseline: a fresh interpreter that only does `import mlflow` (the floor of any MLflow server);
- `mlflow server`: MLflow's own CLI on a fresh store, until `/health` answers and a first store call
  (experiments/search) succeeds;
- ours, new workspace: the first MLflow request to a freshly started emulated workspace (the child
  starts from the cached database template), until it is answered;
- ours, new workspace without the template (MLflow's migrations run);
- the emulator's own start, which does not wait for any of this.

    uv run --frozen python bench/mlflow_tracking_bench.py [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ENV = {**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "true", "MLFLOW_MODEL_CATALOG_URI": ""}


def _import_mlflow() -> float:
    t = time.perf_counter()
    subprocess.run([sys.executable, "-W", "ignore", "-c", "import mlflow"], check=True, env=ENV)
    return time.perf_counter() - t


def _mlflow_cli(folder: Path) -> float:
    from agent_lib.emulator.core.net import listen_loopback

    sock = listen_loopback()
    port = sock.getsockname()[1]
    sock.close()
    t = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "mlflow", "server", "--host", "127.0.0.1", "--port",
                             str(port), "--workers", "1", "--backend-store-uri",
                             f"sqlite:///{folder / 'cli.db'}", "--default-artifact-root",
                             str(folder / "cli-artifacts")],
                            env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        while True:
            try:
                r = httpx.post(f"http://127.0.0.1:{port}/api/2.0/mlflow/experiments/search",
                               json={"max_results": 1}, timeout=60)
                if r.status_code == 200:
                    return time.perf_counter() - t
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
    finally:
        os.killpg(proc.pid, 15)
        proc.wait(timeout=30)


def _ours(use_template: bool) -> tuple[float, float]:
    from agent_lib.emulator import start
    from agent_lib.emulator.mlflow_tracking import process

    template = process.template_path()
    hidden = template.with_suffix(".bench-hidden")
    if not use_template and template.exists():
        template.rename(hidden)
    try:
        t = time.perf_counter()
        ws = start(None)
        started = time.perf_counter() - t
        t = time.perf_counter()
        r = httpx.post(f"{ws.host}/api/2.0/mlflow/experiments/search", json={"max_results": 1},
                       headers={"Authorization": f"Bearer {ws.token}"}, timeout=300)
        first = time.perf_counter() - t
        assert r.status_code == 200, r.text
        ws.stop()
        return started, first
    finally:
        if hidden.exists():
            hidden.replace(template)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    _ours(True)  # makes the template once, as the first run on a machine does
    rows: dict[str, list[float]] = {k: [] for k in ("import", "cli", "emulator", "ours", "ours_fresh")}
    for _ in range(args.rounds):
        folder = Path(tempfile.mkdtemp())
        try:
            rows["import"].append(_import_mlflow())
            rows["cli"].append(_mlflow_cli(folder))
            emulator_start, first = _ours(True)
            rows["emulator"].append(emulator_start)
            rows["ours"].append(first)
            rows["ours_fresh"].append(_ours(False)[1])
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    med = {k: statistics.median(v) for k, v in rows.items()}
    with open("/proc/loadavg") as f:
        load = f.read().split()[0]
    print(f"rounds={args.rounds}  load average={load}")
    print(f"baseline `import mlflow` in a new interpreter: {med['import']:.2f} s")
    print(f"`mlflow server` to first answered store call:  {med['cli']:.2f} s  "
          f"({med['cli'] / med['import']:.2f}x baseline)")
    print(f"emulated workspace, first MLflow request:      {med['ours']:.2f} s  "
          f"({med['ours'] / med['import']:.2f}x baseline, {med['ours'] / med['cli']:.2f}x mlflow server)")
    print(f"  ... without the database template:           {med['ours_fresh']:.2f} s  "
          f"({med['ours_fresh'] / med['import']:.2f}x baseline)")
    print(f"emulator start (does not wait for MLflow):     {med['emulator']:.3f} s")


if __name__ == "__main__":
    main()
