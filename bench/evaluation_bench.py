"""Evaluation throughput: the speed-up of N workers over one on the same rows, measured in one run.

200 rows cycled from the demo dataset's rows that call tools, each tool execution delayed 200 ms by
the emulated workspace (`tool_latency_ms`, `agent_lib.emulator.core.latency`); the reference model
answers. Each worker count evaluates the whole set through `agent_lib.evaluation.evaluate_agent`
(Supervisor engine client, tracing on, the four deterministic scorers, results logged to MLflow),
and the runs are interleaved (1, N..., 1, N...) so the machine's load falls on every side alike.

    uv run --frozen python bench/evaluation_bench.py [--rows 200] [--workers 4 8] [--repeats 1]

Target: speed-up >= 0.8 x N for N = 4 and 8. Prints a Markdown table (and `--out` writes it).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("MLFLOW_MODEL_CATALOG_URI", "")
os.environ.setdefault("MLFLOW_LOGGING_LEVEL", "WARNING")

ROOT = Path(__file__).resolve().parents[1]


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=200)
    parser.add_argument("--workers", type=int, nargs="+", default=[4, 8])
    parser.add_argument("--tool-ms", type=float, default=200.0)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--out", default="")
    args = parser.parse_args()

    from agent_lib.evaluation import EvalConfig, evaluate_agent
    from agent_lib.spec import load_spec
    from agent_lib.workspace import connect

    state = Path(tempfile.mkdtemp(prefix="eval-bench-"))
    dataset = rows_file(state, args.rows)
    spec = load_spec(ROOT / "agent.yml")
    seconds: dict[int, list[float]] = {n: [] for n in [1, *args.workers]}
    with connect("emulated", state_dir=state) as ws:
        assert ws.emulator is not None
        ws.emulator.state.config.tool_latency_ms = args.tool_ms
        warm = state / "warm"
        warm.mkdir()
        evaluate_agent(ws, spec, EvalConfig(dataset=rows_file(warm, 8), max_workers=8, latency_budget_s=120),
                       experiment_name="/Shared/bench", state_dir=str(state))  # first store, tools: not measured
        for _ in range(args.repeats):
            for n, runs in seconds.items():
                started = time.perf_counter()
                report = evaluate_agent(ws, spec, EvalConfig(dataset=dataset, max_workers=n, latency_budget_s=120),
                                        experiment_name="/Shared/bench", state_dir=str(state))
                runs.append(time.perf_counter() - started)
                assert len(report.rows) == args.rows
                print(f"workers={n}: {runs[-1]:.1f} s ({report.text().splitlines()[1].split()[1]} routing)",
                      flush=True)
    base = statistics.median(seconds[1])
    header = (f"rows {args.rows}, tool latency {args.tool_ms:g} ms, repeats {args.repeats}, "
              f"load average {os.getloadavg()[0]:.1f}")
    lines = [header, "",
             "| workers | seconds (median) | rows/s | speed-up over 1 | target | met |", "|---|---|---|---|---|---|"]
    for n, values in seconds.items():
        median = statistics.median(values)
        speedup = base / median
        target = 0.8 * n if n > 1 else 1.0
        lines.append(f"| {n} | {median:.1f} | {args.rows / median:.2f} | {speedup:.2f}x | "
                     f"{'>= ' + format(target, 'g') + 'x' if n > 1 else '-'} | {'yes' if speedup >= target else 'no'} |")
    text = "\n".join(lines)
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n")


if __name__ == "__main__":
    main()
