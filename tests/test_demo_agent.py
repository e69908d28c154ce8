"""The demo agent answers 20 natural questions sensibly, each grounded in the right tool's output.

This is the newcomer's experience of the package: the demo workspace, the demo `agent.yml`, the
client engine and the default reference model, end to end over HTTP. For every question the test
checks the tool the agent chose, that the call did not fail, and that the answer states facts taken
from that tool's output that the question itself did not contain (and, for data questions, facts
computed independently from the warehouse).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from agent_lib.spec import load_spec
from agent_lib.supervisor import Supervisor

ROOT = Path(__file__).resolve().parents[1]

GENIE = "genie_01f0c0ff"
ORDER = "main__sales__get_order_status"
FX = "main__sales__convert_currency"
SLA = "main__support__days_until_sla_breach"
KA = "knowledge_assistant_8c765842"
HELPDESK = "app_agent_lib_helpdesk"

QUESTIONS = [
    ("What was our total revenue in 2025?", GENIE),
    ("Which region had the most orders in 2024?", GENIE),
    ("What are the top 5 products by revenue?", GENIE),
    ("How many enterprise customers do we have?", GENIE),
    ("Show me revenue by month for 2025", GENIE),
    ("What is the status of order SO-10042?", ORDER),
    ("Has order SO-11500 shipped yet?", ORDER),
    ("Which carrier is handling order SO-12001?", ORDER),
    ("How much is 250 USD in euros?", FX),
    ("Convert 99.99 GBP to JPY", FX),
    ("How many days until a P2 ticket opened on 2025-12-30 breaches its SLA?", SLA),
    ("How many days do I have to return a laptop?", KA),
    ("What does the warranty cover for monitors?", KA),
    ("Can I fly business class on a company trip?", KA),
    ("What is the policy on password length?", KA),
    ("Find support tickets about shipping delays", "search_tickets"),
    ("Show me ticket TCK-1005", "get_ticket"),
    ("Open a ticket for jane.doe@example.com: the laptop screen flickers after the update", "create_ticket"),
    ("My VPN keeps disconnecting, what should I do?", HELPDESK),
    ("How do I set up the printer on my work laptop?", HELPDESK),
]


@pytest.fixture(scope="module")
def supervisor(emulator):
    spec = load_spec(ROOT / "agent.yml")
    return Supervisor(spec, emulator.client(), auto_approve=("ticketing", "agent-lib-helpdesk"),
                      tracing=False)


def _facts(output: str) -> list[str]:
    """Checkable facts in a tool output: numbers (as written or rounded) and distinctive words."""
    try:
        data = json.loads(output)
    except (TypeError, ValueError):
        data = output
    text = json.dumps(data) if not isinstance(data, str) else data
    numbers = re.findall(r"\d+(?:\.\d+)?", text)
    words = [w for w in re.findall(r"[A-Za-z][A-Za-z-]{4,}", text)]
    return numbers + words


def _empty(output: str) -> bool:
    """A tool answer that says it found nothing: a sensible answer needs something found."""
    lowered = output.lower()
    if "could not find" in lowered or "no matching" in lowered or "i don't know" in lowered:
        return True
    try:
        data = json.loads(output)
    except (TypeError, ValueError):
        return False
    if isinstance(data, dict):
        lists = [v for v in data.values() if isinstance(v, list)]
        return bool(lists) and all(not v for v in lists)
    return data in ([], None, "")


@pytest.mark.parametrize(("question", "tool"), QUESTIONS, ids=[q for q, _ in QUESTIONS])
def test_demo_question_is_answered_from_the_right_tool(supervisor, question, tool):
    result = supervisor.respond(question)
    names = [call.name for call in result.tool_calls]
    assert tool in names, f"{question!r} went to {names}: {result.text[:300]}"
    call = next(c for c in result.tool_calls if c.name == tool)
    assert call.error is None, f"{tool} failed: {call.error}"
    assert result.text.strip(), "no answer text"
    assert not _empty(call.output), f"{tool} found nothing for {question!r}: {call.output[:300]}"
    asked = set(re.findall(r"[a-z0-9][a-z0-9.-]*", (question + " " + json.dumps(call.arguments)).lower()))
    facts = [f for f in _facts(call.output) if f.lower() not in asked]  # not an echo of the question
    shown = [f for f in facts if f.lower() in result.text.lower()]
    assert shown, f"answer states nothing from {tool}'s output:\n{result.text}\n---\n{call.output[:500]}"


def test_total_revenue_matches_the_warehouse(supervisor, emulator):
    rows = emulator.state.warehouse.execute(
        "SELECT ROUND(SUM(total), 2) FROM main.sales.orders WHERE order_date LIKE '2025-%' "
        "AND status NOT IN ('cancelled', 'returned')").rows
    expected = rows[0][0]
    text = supervisor.respond("What was our total revenue in 2025?").text.replace(",", "")
    assert f"{expected:.2f}".rstrip("0").rstrip(".")[:6] in text, (expected, text)


def test_out_of_scope_question_gets_no_tool_and_an_explanation(supervisor):
    result = supervisor.respond("What's the weather in Paris tomorrow?")
    assert result.tool_calls == []
    assert "weather" in result.text.lower()
