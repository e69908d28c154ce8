"""Pipeline benchmark: wall time of `agent-lib run` (the whole job) against a floor from the same run.

The floor is what no runner of these notebooks can avoid: for each task's notebook, start its
kernel and import what the notebook imports, one after the other, nothing else. The pipeline is a
full run of the job on a fresh emulated workspace (its start included), with the runner's default
of starting the next kernel while the current notebook runs, and without it for comparison.

Targets (issue 10): whole pipeline <= 45 s and <= 1.5 x the floor, on this shared 2-core machine.

    uv run --frozen python bench/pipeline_bench.py [--bundle PATH] [--rounds 2]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_SECONDS = 45.0
TARGET_RATIO = 1.5


def floor_seconds(root: Path) -> float:
    """Each task's kernel started and its imports done, in job order; nothing else."""
    from agent_lib.bundle import load_bundle
    from agent_lib.kernels import Kernel

    began = time.perf_counter()
    for task in load_bundle(root).job().tasks:
        kernel = Kernel.start(task.notebook, cwd=task.notebook.parent, env=dict(os.environ))
        kernel.ready()
        kernel.shutdown()
    return time.perf_counter() - began


def pipeline_seconds(root: Path, *, prestart: bool) -> tuple[float, dict[str, float]]:
    """One full run of the job on a fresh emulated workspace; returns (seconds, task -> seconds)."""
    from agent_lib.runner import RunOptions, run_job

    with tempfile.TemporaryDirectory(prefix="pipeline-bench-") as state:
        began = time.perf_counter()
        result = run_job(RunOptions(root=root, state_dir=state, prestart=prestart), echo=lambda _: None)
        return time.perf_counter() - began, {t.notebook.split("_")[0]: t.seconds for t in result.tasks}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bundle", type=Path, default=ROOT, help="project folder (default: this one)")
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds; medians reported")
    args = parser.parse_args()
    os.environ.setdefault("MLFLOW_LOGGING_LEVEL", "WARNING")
    floors, warm, cold, per_task = [], [], [], []
    for _ in range(args.rounds):  # alternate, so machine load hits every figure alike
        floors.append(floor_seconds(args.bundle))
        seconds, tasks = pipeline_seconds(args.bundle, prestart=True)
        warm.append(seconds)
        per_task.append(tasks)
        cold.append(pipeline_seconds(args.bundle, prestart=False)[0])
    floor, run, plain = (statistics.median(x) for x in (floors, warm, cold))
    ratio = run / floor if floor else float("nan")
    print(f"bundle {args.bundle} ({len(per_task[0])} tasks), {args.rounds} rounds, medians; "
          f"load average {os.getloadavg()[0]:.1f} at the end:")
    print("  tasks (pre-started run), median seconds: " + ", ".join(
        f"{key} {statistics.median(r[key] for r in per_task):.1f}" for key in per_task[0]))
    print(f"  floor (kernels started + imports, sequential): {floor:6.1f} s   runs {_fmt(floors)}")
    print(f"  pipeline, next kernel pre-started (default):   {run:6.1f} s   runs {_fmt(warm)}")
    print(f"  pipeline, kernels started one by one:          {plain:6.1f} s   runs {_fmt(cold)}")
    print(f"  pipeline / floor: {ratio:.2f}x (target <= {TARGET_RATIO}x); "
          f"pipeline {run:.1f} s (target <= {TARGET_SECONDS:.0f} s); "
          f"pre-start saves {plain - run:.1f} s")


def _fmt(values: list[float]) -> str:
    return ", ".join(f"{v:.1f}" for v in values)


if __name__ == "__main__":
    main()
