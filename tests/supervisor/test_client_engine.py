"""Engine `client` against the emulated workspace: the loop, each tool type, approvals, errors, tracing.

The model is the emulator's scripted model (`script([...])`), so every test states which calls the
model makes; the tools run for real through their Databricks APIs on the emulated workspace.
"""

from __future__ import annotations

import json
import time

import pytest

from agent_lib.errors import SupervisorError
from agent_lib.supervisor import Supervisor

ORDER = {"name": "main__sales__get_order_status", "arguments": {"order_id": "SO-10042"}}


def client(spec, w, **kw) -> Supervisor:
    kw.setdefault("tracing", False)
    return Supervisor(spec, w, engine="client", **kw)


def test_a_question_without_tools_is_answered_directly(kit, script, admin):
    script([{"text": "Hello! How can I help?", "expect": "hello"}])
    result = client(kit.spec_with(kit.UC_FUNCTION), admin).respond("hello there")
    assert result.text == "Hello! How can I help?" and result.tool_calls == []
    assert result.status == "completed" and result.engine == "client"
    assert result.usage.total_tokens > 0


def test_uc_function_runs_through_managed_mcp_and_feeds_the_model(kit, script, admin):
    script([
        {"tool_calls": [{"name": "main__sales__get_order_status", "arguments": {"order_id": "SO-10042"}}]},
        {"text": "Order SO-10042 is on its way.", "expect": "delivered"},
    ])
    sup = client(kit.spec_with(kit.UC_FUNCTION), admin)
    result = kit.strict_result(sup.respond("Where is order SO-10042?"))
    (call,) = result.tool_calls
    assert call.name == "main__sales__get_order_status" and call.arguments == {"order_id": "SO-10042"}
    assert call.error is None and call.output and call.duration_s is not None
    assert result.text == "Order SO-10042 is on its way."
    assert [i.type for i in result.output] == ["function_call", "function_call_output", "message"]


def test_uc_function_through_sql_statement_execution(kit, script, admin):
    script([
        {"tool_calls": [{"name": "main__sales__convert_currency",
                         "arguments": {"amount": 100, "from_currency": "USD", "to_currency": "EUR"}}]},
        {"text": "About 92 EUR.", "expect": ""},
    ])
    sup = client(kit.spec_with(kit.CONVERT), admin, warehouse_id="emulated0warehouse")
    result = kit.strict_result(sup.respond("100 USD in EUR?"))
    (call,) = result.tool_calls
    assert call.error is None, call.error
    assert float(json.loads(call.output) if call.output.startswith(("{", "[")) else call.output) > 0


def test_knowledge_assistant_answers_with_sources(kit, script, admin):
    script([
        {"tool_calls": [{"name": "knowledge_assistant_8c765842",
                         "arguments": {"question": "refund timing"}}]},
        {"text": "Refunds take 5 business days.", "expect": "refund"},
    ])
    result = kit.strict_result(client(kit.spec_with(kit.KNOWLEDGE_ASSISTANT), admin).respond("Refunds?"))
    (call,) = result.tool_calls
    answer = json.loads(call.output)
    assert "refund" in answer["answer"].lower() and answer["sources"]


def test_genie_space_answers_with_sql_and_a_table(kit, script, admin):
    script([
        {"tool_calls": [{"name": "genie_01f0c0ff", "arguments": {"question": "total revenue by region"}}]},
        {"text": "Revenue by region is in the table.", "expect": "sql"},
    ])
    result = kit.strict_result(client(kit.spec_with(kit.GENIE), admin).respond("Revenue by region?"))
    (call,) = result.tool_calls
    assert call.error is None, call.error
    answer = json.loads(call.output)
    assert answer["sql"].lower().startswith(("select", "with")) and answer["columns"] and answer["rows"]


