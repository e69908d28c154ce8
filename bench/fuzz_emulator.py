"""The full bad-input run: every emulator operation fuzzed with >= 1,000 requests, hostile JSON to every body.

It runs the suite's own fuzz test (`tests/emulator/test_fuzz.py`, schemathesis from the emulator's
OpenAPI description plus hypothesis for what a schema cannot express) with more examples, and
reports what it sent and what failed: no 5xx, no hang, every error JSON naming the problem.

    uv run --frozen python bench/fuzz_emulator.py [--examples 500] [--only REGEX]

`--examples` is per operation and generation mode (valid and invalid requests), so the default
sends about 1,000 requests to each operation; `--only` restricts the run to paths matching REGEX
(e.g. `^/api/2.0/sql` for one service).
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
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=500, help="examples per operation and mode")
    parser.add_argument("--only", default="", help="fuzz only paths matching this regex")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "fuzz.json"
        env = {**os.environ, "AGENT_LIB_FUZZ_EXAMPLES": str(args.examples), "AGENT_LIB_FUZZ_REPORT": str(report)}
        if args.only:
            env["AGENT_LIB_FUZZ_ONLY"] = args.only
        started = time.monotonic()
        run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                              "tests/emulator/test_fuzz.py", "--timeout=0"],
                             cwd=ROOT, env=env, capture_output=True, text=True)
        seconds = time.monotonic() - started
        data = json.loads(report.read_text()) if report.exists() else {"cases": {}, "failures": []}
    cases = data["cases"]
    per_op = {k: v for k, v in cases.items() if not k.startswith("hostile ")}
    hostile = {k: v for k, v in cases.items() if k.startswith("hostile ")}
    counts = sorted(per_op.values()) or [0]
    print(f"operations fuzzed: {len(per_op)}; schema-driven requests: {sum(counts)} "
          f"(per operation: min {counts[0]}, median {statistics.median(counts):.0f}, max {counts[-1]})")
    few = sorted(k for k, v in per_op.items() if v < args.examples)
    if few:
        print(f"{len(few)} operations got fewer than {args.examples} (hypothesis stops when an operation "
              "has no more distinct inputs to generate): " + ", ".join(f"{k} {per_op[k]}" for k in few))
    print("hostile JSON requests: " + ", ".join(f"{k[8:]} {v}" for k, v in sorted(hostile.items())))
    spent = data.get("seconds", {})
    print(f"failures: {len(data['failures'])}; wall time {seconds:.0f} s "
          f"({sum(cases.values()) / seconds:.1f} requests/s); pytest exit {run.returncode}")
    slowest = sorted(spent, key=spent.get, reverse=True)[:8]
    print("slowest operations (server time): " + ", ".join(
        f"{k} {spent[k]:.0f} s/{per_op[k]}" for k in slowest))
    for failure in data["failures"][:20]:
        print("  " + failure)
    if run.returncode and not data["failures"]:
        print(run.stdout[-3000:], run.stderr[-2000:])
    return run.returncode


if __name__ == "__main__":
    raise SystemExit(main())
