"""The reference model on a public routing set it was never developed on: BFCL v4.

The Berkeley Function Calling Leaderboard's data ships inside the `bfcl-eval` wheel on PyPI. This
script downloads that wheel into `bench/.cache/` (the package registry is the only network we use;
nothing from it is committed), converts each case's functions to our `ToolSpec`s and asks
`ReferenceModel` for one turn. It measures routing only, not BFCL's full argument grading:

* relevance (`simple_python`, `live_simple`, `multiple`, `live_multiple`): a tool was called, and
  for the multiple-choice sets, the ground truth's function;
* abstention (`irrelevance`, `live_irrelevance`): no tool was called.

Keep it unseen: read these figures, do not tune the model on these cases. This is the **public
set**; `run.py`'s cases are the development set. Each set is also run with the same two trivial
baselines as `run.py`, so no figure reads better than it is: always calling the first tool
offered (which scores 100% on the relevance sets, where any call counts) and always abstaining
(100% on the abstention sets). Because each baseline wins one kind of set outright, the summary
also gives the mean of the relevance and abstention rates (BFCL's own pairing of simple with
irrelevance, live_simple with live_irrelevance), where both baselines score 50%.

    uv run --frozen python bench/routing/public_bfcl.py [--limit N] [--no-write]

writes `PUBLIC_RESULTS.md` (unless `--limit` or `--no-write`).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import zipfile
from pathlib import Path

from agent_lib.emulator.models.base import Message, ToolSpec
from agent_lib.emulator.models.reference import ReferenceModel

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import BASELINES  # noqa: E402 (the development set's baselines, the same classes)

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


MODELS = {"reference model": ReferenceModel, **BASELINES}
PAIRS = (("simple_python", "irrelevance"), ("live_simple", "live_irrelevance"))
HERE = Path(__file__).resolve().parent


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


def _rate(score: tuple[int, int]) -> float:
    return score[0] / score[1] if score[1] else float("nan")


def report(scores: dict[str, dict[str, tuple[int, int]]], seconds: float) -> str:
    """The public-set figures as markdown: every set, every model, and the paired means."""
    head = "| set (public: BFCL v4) | kind | " + " | ".join(MODELS) + " |"
    lines = [
        "# Routing on a public set: BFCL v4",
        "",
        f"Generated by `uv run --frozen python bench/routing/public_bfcl.py`; do not edit by hand. "
        f"`bfcl-eval` {VERSION} from PyPI; routing only (a call made, the ground truth's function, or "
        f"no call), not BFCL's argument grading; {seconds:.0f} s. This is the **public set**: the "
        "reference model was never developed on it (its development set is `cases.jsonl`, in "
        "`RESULTS.md`). Every figure stands next to the two trivial baselines on the same cases.",
        "",
        head,
        "|" + "---|" * (head.count("|") - 1),
    ]
    for name, kind in SETS.items():
        cells = [f"{_rate(scores[m][name]):.1%} ({scores[m][name][0]}/{scores[m][name][1]})" for m in MODELS]
        lines.append(f"| {name} | {kind} | " + " | ".join(cells) + " |")
    lines += ["", "| mean of relevance and abstention | " + " | ".join(MODELS) + " |",
              "|" + "---|" * (len(MODELS) + 1)]
    for rel, abst in PAIRS:
        cells = [f"{(_rate(scores[m][rel]) + _rate(scores[m][abst])) / 2:.1%}" for m in MODELS]
        lines.append(f"| {rel} + {abst} | " + " | ".join(cells) + " |")
    lines += ["", "relevance: a tool was called (any call counts: always calling the first tool scores 100%); "
              "choice: the called tools are among the ground truth's; abstain: no call (always abstaining "
              "scores 100%)."]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--limit", type=int, default=None, help="cases per set (default: all)")
    parser.add_argument("--no-write", action="store_true", help="do not rewrite PUBLIC_RESULTS.md")
    args = parser.parse_args()
    start = time.perf_counter()
    scores = {label: run(args.limit, cls()) for label, cls in MODELS.items()}
    seconds = time.perf_counter() - start
    text = report(scores, seconds)
    print(text)
    if args.limit is None and not args.no_write:
        (HERE / "PUBLIC_RESULTS.md").write_text(text)


if __name__ == "__main__":
    main()