def test_tools_that_share_an_id_prefix_get_names_long_enough_to_differ(kit, admin):
    """Two Genie spaces whose ids share their first 8 characters: every prefixed name grows to 16."""
    from agent_lib.supervisor.tools import ToolContext, Toolset

    sibling = {"genie_space": {"id": "01f0c0ff00000000000000000000beef", "description": "Another space."}}
    toolset = Toolset(kit.spec_with(kit.GENIE, sibling, kit.KNOWLEDGE_ASSISTANT, kit.UC_FUNCTION).tools,
                      ToolContext(admin))
    assert [e.name for e in toolset.executors] == [
        "genie_01f0c0ffee5a1e5d", "genie_01f0c0ff00000000", "knowledge_assistant_8c765842f0214946",
        "main__sales__get_order_status"]
    alone = Toolset(kit.spec_with(kit.GENIE, kit.KNOWLEDGE_ASSISTANT).tools, ToolContext(admin))
    assert [e.name for e in alone.executors] == ["genie_01f0c0ff", "knowledge_assistant_8c765842"]


def test_app_tool_asks_for_approval_then_calls_the_app(kit, script, admin):
    script([
        {"tool_calls": [{"name": "app_agent_lib_helpdesk",
                         "arguments": {"question": "How do I reset my password?"}}]},
        {"text": "Use the password portal.", "expect": "password"},
    ])
    sup = client(kit.spec_with(kit.HELPDESK), admin)
    first = kit.strict_result(sup.respond("I forgot my password"))
    (request,) = first.pending_approvals
    assert (request.name, request.server_label) == ("app_agent_lib_helpdesk", "agent-lib-helpdesk")
    assert first.text == "" and first.tool_calls == []
    second = kit.strict_result(sup.respond(first.approve()))
    (call,) = second.tool_calls
    assert call.call_id == request.id and "password" in call.output.lower() and call.error is None
    assert second.text == "Use the password portal."


def test_uc_connection_approved_runs_the_mcp_tool(kit, script, admin):
    script([
        {"tool_calls": [{"name": "search_tickets", "arguments": {"query": "refund"}}]},
        {"text": "There are refund tickets.", "expect": "TCK-"},
    ])
    sup = client(kit.spec_with(kit.TICKETING), admin)
    first = sup.respond("Any tickets about refunds?")
    (request,) = first.pending_approvals
    assert request.server_label == "ticketing" and json.loads(request.arguments) == {"query": "refund"}
    second = sup.respond(first.approve(request.id))
    assert [c.name for c in second.tool_calls] == ["search_tickets"]
    assert second.text == "There are refund tickets."
    # the executed approval is not run again on the next turn of the conversation
    script([{"text": "You're welcome.", "expect": "thanks"}])
    third = sup.respond(second.ask("thanks"))
    assert third.tool_calls == [] and third.text == "You're welcome."


def test_uc_connection_denied_the_model_answers_without_it(kit, script, admin):
    script([
        {"tool_calls": [{"name": "create_ticket", "arguments": {"title": "x", "description": "y",
                                                                "requester_email": "a@example.com"}}]},
        {"text": "I did not create the ticket, as you declined.", "expect": "denied"},
    ])
    sup = client(kit.spec_with(kit.TICKETING), admin)
    first = sup.respond("Open a ticket for me")
    second = kit.strict_result(sup.respond(first.deny(reason="not now")))
    (call,) = second.tool_calls
    assert call.name == "create_ticket"
    assert "denied this call to create_ticket on ticketing (not now)" in call.error
    assert json.loads(call.output)["error"] == call.error and call.duration_s is None
    assert second.text.startswith("I did not create the ticket")


def test_auto_approve_runs_trusted_connections_at_once(kit, script, admin):
    script([
        {"tool_calls": [{"name": "get_ticket", "arguments": {"ticket_id": "TCK-1001"}}]},
        {"text": "Ticket TCK-1001 is known.", "expect": "TCK-1001"},
    ])
    result = client(kit.spec_with(kit.TICKETING), admin, auto_approve=["ticketing"]).respond("TCK-1001?")
    assert result.pending_approvals == [] and [c.name for c in result.tool_calls] == ["get_ticket"]


