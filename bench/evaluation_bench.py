"""Evaluation throughput: the speed-up of N workers over one on the same rows, measured in one run.

200 rows cycled from the demo dataset's rows that call tools, each tool execution delayed 200 ms by
the emulated workspace (`tool_latency_ms`, `agent_lib.emulator.core.latency`); the reference model
answers. Each worker count evaluates the whole set through `agent_lib.evaluation.evaluate_agent`
(Supervisor engine client, tracing on, the four deterministic scorers, results logged to MLflow),
and the runs are interleaved (1, N..., 1, N...) so the machine's load falls on every side alike.
The emulated workspace runs in its own process, as under `agent-lib run` (the runner's process
serves it, notebook 04's kernel evaluates); `--emulator thread` puts it in this process instead.
CPU time per row of this process and of every process below it (the emulator, the MLflow tracking
server, the MCP servers) is printed too: on a shared machine it moves less than wall time.

    uv run --frozen python bench/evaluation_bench.py [--rows 200] [--workers 4 8] [--repeats 1]
        [--emulator process|thread]

Target: speed-up >= 0.8 x N for N = 4 and 8. Prints a Markdown table (and `--out` writes it).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("MLFLOW_MODEL_CATALOG_URI", "")
os.environ.setdefault("MLFLOW_LOGGING_LEVEL", "WARNING")

ROOT = Path(__file__).resolve().parents[1]
_SERVE = """
import sys
from agent_lib.emulator.embedded import start
ws = start(sys.argv[1], tool_latency_ms=float(sys.argv[2]))
print(ws.host, ws.token, flush=True)
sys.stdin.read()
ws.stop()
"""


def rows_file(folder: Path, count: int) -> str:
    from agent_lib.evaluation import load_dataset

    tool_rows = [c for c in load_dataset("demo").cases if c.expectations.expected_tools]
    path = folder / "bench.jsonl"
    with path.open("w") as out:
        for i in range(count):
            case = tool_rows[i % len(tool_rows)].model_dump(mode="json", exclude_none=True)
            case["id"] = f"{case['id']}-{i}"
            out.write(json.dumps(case) + "\n")
    return str(path)


@contextmanager
def emulated(state: Path, tool_ms: float, mode: str) -> Iterator[Any]:
    """The emulated workspace with `tool_ms` per tool execution, in a child process or this one."""
    from agent_lib.workspace import connect

    if mode == "thread":
        with connect("emulated", state_dir=state) as ws:
            assert ws.emulator is not None
            ws.emulator.state.config.tool_latency_ms = tool_ms
            yield ws
        return
    child = subprocess.Popen([sys.executable, "-c", _SERVE, str(state), str(tool_ms)],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert child.stdin is not None and child.stdout is not None
    try:
        host, token = child.stdout.readline().split()
        with connect("emulated", host=host, token=token, state_dir=state) as ws:
            yield ws
    finally:
        child.stdin.close()
        child.wait(timeout=60)


def cpu_seconds() -> float:
    """CPU time of this process and of every live process below it."""
    total = sum(os.times()[:2])
    pending = [os.getpid()]
    while pending:
        pid = pending.pop()
        children: list[int] = []
        for task in Path(f"/proc/{pid}/task").glob("*"):  # a child belongs to the thread that started it
            try:
                children += [int(c) for c in (task / "children").read_text().split()]
            except OSError:
                continue
        for child in children:
            pending.append(child)
            try:
                fields = Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=200)
    parser.add_argument("--workers", type=int, nargs="+", default=[4, 8])
    parser.add_argument("--tool-ms", type=float, default=200.0)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--emulator", choices=["process", "thread"], default="process")
    parser.add_argument("--out", default="")
    args = parser.parse_args()

    from agent_lib.evaluation import EvalConfig, evaluate_agent
    from agent_lib.spec import load_spec

    state = Path(tempfile.mkdtemp(prefix="eval-bench-"))
    dataset = rows_file(state, args.rows)
    spec = load_spec(ROOT / "agent.yml")
    seconds: dict[int, list[float]] = {n: [] for n in [1, *args.workers]}
    cpu: dict[int, list[float]] = {n: [] for n in seconds}
    with emulated(state, args.tool_ms, args.emulator) as ws:
        warm = state / "warm"
        warm.mkdir()
        evaluate_agent(ws, spec, EvalConfig(dataset=rows_file(warm, 8), max_workers=8, latency_budget_s=120),
                       experiment_name="/Shared/bench", state_dir=str(state))  # first store, tools: not measured
        for _ in range(args.repeats):
            for n, runs in seconds.items():
                started, cpu_before = time.perf_counter(), cpu_seconds()
                report = evaluate_agent(ws, spec, EvalConfig(dataset=dataset, max_workers=n, latency_budget_s=120),
                                        experiment_name="/Shared/bench", state_dir=str(state))
                runs.append(time.perf_counter() - started)
                cpu[n].append((cpu_seconds() - cpu_before) / args.rows)
                assert len(report.rows) == args.rows
                print(f"workers={n}: {runs[-1]:.1f} s, {cpu[n][-1] * 1000:.0f} ms CPU/row "
                      f"({report.text().splitlines()[1].split()[1]} routing), load {os.getloadavg()[0]:.1f}",
                      flush=True)
    base = statistics.median(seconds[1])
    header = (f"rows {args.rows}, tool latency {args.tool_ms:g} ms, repeats {args.repeats}, emulator "
              f"{args.emulator}, load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    lines = [header, "",
             "| workers | seconds (median) | rows/s | CPU ms/row, all processes | speed-up over 1 | target | met |",
             "|---|---|---|---|---|---|---|"]
    for n, values in seconds.items():
        median = statistics.median(values)
        speedup = base / median
        target = 0.8 * n if n > 1 else 1.0
        met = f"{'yes' if speedup >= target else 'no'}" if n > 1 else "-"
        lines.append(f"| {n} | {median:.1f} | {args.rows / median:.2f} | {statistics.median(cpu[n]) * 1000:.0f} | "
                     f"{speedup:.2f}x | {'>= ' + format(target, 'g') + 'x' if n > 1 else '-'} | {met} |")
    text = "\n".join(lines)
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n")


if __name__ == "__main__":
    main()
