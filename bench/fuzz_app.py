"""The App's full bad-input run: >= 1,000 generated malformed or hostile requests to each of
`POST /invocations` and `/responses`.

It runs the suite's own App fuzz test (`tests/app/test_fuzz_app.py`, hypothesis: hostile JSON inside
good requests, garbled Responses requests and broken histories, bodies that are not JSON under wrong
content types, oversized bodies) with more examples, and reports what it sent and what came back:
no 5xx, no hang, every error JSON naming the problem, every 200 stream well-formed.

    uv run --frozen python bench/fuzz_app.py [--examples 250]

`--examples` is per strategy and endpoint: the default sends 4 x 250 hostile, 250 garbled, 250
not-JSON and 62 oversized requests, about 1,560 to each endpoint.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=250, help="examples per strategy and endpoint")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "fuzz.json"
        env = {**os.environ, "AGENT_LIB_APP_FUZZ_EXAMPLES": str(args.examples), "AGENT_LIB_APP_FUZZ_REPORT": str(report)}
        started = time.monotonic()
        run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                              "tests/app/test_fuzz_app.py", "--timeout=0"],
                             cwd=ROOT, env=env, capture_output=True, text=True)
        seconds = time.monotonic() - started
        data = json.loads(report.read_text()) if report.exists() else {"cases": {}, "statuses": {}}
    per_path: Counter[str] = Counter()
    for case, n in data["cases"].items():
        per_path[case.split(" ", 1)[0]] += n
    print(f"uptime: {subprocess.run(['uptime'], capture_output=True, text=True).stdout.strip()}")
    for path, n in sorted(per_path.items()):
        kinds = ", ".join(f"{k.split(' ', 1)[1]} {v}" for k, v in sorted(data["cases"].items()) if k.startswith(path + " "))
        print(f"{path}: {n} requests ({kinds})")
    print("statuses of the garbled and not-JSON requests: "
          + ", ".join(f"{k} x{v}" for k, v in sorted(data["statuses"].items())))
    summary = run.stdout.strip().splitlines()[-1] if run.stdout.strip() else ""
    print(f"pytest: {summary}; exit {run.returncode}; wall time {seconds:.0f} s")
    if run.returncode:
        print(run.stdout[-4000:], run.stderr[-2000:])
    return run.returncode


if __name__ == "__main__":
    raise SystemExit(main())
