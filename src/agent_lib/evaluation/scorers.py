"""The scorers of an evaluation, by name: four deterministic ones and MLflow's LLM judges.

| name                 | passes a row when                                                    |
|----------------------|----------------------------------------------------------------------|
| `tool_routing`       | the spec tools called are exactly `expected_tools` (none for `[]`)   |
| `facts_present`      | every `expected_facts` entry is in the answer (rows with none: n/a)  |
| `non_empty`          | the turn completed with a non-empty answer                           |
| `latency`            | the turn took at most `latency_budget_s`                             |
| `correctness`        | judge: the answer states the expected facts (rows with none: n/a)    |
| `guidelines`         | judge: the answer follows the row's `guidelines` (rows with none: n/a) |
| `relevance_to_query` | judge: the answer is relevant to the question                        |
| `safety`             | judge: the answer is safe                                            |

Deterministic scorers read what `predict_fn` returned (`outputs`: answer, tools, tool_calls,
latency_s, error). Judges run only with a judge endpoint (`databricks:/<endpoint>`); MLflow records a
judge that fails on a row as an error instead of raising, and the gate counts that row as failed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from .dataset import EvaluationError

DETERMINISTIC = ("tool_routing", "facts_present", "non_empty", "latency")
JUDGES = ("correctness", "guidelines", "relevance_to_query", "safety")
_DIGIT_COMMA = re.compile(r"(?<=\d),(?=\d)")
_SPACE = re.compile(r"\s+")


def normalize(text: str) -> str:
    """Case, runs of whitespace and thousands separators do not count when looking for a fact."""
    return _SPACE.sub(" ", _DIGIT_COMMA.sub("", text)).strip().lower()


def missing_facts(answer: str, facts: Sequence[str]) -> list[str]:
    haystack = normalize(answer)
    return [fact for fact in facts if normalize(fact) not in haystack]


def _feedback(value: bool, rationale: str) -> Any:
    from mlflow.entities import Feedback

    return Feedback(value=value, rationale=rationale)


def _failed(outputs: Any) -> str | None:
    if not isinstance(outputs, Mapping):
        return "the agent returned nothing"
    return outputs.get("error")


def tool_routing(outputs: Any, expectations: Mapping[str, Any]) -> Any:
    expected = set(expectations.get("expected_tools") or [])
    error = _failed(outputs)
    called = set(outputs.get("tools") or []) if isinstance(outputs, Mapping) else set()
    if error and not called:
        return _feedback(False, f"the turn failed before any tool: {error}")
    missing, unexpected = sorted(expected - called), sorted(called - expected)
    shown = ", ".join(sorted(called)) or "no tool"
    if not missing and not unexpected:
        return _feedback(True, f"called {shown}, as expected")
    parts = [f"called {shown}"] + ([f"missing {', '.join(missing)}"] if missing else []) + (
        [f"unexpected {', '.join(unexpected)}"] if unexpected else [])
    return _feedback(False, "; ".join(parts))


def facts_present(outputs: Any, expectations: Mapping[str, Any]) -> Any:
    facts = list(expectations.get("expected_facts") or [])
    if not facts:
        return None  # not applicable: the row is left out of the pass rate
    error = _failed(outputs)
    if error:
        return _feedback(False, f"no answer: {error}")
    missing = missing_facts(str(outputs.get("answer") or ""), facts)
    if missing:
        return _feedback(False, f"missing {len(missing)} of {len(facts)}: " + "; ".join(missing))
    return _feedback(True, f"all {len(facts)} facts present")


def non_empty(outputs: Any) -> Any:
    error = _failed(outputs)
    if error:
        return _feedback(False, f"the turn failed: {error}")
    answer = str(outputs.get("answer") or "").strip()
    return _feedback(bool(answer), f"{len(answer)} characters" if answer else "empty answer")


def latency_scorer(budget_s: float) -> Callable[[Any], Any]:
    def latency(outputs: Any) -> Any:
        seconds = outputs.get("latency_s") if isinstance(outputs, Mapping) else None
        if not isinstance(seconds, (int, float)):
            return _feedback(False, "no latency recorded (the agent returned nothing)")
        return _feedback(seconds <= budget_s, f"{seconds:.2f} s (budget {budget_s:g} s)")

    return latency


def _judge(name: str, model: str) -> Any:
    from mlflow.genai import scorers

    if name == "correctness":
        return scorers.Correctness(model=model)
    if name == "guidelines":
        return scorers.ExpectationsGuidelines(model=model)
    if name == "relevance_to_query":
        return scorers.RelevanceToQuery(model=model)
    return scorers.Safety(model=model)


def build(names: Sequence[str], *, latency_budget_s: float, judges: Sequence[str] = (),
          judge_model: str | None = None) -> list[Any]:
    """MLflow scorers for `names` (deterministic) and `judges` (only with `judge_model`)."""
    from mlflow.genai.scorers import scorer

    functions: dict[str, Callable[..., Any]] = {
        "tool_routing": tool_routing, "facts_present": facts_present, "non_empty": non_empty,
        "latency": latency_scorer(latency_budget_s)}
    built = [scorer(name=name)(functions[name]) for name in names]
    if judge_model:
        built += [_judge(name, judge_model) for name in judges]
    return built


def check_names(names: Sequence[str], judges: Sequence[str], judge_endpoint: str) -> None:
    """Unknown scorers and judges without an endpoint fail here, naming the parameter."""
    for name in names:
        if name not in DETERMINISTIC:
            hint = (f"; {name!r} is an LLM judge: put it in judges and set judge_endpoint" if name in JUDGES
                    else "")
            raise EvaluationError(f"scorers: unknown scorer {name!r}; choose from {', '.join(DETERMINISTIC)}"
                                  + hint)
    for name in judges:
        if name not in JUDGES:
            raise EvaluationError(f"judges: unknown judge {name!r}; choose from {', '.join(JUDGES)}")
    if len(set(names)) != len(names) or len(set(judges)) != len(judges):
        raise EvaluationError("scorers/judges: a name is listed twice; list each once")
    if not names and not (judges and judge_endpoint):
        raise EvaluationError("scorers: nothing to score; list at least one of " + ", ".join(DETERMINISTIC))


__all__ = ["DETERMINISTIC", "JUDGES", "build", "check_names", "facts_present", "latency_scorer",
           "missing_facts", "non_empty", "normalize", "tool_routing"]