def test_two_calls_of_one_turn_run_concurrently(kit, script, admin, emulator, monkeypatch):
    monkeypatch.setattr(emulator.state.config, "tool_latency_ms", 300)  # each call takes >= 300 ms
    script([
        {"tool_calls": [
            {"name": "main__sales__get_order_status", "arguments": {"order_id": "SO-10042"}},
            {"name": "knowledge_assistant_8c765842", "arguments": {"question": "shipping times"}},
        ]},
        {"text": "Both answered.", "expect": ""},
    ])
    spec = kit.spec_with(kit.UC_FUNCTION, kit.KNOWLEDGE_ASSISTANT)
    result = client(spec, admin).respond("order and shipping?")
    a, b = result.tool_calls
    assert a.output and b.output and a.error is None and b.error is None
    assert a.started_at < b.ended_at and b.started_at < a.ended_at, "the two calls did not overlap"
    types = [i.type for i in result.output]
    assert types == ["function_call", "function_call", "function_call_output", "function_call_output",
                     "message"]


def test_tool_failures_go_back_to_the_model(kit, script, admin):
    script([
        {"tool_calls": [{"name": "main__sales__get_order_status", "arguments": {"no_such_argument": 1}},
                        {"name": "made_up_tool", "arguments": {}}]},
        {"text": "Sorry, the lookup failed.", "expect": "error"},
    ])
    result = client(kit.spec_with(kit.UC_FUNCTION), admin).respond("Where is my order?")
    failed, unknown = result.tool_calls
    assert failed.error and json.loads(failed.output) == {"error": failed.error}
    assert "no tool named 'made_up_tool'" in unknown.error
    assert "main__sales__get_order_status" in unknown.error  # the message lists the real tools
    assert result.text == "Sorry, the lookup failed."


def test_max_turns_bounds_the_loop(kit, script, admin):
    call = {"tool_calls": [{"name": "main__sales__get_order_status", "arguments": {"order_id": "SO-10042"}}]}
    script([call, call, call])
    stream = client(kit.spec_with(kit.UC_FUNCTION), admin, max_turns=2).stream("loop forever")
    events = []
    with pytest.raises(SupervisorError) as err:
        for event in stream:
            events.append(event)
    assert err.value.cause == "max_turns" and "max_turns=2" in str(err.value)
    assert events[-1].type == "error" and events[-1].code == "max_turns"
    assert "response.completed" not in [e.type for e in events]
    assert kit.script_status()["used"] == 2


def test_a_failing_model_ends_the_stream_with_an_error_event_then_raises(kit, script, admin):
    script([{"tool_calls": [ORDER]}])
    events = []
    with pytest.raises(SupervisorError) as err:
        for event in client(kit.spec_with(kit.UC_FUNCTION), admin).stream("Where is SO-10042?"):
            events.append(event)
    assert err.value.cause == "http" and err.value.status == 400
    assert "unexpected call #2" in str(err.value)
    kit.strict_events(events)
    assert [e.type for e in events][-1] == "error" and "response.completed" not in [e.type for e in events]
    assert events[-1].message == str(err.value)


def test_stream_events_parse_strictly_and_carry_the_result(kit, script, admin):
    script([
        {"tool_calls": [{"name": "main__sales__get_order_status", "arguments": {"order_id": "SO-10042"}}]},
        {"text": "Shipped.", "expect": ""},
    ])
    stream = client(kit.spec_with(kit.UC_FUNCTION), admin).stream("SO-10042?")
    events = kit.strict_events(list(stream))
    assert [e.sequence_number for e in events] == list(range(len(events)))
    assert stream.result.text == "Shipped." and events[-1].response.output[-1].content[0].text == "Shipped."


