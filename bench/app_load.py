"""Load: 50 concurrent streaming clients for 30 s against the agent App as it really runs.

Targets (issue 13): zero errors; p50 and p99 latency reported (first byte and whole answer); the
App's peak memory (RSS) <= 1 GiB.

How it runs, as a user's deployment does: the emulated workspace in its own process (`agent-lib
emulator`), the demo agent (`agent.yml`, reference model, engine `client`, app authorization)
deployed through the SDK path exactly as notebook 05 does it (`agent_lib.deploy.deploy_app`: upload,
SNAPSHOT deployment, `python -m agent_lib.app` as a local process of its own), and every client
calling the App's URL, i.e. the emulator's front proxy, with an OAuth token (`oauth_client`), as
`DatabricksOpenAI(...).responses.create(model="apps/<name>", stream=True)` does. Each request is a
real agent turn: the reference model routes, the tool runs on the emulated workspace (SQL for UC
functions, Genie, the Knowledge Assistant), the answer streams back through the proxy. Every
stream is checked (`agent_lib.app.load.check_stream`): well-formed events, a proper end.

Memory: the App's process and its descendants, sampled every 100 ms (`VmRSS`, summed: the peak
of the sum), and each one's `VmHWM` (its own high-water mark) read at the end from /proc.

A single client alone runs first, in the same run, as the baseline the 50 clients' latency and
throughput are compared with (on a shared machine the absolute times mean little).

    uv run --frozen python bench/app_load.py [--clients 50] [--seconds 30] [--baseline-seconds 15]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GIB = 1024 ** 3


def _uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def _start_emulator(state: Path) -> tuple[subprocess.Popen[str], str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DATABRICKS_")}
    proc = subprocess.Popen([sys.executable, "-m", "agent_lib.cli", "emulator", "--port", "0",
                             "--state", str(state)], stdout=subprocess.PIPE, text=True, env=env)
    values = {}
    while len(values) < 2:
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError(f"the emulator exited ({proc.wait()}) before printing its host and token")
        key, sep, value = line.strip().partition("=")
        if sep and key in ("DATABRICKS_HOST", "DATABRICKS_TOKEN"):
            values[key] = value
    return proc, values["DATABRICKS_HOST"], values["DATABRICKS_TOKEN"]


# -- /proc ---------------------------------------------------------------------------------------------
def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            tree.setdefault(ppid, []).append(int(entry.name))
    return tree


def descendants(pid: int) -> list[int]:
    """`pid` and every process below it, now."""
    tree, out, todo = _children(), [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(tree.get(p, []))
    return out


def _status_kb(pid: int, key: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def app_pid(emulator_pid: int) -> int:
    """The deployed App's process: the emulator's descendant running `python -m agent_lib.app`."""
    found = [p for p in descendants(emulator_pid) if "-m agent_lib.app" in _cmdline(p)]
    if len(found) != 1:
        raise RuntimeError(f"expected one App process under the emulator, found {found}")
    return found[0]


class RssSampler(threading.Thread):
    """The peak of the summed VmRSS of a process tree, sampled every `every` seconds."""

    def __init__(self, root: int, every: float = 0.1) -> None:
        super().__init__(daemon=True)
        self.root, self.every = root, every
        self.peak_kb, self.seen = 0, set()
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(self.every):
            pids = descendants(self.root)
            self.seen.update(pids)
            self.peak_kb = max(self.peak_kb, sum(_status_kb(p, "VmRSS") for p in pids))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--baseline-seconds", type=float, default=15.0,
                        help="one client alone first, in the same run: the latency without contention")
    args = parser.parse_args()

    from agent_lib.app.load import LoadOptions, run_load
    from agent_lib.deploy import DeployOptions, DeployParams, deploy_app, oauth_client
    from agent_lib.workspace import Workspace, client_for

    print(f"load before: {_uptime()}", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        emulator, host, token = _start_emulator(Path(tmp) / "state")
        try:
            admin = client_for(host, token)
            began = time.perf_counter()
            result = deploy_app(Workspace(admin, "emulated"),
                                DeployOptions(spec_path=ROOT / "agent.yml", source_dir=ROOT / "app",
                                              smoke_question=DeployParams().smoke_question))
            print(f"deployed {result.name} at {result.url} in {time.perf_counter() - began:.1f} s "
                  f"(smoke answer: {result.smoke_answer[:80]!r})", flush=True)
            pid = app_pid(emulator.pid)
            headers = oauth_client(admin).config.authenticate()
            idle_kb = sum(_status_kb(p, "VmRSS") for p in descendants(pid))
            sampler = RssSampler(pid)
            sampler.start()
            baseline = run_load(LoadOptions(url=result.url, headers=headers, clients=1,
                                            seconds=args.baseline_seconds))
            report = run_load(LoadOptions(url=result.url, headers=headers, clients=args.clients,
                                          seconds=args.seconds))
            sampler.done.set()
            sampler.join()
            hwm = {p: _status_kb(p, "VmHWM") for p in sorted(sampler.seen)}
            alive = descendants(pid)
        finally:
            emulator.send_signal(signal.SIGINT)
            try:
                emulator.wait(60)
            except subprocess.TimeoutExpired:
                emulator.kill()
    print(f"load after:  {_uptime()}")
    one = baseline.summary()
    print(f"baseline, 1 client: {one['streams']} streams, errors {one['errors']}, {one['streams_per_s']} streams/s; "
          f"first byte p50 {one['first_byte_ms'].get('p50')} ms, whole answer p50 {one['answer_ms'].get('p50')} ms")
    summary = report.summary()
    print(json.dumps(summary))
    print(f"{summary['streams']} streams from {args.clients} clients in {summary['seconds']} s "
          f"({summary['streams_per_s']} streams/s), errors: {summary['errors']} (target 0)")
    fb, ans = summary["first_byte_ms"], summary["answer_ms"]
    if fb:
        print(f"first byte: p50 {fb['p50']:.0f} ms, p99 {fb['p99']:.0f} ms, max {fb['max']:.0f} ms")
        print(f"whole answer: p50 {ans['p50']:.0f} ms, p99 {ans['p99']:.0f} ms, max {ans['max']:.0f} ms")
        if one["answer_ms"]:
            print(f"vs 1 client: throughput x{summary['streams_per_s'] / one['streams_per_s']:.2f}, "
                  f"whole-answer p50 x{ans['p50'] / one['answer_ms']['p50']:.1f}, "
                  f"first-byte p50 x{fb['p50'] / one['first_byte_ms']['p50']:.1f}")
    app_hwm = hwm.get(pid, 0)
    print(f"App process (pid {pid}) and its children ({len(alive) - 1} at the end, {len(hwm) - 1} seen): "
          f"idle RSS {idle_kb / 1024:.0f} MiB; peak summed RSS (sampled) {sampler.peak_kb / 1024:.0f} MiB; "
          f"VmHWM: App {app_hwm / 1024:.0f} MiB, all {sum(hwm.values()) / 1024:.0f} MiB "
          f"(target <= {GIB // 1024 ** 2} MiB)")
    for turn in report.errors[:10]:
        print(f"  error: {turn.question!r}: {turn.problem}")
    peak = max(sampler.peak_kb, sum(hwm.values())) * 1024
    return 0 if not report.errors and not baseline.errors and peak <= GIB else 1


if __name__ == "__main__":
    raise SystemExit(main())
