"""Scripted questions without a front end: one table row per question, approvals by policy."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent_lib.prototype import COLUMNS, PrototypeParams, open_session, run_questions

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def session(traced_ws):
    session = open_session(traced_ws, PrototypeParams(spec_path=str(ROOT / "agent.yml")))
    yield session
    session.close()


def test_each_question_gets_a_row_with_its_answer_tool_calls_and_trace(session):
    table = run_questions(session, ["What is the status of order SO-10042?",
                                    "Which support tickets mention refunds?"])
    assert list(table.columns) == list(COLUMNS) and len(table) == 2
    order, tickets = table.to_dict("records")
    assert "delivered" in order["answer"] and order["error"] == "" and order["approvals"] == ""
    assert order["tool_calls"].startswith('main__sales__get_order_status {"order_id": "SO-10042"} -> ')
    assert order["tool_calls"].endswith(" s)") and order["trace_id"].startswith("tr-")
    assert tickets["approvals"] == "approved search_tickets on ticketing"
    assert tickets["tool_calls"].startswith("search_tickets ") and "TCK-1008" in tickets["answer"]
    shown = table._repr_html_()  # what the notebook displays: every cell whole, not cut at 50 characters
    assert order["answer"].split("\n")[-1] in shown and "pre-wrap" in shown


def test_deny_policy_and_separate_conversations(session):
    table = run_questions(session, ["Which support tickets mention refunds?", "Thanks!"],
                          approvals="deny", conversation=False)
    denied, thanks = table.to_dict("records")
    assert denied["approvals"] == "denied search_tickets on ticketing"
    assert "error: " in denied["tool_calls"] and "TCK-1008" not in denied["answer"]
    assert session.turns[-1].result.input == [{"type": "message", "role": "user", "content": "Thanks!"}]
    assert thanks["error"] == ""


def test_a_failing_turn_fills_the_error_column_not_the_answer(traced_ws):
    session = open_session(traced_ws, PrototypeParams(spec_path=str(ROOT / "agent.yml")), max_turns=1)
    (row,) = run_questions(session, ["What is the status of order SO-10042?"]).to_dict("records")
    assert "max_turns=1" in row["error"] and row["answer"] == ""


def test_an_unknown_approval_policy_is_refused_before_any_call(session):
    with pytest.raises(ValueError, match="approvals='maybe': use 'approve' or 'deny'"):
        run_questions(session, ["What is the status of order SO-10042?"], approvals="maybe")
    assert session.turns == []