def test_invalid_history_is_rejected_before_any_call(kit, admin):
    orphan = [{"role": "user", "content": "q"},
              {"type": "function_call", "call_id": "c9", "name": "main__sales__get_order_status",
               "arguments": "{}"}]
    with pytest.raises(SupervisorError, match="No tool output found for function call c9") as err:
        client(kit.spec_with(kit.UC_FUNCTION), admin).respond(orphan)
    assert err.value.cause == "request"


def test_a_model_503_is_retried(kit, script, emulator, fault_proxy):
    from agent_lib.workspace import client_for

    def unavailable_once(method, path, n):
        if (method, path) == ("POST", "/serving-endpoints/responses") and n == 1:
            body = b'{"error_code": "TEMPORARILY_UNAVAILABLE", "message": "busy"}'
            return 503, {"content-type": "application/json", "retry-after": "0"}, body
        return None

    fault_proxy.rule = unavailable_once
    script([{"text": "Fine.", "expect": ""}])
    w = client_for(fault_proxy.host, emulator.token)
    result = client(kit.spec_with(kit.UC_FUNCTION), w).respond("hi")
    assert result.text == "Fine."
    assert fault_proxy.count("POST", "/serving-endpoints/responses") == 2


def test_a_slow_tool_times_out_and_the_model_hears_it(kit, script, emulator, fault_proxy):
    from agent_lib.workspace import client_for

    def slow_knowledge_assistant(method, path, n):
        if path.startswith("/api/2.1/knowledge-assistants"):
            time.sleep(3)
        return None

    fault_proxy.rule = slow_knowledge_assistant
    script([
        {"tool_calls": [{"name": "knowledge_assistant_8c765842", "arguments": {"question": "refunds"}}]},
        {"text": "The policy lookup timed out.", "expect": "did not finish"},
    ])
    w = client_for(fault_proxy.host, emulator.token)
    result = client(kit.spec_with(kit.KNOWLEDGE_ASSISTANT), w, timeout_s=1).respond("refunds?")
    (call,) = result.tool_calls
    assert "did not finish within 1 s" in call.error
    assert result.text == "The policy lookup timed out."


def test_tokens_never_appear_in_errors(kit, emulator):
    from agent_lib.workspace import client_for

    token = "dapi" + "0123456789abcdef" * 2
    w = client_for(emulator.host, token)
    with pytest.raises(SupervisorError) as err:
        client(kit.spec_with(kit.UC_FUNCTION), w).respond("hi")
    assert err.value.status == 401 and token not in str(err.value)


def test_multi_turn_history_reaches_the_model(kit, script, admin):
    script([{"text": "Hi Ann.", "expect": "ann"}, {"text": "Your name is Ann.", "expect": "my name"}])
    sup = client(kit.spec_with(kit.UC_FUNCTION), admin)
    first = sup.respond("I am Ann")
    second = sup.respond(first.ask("what is my name?"))
    assert second.text == "Your name is Ann."
    assert [i["type"] for i in second.input] == ["message", "message", "message"]


def test_a_turn_is_traced_in_mlflow(kit, script, admin):
    import mlflow

    script([
        {"tool_calls": [{"name": "main__sales__get_order_status", "arguments": {"order_id": "SO-10042"}}]},
        {"text": "Shipped.", "expect": ""},
    ])
    result = Supervisor(kit.spec_with(kit.UC_FUNCTION), admin, engine="client").respond("SO-10042?")
    assert result.trace_id
    trace = mlflow.get_trace(result.trace_id, flush=True)
    spans = {(s.name, s.span_type) for s in trace.data.spans}
    assert ("main__sales__get_order_status", "TOOL") in spans
    assert any(kind == "AGENT" for _, kind in spans) and any(kind == "CHAT_MODEL" for _, kind in spans)
    root = next(s for s in trace.data.spans if s.parent_id is None)
    assert root.span_type == "AGENT" and root.outputs["text"] == "Shipped."
