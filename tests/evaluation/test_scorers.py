"""The deterministic scorers on their own: what passes, what fails and why."""

from __future__ import annotations

import pytest

from agent_lib.evaluation import EvaluationError
from agent_lib.evaluation.scorers import (
    check_names,
    facts_present,
    latency_scorer,
    missing_facts,
    non_empty,
    tool_routing,
)


def _out(**kw):
    return {"answer": "", "tools": [], "tool_calls": [], "latency_s": 0.5, "error": None, **kw}


def test_routing_needs_exactly_the_expected_set():
    assert tool_routing(_out(tools=["a", "b"]), {"expected_tools": ["b", "a"]}).value is True
    missing = tool_routing(_out(tools=["a"]), {"expected_tools": ["a", "b"]})
    assert missing.value is False and "missing b" in missing.rationale
    extra = tool_routing(_out(tools=["a", "c"]), {"expected_tools": ["a"]})
    assert extra.value is False and "unexpected c" in extra.rationale
    assert tool_routing(_out(), {"expected_tools": []}).value is True  # no tool, as expected
    assert tool_routing(None, {"expected_tools": []}).value is False  # the agent returned nothing


def test_facts_ignore_case_spacing_and_thousands_separators():
    assert missing_facts("Revenue was $6176390.50 in  2025", ["6,176,390.50", "revenue WAS"]) == []
    assert missing_facts("LATAM led", ["EMEA"]) == ["EMEA"]
    assert facts_present(_out(answer="x"), {"expected_facts": []}) is None  # not applicable
    failed = facts_present(_out(answer="only FedEx"), {"expected_facts": ["FedEx", "delivered"]})
    assert failed.value is False and "delivered" in failed.rationale


def test_non_empty_and_latency():
    assert non_empty(_out(answer=" ok ")).value is True
    assert non_empty(_out(answer="  ")).value is False
    assert non_empty(_out(error="SupervisorError: boom")).value is False
    latency = latency_scorer(1.0)
    assert latency(_out(latency_s=0.9)).value is True
    slow = latency(_out(latency_s=1.5))
    assert slow.value is False and "1.50 s (budget 1 s)" in slow.rationale


@pytest.mark.parametrize(("names", "judges", "endpoint", "message"), [
    (("tool_routing", "bleu"), (), "", "scorers: unknown scorer 'bleu'"),
    (("correctness",), (), "", "'correctness' is an LLM judge"),
    (("tool_routing",), ("fluency",), "x", "judges: unknown judge 'fluency'"),
    (("latency", "latency"), (), "", "listed twice"),
    ((), ("safety",), "", "nothing to score"),
])
def test_unknown_scorers_are_named(names, judges, endpoint, message):
    with pytest.raises(EvaluationError, match=message):
        check_names(names, judges, endpoint)
