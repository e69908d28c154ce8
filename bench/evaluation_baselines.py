"""Trivial baselines on the demo evaluation set, scored by the same deterministic scorers as the agent.

    uv run --frozen python bench/evaluation_baselines.py

- `no tool`: answers every row with a refusal and calls nothing.
- `top tool`: sends every question to the one tool the set expects most often (executed for real on
  the emulated workspace, through the client engine's executor) and answers with its output.

Prints each scorer's pass rate (rows it applies to), to read next to the agent's figures
(`agent-lib evaluate`). Latency is left out: the baselines do not run the agent's loop.
"""

from __future__ import annotations

import os
import tempfile
from collections import Counter
from pathlib import Path

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("MLFLOW_MODEL_CATALOG_URI", "")

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    from agent_lib.evaluation import check_against_spec, load_dataset
    from agent_lib.evaluation.scorers import facts_present, non_empty, tool_routing
    from agent_lib.spec import load_spec
    from agent_lib.supervisor.tools import Toolset
    from agent_lib.supervisor.tools.base import ToolContext
    from agent_lib.workspace import connect

    spec = load_spec(ROOT / "agent.yml")
    dataset = load_dataset("demo")
    resolved = check_against_spec(dataset, spec)
    cases = [(case, {**case.expectations.model_dump(),
                     "expected_tools": sorted({resolved[t] for t in case.expectations.expected_tools})})
             for case in dataset.cases]
    top = Counter(t for _, e in cases for t in e["expected_tools"]).most_common(1)[0][0]
    with connect("emulated", state_dir=tempfile.mkdtemp(prefix="eval-baselines-")) as ws:
        tools = Toolset(spec.tools, ToolContext(ws.client))
        top_function = next(f.name for f in tools.functions() if tools.route(f.name).tool.ref == top)
        outputs = {
            "no tool": [{"answer": "Sorry, I cannot help with that.", "tools": [], "error": None} for _ in cases],
            f"top tool ({top_function})": [
                {"answer": tools.route(top_function).call(top_function, {"question": case.question}),
                 "tools": [top], "error": None} for case, _ in cases],
        }
        tools.close()
    print(f"demo set: {len(cases)} rows; top tool {top} (expected in "
          f"{sum(top in e['expected_tools'] for _, e in cases)} rows)\n")
    print("| baseline | tool_routing | facts_present | non_empty |\n|---|---|---|---|")
    for name, outs in outputs.items():
        cells = []
        for scorer in (tool_routing, facts_present, non_empty):
            results = [scorer(o, e) if scorer is not non_empty else scorer(o) for o, (_, e) in zip(outs, cases, strict=True)]
            scored = [r.value for r in results if r is not None]
            cells.append(f"{sum(scored) / len(scored):.3f} ({sum(scored)}/{len(scored)})")
        print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
