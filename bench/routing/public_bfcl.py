"""The reference model on a public routing set it was never developed on: BFCL v4.

The Berkeley Function Calling Leaderboard's data ships inside the `bfcl-eval` wheel on PyPI. This
script downloads that wheel into `bench/.cache/` (the package registry is the only network we use;
nothing from it is committed), converts each case's functions to our `ToolSpec`s and asks
`ReferenceModel` for one turn. It measures routing only, not BFCL's full argument grading:

* relevance (`simple_python`, `live_simple`, `multiple`, `live_multiple`): a tool was called, and
  for the multiple-choice sets, the ground truth's function;
* abstention (`irrelevance`, `live_irrelevance`): no tool was called.

Keep it unseen: read these figures, do not tune the model on these cases. Each set is also run
with two trivial baselines, so no figure reads better than it is: always calling the first tool
offered (which scores 100% on the relevance sets, where any call counts) and always abstaining
(100% on the abstention sets).

    uv run --frozen python bench/routing/public_bfcl.py [--limit N]
"""

from __future__ import annotations

import argparse
import json
import time
import zipfile
from pathlib import Path

from agent_lib.emulator.models.base import Message, ModelTurn, ToolCall, ToolSpec
from agent_lib.emulator.models.reference import ReferenceModel

VERSION = "2026.3.23"
CACHE = Path(__file__).resolve().parents[1] / ".cache"
SETS = {  # name -> kind
    "simple_python": "relevance",
    "live_simple": "relevance",
    "multiple": "choice",
    "live_multiple": "choice",
    "irrelevance": "abstain",
    "live_irrelevance": "abstain",
}
_TYPES = {"dict": "object", "float": "number", "tuple": "array", "any": "string", "int": "integer",
          "bool": "boolean", "str": "string", "list": "array"}


def _wheel() -> Path:
    found = sorted(CACHE.glob(f"bfcl_eval-{VERSION}-*.whl"))
    if found:
        return found[0]
    import httpx

    CACHE.mkdir(parents=True, exist_ok=True)
    index = httpx.get("https://pypi.org/simple/bfcl-eval/", timeout=60,
                      headers={"Accept": "application/vnd.pypi.simple.v1+json"}).json()  # PEP 691
    wheel = next(f for f in index["files"] if f["filename"].startswith(f"bfcl_eval-{VERSION}-")
                 and f["filename"].endswith(".whl"))
    target = CACHE / wheel["filename"]
    target.write_bytes(httpx.get(wheel["url"], timeout=300, follow_redirects=True).content)
    return target


def _jsonl(zf: zipfile.ZipFile, name: str) -> list[dict]:
    try:
        text = zf.read(f"bfcl_eval/data/{name}").decode()
    except KeyError:
        return []
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def _schema(node: object) -> object:
    if isinstance(node, dict):
        out = {k: _schema(v) for k, v in node.items()}
        if isinstance(out.get("type"), str):
            out["type"] = _TYPES.get(out["type"], out["type"])
        return out
    if isinstance(node, list):
        return [_schema(v) for v in node]
    return node


def _messages(case: dict) -> list[Message]:
    turn = case["question"][0]
    return [Message(m["role"] if m["role"] in ("system", "user", "assistant") else "user",
                    str(m["content"])) for m in turn]


class AlwaysFirstTool:
    """Trivial baseline: calls the first tool offered."""

    def respond(self, messages: list[Message], tools: list[ToolSpec]) -> ModelTurn:
        return ModelTurn(tool_calls=(ToolCall(tools[0].name, {}, "call_0"),) if tools else ())


class AlwaysAbstain:
    """Trivial baseline: never calls a tool."""

    def respond(self, messages: list[Message], tools: list[ToolSpec]) -> ModelTurn:
        return ModelTurn(text="")


MODELS = {"reference model": ReferenceModel, "always the first tool": AlwaysFirstTool,
          "always abstain": AlwaysAbstain}


def run(limit: int | None, model: object | None = None) -> dict[str, tuple[int, int]]:
    model = model or ReferenceModel()
    zf = zipfile.ZipFile(_wheel())
    scores: dict[str, tuple[int, int]] = {}
    for name, kind in SETS.items():
        cases = _jsonl(zf, f"BFCL_v4_{name}.json")[:limit]
        answers = {a["id"]: a for a in _jsonl(zf, f"possible_answer/BFCL_v4_{name}.json")}
        good = 0
        for case in cases:
            tools = [ToolSpec(f["name"], f.get("description", ""), _schema(f.get("parameters", {})))
                     for f in case["function"]]
            called = {c.name for c in model.respond(_messages(case), tools).tool_calls}  # type: ignore[attr-defined]
            if kind == "abstain":
                good += not called
            elif kind == "relevance":
                good += bool(called)
            else:
                truth = {next(iter(g)) for g in answers.get(case["id"], {}).get("ground_truth", [])}
                good += bool(called) and called <= truth
        scores[name] = (good, len(cases))
    return scores


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--limit", type=int, default=None, help="cases per set (default: all)")
    args = parser.parse_args()
    start = time.perf_counter()
    scores = {label: run(args.limit, cls()) for label, cls in MODELS.items()}
    print(f"BFCL v4 ({VERSION}), routing only; {time.perf_counter() - start:.1f} s")
    print(f"{'set':18} {'kind':10} " + " ".join(f"{label:>22}" for label in MODELS))
    for name in SETS:
        cells = []
        for label in MODELS:
            good, total = scores[label][name]
            cells.append(f"{good:>5}/{total:<5} {good / total if total else float('nan'):7.1%}".rjust(22))
        print(f"{name:18} {SETS[name]:10} " + " ".join(cells))


if __name__ == "__main__":
    main()
