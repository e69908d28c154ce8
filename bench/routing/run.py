"""Routing benchmark for the reference model: tool choice, abstention and arguments.

    uv run --frozen python bench/routing/run.py            # all cases, failures, RESULTS.md
    uv run --frozen python bench/routing/run.py --split dev-b

Cases (`cases.jsonl`, written by hand) name the tools a real user's request needs, or none. Each
case is offered a subset of the tools in `tools.json`: its own `tools` list when given (always so
for abstention cases, so that no offered tool fits), otherwise the expected tools, the hard
distractors in `also`, and random distractors (seeded by the case id, never those in `avoid`)
up to 5-12 tools.

All of these cases are a development set. They are split in two (every third case is `dev-b`,
the rest `dev-a`), but neither part is held out: the model was tuned on failures of both, the
test suite gates on both, and dev-b's failures are printed in RESULTS.md. Only `public_bfcl.py`
(never used for development) measures how the model does on tools it has not seen.

`known_weak.jsonl` (with `known_weak_tools.json`) are harder cases written before the model was
changed for them (same domain, wrong operation, object or quantity; indirect requests): the change
that made them pass was reverted, so they are tracked as known weaknesses, reported and not gated.
Every figure is shown next to two trivial baselines on the same cases: always calling the first
tool offered (no arguments), and always abstaining.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
TARGETS = {"tool_choice": 0.90, "abstention": 0.85}


@dataclass
class Outcome:
    case: dict[str, Any]
    split: str
    offered: list[str]
    called: list[tuple[str, dict[str, Any]]]
    tool_ok: bool
    arg_total: int = 0
    arg_ok: int = 0
    arg_misses: list[str] = field(default_factory=list)

    @property
    def abstain_case(self) -> bool:
        return not self.case["expected"]


KNOWN_WEAK = "known_weak.jsonl"
KNOWN_WEAK_TOOLS = "known_weak_tools.json"


def load_cases(path: Path = HERE / "cases.jsonl") -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def load_tools(path: Path = HERE / "tools.json", *extra: Path) -> dict[str, dict[str, Any]]:
    tools = {t["name"]: t for t in json.loads(path.read_text())}
    for more in extra:
        tools.update({t["name"]: t for t in json.loads(more.read_text())})
    return tools


def split_of(index: int) -> str:
    return "dev-b" if index % 3 == 2 else "dev-a"


class AlwaysFirstTool:
    """Trivial baseline: calls the first tool offered, with no arguments."""

    def respond(self, messages: list[Any], tools: list[Any]) -> Any:
        from agent_lib.emulator.models.base import ModelTurn, ToolCall

        return ModelTurn(tool_calls=(ToolCall(tools[0].name, {}, "call_0"),) if tools else ())


class AlwaysAbstain:
    """Trivial baseline: never calls a tool."""

    def respond(self, messages: list[Any], tools: list[Any]) -> Any:
        from agent_lib.emulator.models.base import ModelTurn

        return ModelTurn(text="")


BASELINES = {"always the first tool": AlwaysFirstTool, "always abstain": AlwaysAbstain}


def offered_tools(case: dict[str, Any], catalog: dict[str, dict[str, Any]]) -> list[str]:
    """The tool names offered for a case (deterministic)."""
    if "tools" in case:
        return list(case["tools"])
    rng = random.Random(int(hashlib.sha256(case["id"].encode()).hexdigest()[:8], 16))
    chosen = list(dict.fromkeys(case["expected"] + case.get("also", [])))
    pool = sorted(set(catalog) - set(chosen) - set(case.get("avoid", [])))
    size = rng.randint(5, 12)
    chosen += rng.sample(pool, max(0, size - len(chosen)))
    rng.shuffle(chosen)
    return chosen


def messages_of(case: dict[str, Any]) -> list[Any]:
    from agent_lib.emulator.models.base import Message

    msgs = [Message("system", case["system"])] if case.get("system") else []
    for m in case.get("messages") or [{"role": "user", "content": case["request"]}]:
        msgs.append(Message(m["role"], m["content"]))
    return msgs


def value_matches(expected: Any, actual: Any) -> bool:
    """Expected booleans and numbers must be equal; expected text must appear in the argument."""
    if isinstance(expected, bool):
        return actual is expected
    if isinstance(expected, (int, float)):
        try:
            return abs(float(actual) - float(expected)) < 1e-9
        except (TypeError, ValueError):
            return False
    if isinstance(expected, list):
        return isinstance(actual, list) and all(any(value_matches(e, a) for a in actual) for e in expected)
    return isinstance(actual, str) and str(expected).casefold() in actual.casefold()


def run_case(model: Any, case: dict[str, Any], index: int, catalog: dict[str, dict[str, Any]]) -> Outcome:
    from agent_lib.emulator.models.base import ToolSpec

    names = offered_tools(case, catalog)
    tools = [ToolSpec(n, catalog[n]["description"], catalog[n]["parameters"]) for n in names]
    turn = model.respond(messages_of(case), tools)
    called = [(c.name, c.arguments) for c in turn.tool_calls]
    ok = Counter(n for n, _ in called) == Counter(case["expected"])
    out = Outcome(case, split_of(index), names, called, ok)
    for tool, spec in (case.get("args") or {}).items():
        wanted = spec if isinstance(spec, list) else [spec]
        got = [a for n, a in called if n == tool]
        for want in wanted:
            best = max(
                got, key=lambda a: sum(value_matches(v, a.get(k)) for k, v in want.items()), default={}
            )
            for k, v in want.items():
                out.arg_total += 1
                if value_matches(v, best.get(k)):
                    out.arg_ok += 1
                else:
                    out.arg_misses.append(f"{tool}.{k}: expected {v!r}, got {best.get(k)!r}")
    return out


def evaluate(model: Any = None, *, known_weak: bool = False) -> list[Outcome]:
    """Outcomes of `model` (the reference model by default) on the development set, or on the
    known-weakness set (split `known-weak`)."""
    if model is None:
        from agent_lib.emulator.models.reference import ReferenceModel

        model = ReferenceModel()
    if known_weak:
        catalog = load_tools(HERE / "tools.json", HERE / KNOWN_WEAK_TOOLS)
        outcomes = [run_case(model, c, i, catalog) for i, c in enumerate(load_cases(HERE / KNOWN_WEAK))]
        for o in outcomes:
            o.split = "known-weak"
        return outcomes
    catalog = load_tools()
    return [run_case(model, c, i, catalog) for i, c in enumerate(load_cases())]


def rates(outcomes: list[Outcome]) -> dict[str, Any]:
    routed = [o for o in outcomes if not o.abstain_case]
    none = [o for o in outcomes if o.abstain_case]
    arg_total = sum(o.arg_total for o in outcomes)
    return {
        "cases": len(outcomes),
        "tool_choice": sum(o.tool_ok for o in routed) / len(routed) if routed else 1.0,
        "tool_cases": len(routed),
        "abstention": sum(o.tool_ok for o in none) / len(none) if none else 1.0,
        "abstention_cases": len(none),
        "arguments": sum(o.arg_ok for o in outcomes) / arg_total if arg_total else 1.0,
        "argument_checks": arg_total,
    }


def _describe(o: Outcome) -> str:
    request = o.case.get("request") or " / ".join(
        m["content"] for m in o.case["messages"] if m["role"] == "user"
    )
    got = ", ".join(f"{n}({json.dumps(a, ensure_ascii=False)})" for n, a in o.called) or "no call"
    lines = [
        f"- `{o.case['id']}` ({o.split}): {request!r}",
        f"  expected {o.case['expected'] or 'no call'}; got {got}",
    ]
    lines += [f"  {m}" for m in o.arg_misses if o.tool_ok]
    return "\n".join(lines)


def _kind(o: Outcome) -> str:
    if o.abstain_case:
        return "no tool fits"
    if "messages" in o.case:
        return "follow-up turn"
    return "several calls" if len(o.case["expected"]) > 1 else "one call"


def _row(label: str, subset: list[Outcome]) -> str:
    r = rates(subset)
    choice = f"{r['tool_choice']:.1%} ({r['tool_cases']})" if r["tool_cases"] else "—"
    abstain = f"{r['abstention']:.1%} ({r['abstention_cases']})" if r["abstention_cases"] else "—"
    args = f"{r['arguments']:.1%} ({r['argument_checks']})" if r["argument_checks"] else "—"
    return f"| {label} | {r['cases']} | {choice} | {abstain} | {args} |"


def _splits(outcomes: list[Outcome]) -> list[tuple[str, list[Outcome]]]:
    return [
        ("dev-a", [o for o in outcomes if o.split == "dev-a"]),
        ("dev-b", [o for o in outcomes if o.split == "dev-b"]),
        ("all", outcomes),
    ]


def _with_baselines(label: str, model: list[Outcome], baselines: dict[str, list[Outcome]]) -> list[str]:
    return [_row(f"{label}: reference model", model),
            *(_row(f"{label}: {name}", subset) for name, subset in baselines.items())]


def report(outcomes: list[Outcome], baselines: dict[str, list[Outcome]] | None = None,
           weak: list[Outcome] | None = None, weak_baselines: dict[str, list[Outcome]] | None = None) -> str:
    header = "| {} | cases | correct tool choice | correct abstention | argument accuracy |"
    baselines = baselines or {}
    splits = _splits(outcomes)
    kinds = sorted({_kind(o) for o in outcomes})
    failing = [o for o in outcomes if not o.tool_ok or o.arg_misses]
    lines = [
        "# Routing benchmark: reference model",
        "",
        "Generated by `uv run --frozen python bench/routing/run.py`; do not edit by hand.",
        "",
        f"{len(load_tools())} tools, {len(outcomes)} hand-written cases, all of them a development set: "
        "the reference model was tuned on failures of both parts (dev-b is every third case; its "
        "failures are listed below and the test suite gates on it), so no figure here is a held-out "
        "score (BFCL in `public_bfcl.py` is). Targets: tool choice >= 90%, abstention >= 85%. Each "
        "figure stands next to two trivial baselines on the same cases.",
        "",
        header.format("split: model"),
        "|---|---|---|---|---|",
        *(line for label, subset in splits for line in _with_baselines(
            label, subset, {n: [b for b in bs if label == "all" or b.split == label]
                            for n, bs in baselines.items()})),
        "",
        header.format("kind of case"),
        "|---|---|---|---|---|",
        *(_row(k, [o for o in outcomes if _kind(o) == k]) for k in kinds),
        "",
        "Tool choice: the multiset of called tool names equals the expected one (cases that need a "
        "tool). Abstention: no call when no offered tool fits. Arguments: the expected key arguments "
        "(numbers and booleans equal, text contained), over all checks, a missing call counting as wrong.",
        "",
        f"## Failing cases ({len(failing)})",
        "",
        *(_describe(o) for o in failing),
    ]
    if weak is not None:
        weak_failing = [o for o in weak if not o.tool_ok]
        lines += [
            "",
            f"## Known weaknesses ({len(weak)} cases, not gated)",
            "",
            f"`{KNOWN_WEAK}`: harder cases (same-domain hard negatives, indirect positives) over "
            f"{len(load_tools(HERE / KNOWN_WEAK_TOOLS)) if (HERE / KNOWN_WEAK_TOOLS).exists() else 0} more "
            f"tools (`{KNOWN_WEAK_TOOLS}`), written before the model was changed for them; the change was "
            "reverted, so they stay here as what the model does not do well.",
            "",
            header.format("set: model"),
            "|---|---|---|---|---|",
            *_with_baselines("known-weak", weak, weak_baselines or {}),
            "",
            f"Failing: {len(weak_failing)} of {len(weak)} "
            f"({', '.join(o.case['id'] for o in weak_failing)}).",
        ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--split", choices=["dev-a", "dev-b", "known-weak", "all"], default="all",
        help="which failures to print"
    )
    parser.add_argument("--no-write", action="store_true", help="do not rewrite RESULTS.md")
    args = parser.parse_args(argv)
    outcomes = evaluate()
    weak = evaluate(known_weak=True)
    baselines = {name: evaluate(cls()) for name, cls in BASELINES.items()}
    weak_baselines = {name: evaluate(cls(), known_weak=True) for name, cls in BASELINES.items()}
    for label, subset in [*_splits(outcomes), ("known-weak", weak)]:
        r = rates(subset)
        print(
            f"{label:10s} cases={r['cases']:3d}  tool choice {r['tool_choice']:.1%}  "
            f"abstention {r['abstention']:.1%}  arguments {r['arguments']:.1%}"
        )
    shown = [o for o in [*outcomes, *weak]
             if (not o.tool_ok or o.arg_misses) and args.split in ("all", o.split)]
    print(f"\nfailing cases ({len(shown)}):")
    for o in shown:
        print(_describe(o))
    if not args.no_write:
        (HERE / "RESULTS.md").write_text(report(outcomes, baselines, weak, weak_baselines))
    r = rates(outcomes)
    return 0 if r["tool_choice"] >= TARGETS["tool_choice"] and r["abstention"] >= TARGETS["abstention"] else 1


if __name__ == "__main__":
    sys.exit(main())
