"""Engine `hosted`: DatabricksOpenAI(use_ai_gateway=True) against the emulated Supervisor API, and
against a fault proxy that answers with the gateway's irregular shapes (supervisor-api.md §4, §8)."""

from __future__ import annotations

import json
import warnings

import pytest

from agent_lib.errors import SupervisorError
from agent_lib.supervisor import Supervisor
from agent_lib.supervisor import events as ev

PATH = "/ai-gateway/mlflow/v1/responses"


def hosted(spec, w, **kw) -> Supervisor:
    kw.setdefault("tracing", False)
    return Supervisor(spec, w, engine="hosted", **kw)


def collect(stream) -> tuple[list, SupervisorError | None]:
    events: list = []
    try:
        for event in stream:
            events.append(event)
    except SupervisorError as exc:
        return events, exc
    return events, None


def test_tool_turn_round_trip_with_strict_parsing(kit, script, admin):
    script([
        {"tool_calls": [{"name": "main__sales__get_order_status", "arguments": {"order_id": "SO-10042"}}]},
        {"text": "Order SO-10042 was delivered.", "expect": "delivered"},
    ])
    result = hosted(kit.spec_with(kit.UC_FUNCTION), admin).respond("Where is SO-10042?")
    with warnings.catch_warnings():  # the in-process emulator's own warnings must not count: after the call
        warnings.simplefilter("error")
        for item in result.output:
            item.model_dump(mode="json")
    assert result.engine == "hosted" and result.text == "Order SO-10042 was delivered."
    (call,) = result.tool_calls
    assert call.name == "main__sales__get_order_status" and "delivered" in call.output
    assert call.duration_s is None  # the service ran it
    assert result.usage.total_tokens > 0


@pytest.mark.parametrize("tool, name, arguments, expect", [
    ("GENIE", "genie_01f0c0ff", {"question": "revenue by region"}, "sql"),
    ("KNOWLEDGE_ASSISTANT", "knowledge_assistant_8c765842", {"question": "refund timing"}, "refund"),
    ("CONVERT", "main__sales__convert_currency",
     {"amount": 10, "from_currency": "USD", "to_currency": "EUR"}, ""),
])
def test_each_hosted_tool_type_runs_server_side(kit, script, admin, tool, name, arguments, expect):
    script([{"tool_calls": [{"name": name, "arguments": arguments}]}, {"text": "ok", "expect": expect}])
    stream = hosted(kit.spec_with(getattr(kit, tool)), admin).stream("question")
    events, error = collect(stream)
    assert error is None, error
    assert [e.sequence_number for e in events] == list(range(len(events)))
    kit.strict_events(events)
    (call,) = kit.strict_result(stream.result).tool_calls
    assert call.name == name and call.error is None, call.error


def test_mcp_approval_round_trip_hosted(kit, script, admin):
    script([
        {"tool_calls": [{"name": "search_tickets", "arguments": {"query": "refund"}}]},
        {"text": "Found refund tickets.", "expect": "TCK-"},
    ])
    sup = hosted(kit.spec_with(kit.TICKETING), admin)
    first = kit.strict_result(sup.respond("refund tickets?"))
    (request,) = first.pending_approvals
    assert request.server_label == "ticketing" and request.name == "search_tickets"
    second = kit.strict_result(sup.respond(first.approve()))
    assert [c.name for c in second.tool_calls] == ["search_tickets"]
    assert second.text == "Found refund tickets."


def test_denied_approval_hosted(kit, script, admin):
    script([
        {"tool_calls": [{"name": "app_agent_lib_helpdesk", "arguments": {"question": "VPN?"}}]},
        {"text": "I did not ask the helpdesk.", "expect": "denied"},
    ])
    sup = hosted(kit.spec_with(kit.HELPDESK), admin)
    first = sup.respond("VPN broken")
    second = kit.strict_result(sup.respond(first.deny()))
    assert second.text == "I did not ask the helpdesk." and second.tool_calls[0].error


@pytest.mark.parametrize("streaming", [False, True])
def test_auto_approve_sends_the_follow_up_itself(kit, script, admin, streaming):
    script([
        {"tool_calls": [{"name": "get_ticket", "arguments": {"ticket_id": "TCK-1001"}}]},
        {"text": "TCK-1001 is open.", "expect": "TCK-1001"},
    ])
    sup = hosted(kit.spec_with(kit.TICKETING), admin, auto_approve=["ticketing"])
    if streaming:
        stream = sup.stream("TCK-1001?")
        events, error = collect(stream)
        assert error is None, error
        result = stream.result
        assert [e.sequence_number for e in events] == list(range(len(events)))
        assert [e.type for e in events].count("response.created") == 1
        assert "mcp_approval_request" not in [getattr(e, "item", None) and e.item.type for e in events]
        indexes = sorted({e.output_index for e in events if e.type == "response.output_item.done"})
        assert indexes == list(range(len(result.output)))
    else:
        result = sup.respond("TCK-1001?")
    kit.strict_result(result)
    assert result.pending_approvals == [] and result.text == "TCK-1001 is open."
    assert [i.type for i in result.output] == ["function_call", "function_call_output", "message"]


def test_background_mode_polls_until_done_and_drops_echoed_history(kit, script, admin):
    script([{"text": "Hi Ann.", "expect": "ann"},
            {"tool_calls": [{"name": "main__sales__get_order_status",
                             "arguments": {"order_id": "SO-10042"}}]},
            {"text": "It was delivered.", "expect": "delivered"}])
    sup = hosted(kit.spec_with(kit.UC_FUNCTION), admin)
    first = sup.respond("I am Ann", background=True, poll_interval_s=0.05)
    assert first.text == "Hi Ann." and first.status == "completed"
    second = sup.respond(first.ask("where is SO-10042?"), background=True, poll_interval_s=0.05)
    assert [i.type for i in second.output] == ["function_call", "function_call_output", "message"]
    assert second.text == "It was delivered."


def test_background_cap_cancels_the_response(kit, admin, emulator, fault_proxy):
    from agent_lib.workspace import client_for

    running = ev.build_response(response_id="resp_slow", model=kit.MODEL, status="in_progress",
                                background=True).model_dump_json().encode()

    def never_done(method, path, n):
        if path == PATH and method == "POST" or path == f"{PATH}/resp_slow":
            return 200, {"content-type": "application/json"}, running
        if path == f"{PATH}/resp_slow/cancel":
            return 200, {"content-type": "application/json"}, running.replace(b"in_progress", b"cancelled")
        return None

    fault_proxy.rule = never_done
    sup = hosted(kit.spec_with(kit.UC_FUNCTION), client_for(fault_proxy.host, emulator.token))
    with pytest.raises(SupervisorError, match="still in_progress after 0.3 s and was cancelled") as err:
        sup.respond("slow", background=True, poll_interval_s=0.05, max_wait_s=0.3)
    assert err.value.cause == "timeout"
    assert fault_proxy.count("POST", f"{PATH}/resp_slow/cancel") == 1


@pytest.mark.parametrize("options, match", [
    ({"temperature": 0.2}, "temperature is not supported when tools are provided"),
    ({"top_p": 0.9}, "top_p is not supported when tools are provided"),
    ({"tools": []}, "tools must be a non-empty list"),
    ({"previous_response_id": "resp_1"}, "previous_response_id is not supported"),
])
def test_what_upstream_rejects_is_rejected_locally(kit, emulator, fault_proxy, options, match):
    from agent_lib.workspace import client_for

    w = client_for(fault_proxy.host, emulator.token)
    sup = hosted(kit.spec_with(kit.UC_FUNCTION), w, options=options)
    with pytest.raises(SupervisorError, match=match) as err:
        sup.respond("hi")
    assert err.value.cause == "request"
    assert fault_proxy.count("POST", PATH) == 0


def test_stream_with_background_is_rejected_locally(kit, admin):
    sup = hosted(kit.spec_with(kit.UC_FUNCTION), admin, options={"background": True})
    with pytest.raises(SupervisorError, match="stream and background cannot both be true"):
        sup.stream("hi")


# -- the gateway's error shapes, served by the fault proxy -------------------------------------------

def _completed(output=(), status="completed", error=None) -> dict:
    response = ev.build_response(response_id="resp_x", model="databricks-claude-haiku-4-5",
                                 output=list(output), status=status, error=error)
    return response.model_dump(mode="json")


def _serve(fault_proxy, status: int, body: bytes, content_type: str = "text/event-stream") -> None:
    def rule(method, path, n):
        if (method, path) == ("POST", PATH):
            return status, {"content-type": content_type}, body
        return None

    fault_proxy.rule = rule


@pytest.fixture
def proxied(kit, emulator, fault_proxy):
    from agent_lib.workspace import client_for

    return hosted(kit.spec_with(kit.UC_FUNCTION), client_for(fault_proxy.host, emulator.token))


def test_error_event_then_lying_completed_is_a_failure(kit, fault_proxy, proxied):
    message = ev.message_item("partial")
    _serve(fault_proxy, 200, kit.sse_body(
        {"type": "response.created", "sequence_number": 0, "response": _completed(status="in_progress")},
        {"type": "error", "sequence_number": 1, "code": "oauth",
         "message": "Credential for user identity('1') is not found for the connection 'ticketing'."},
        {"type": "response.completed", "sequence_number": 2, "response": _completed([message])},
    ))
    events, error = collect(proxied.stream("hi"))
    kit.strict_events(events)
    assert [e.type for e in events] == ["response.created", "error"]
    assert error.cause == "stream" and "(oauth)" in str(error) and "ticketing" in str(error)


def test_error_event_with_databricks_error_code(kit, fault_proxy, proxied):
    _serve(fault_proxy, 200, kit.sse_body(
        ("error", {"type": "error", "sequence_number": 0, "error_code": "INVALID_PARAMETER_VALUE",
                   "message": "tools[0]: bad"}),
    ))
    events, error = collect(proxied.stream("hi"))
    assert events[-1].type == "error" and events[-1].code == "INVALID_PARAMETER_VALUE"
    assert "tools[0]: bad" in str(error)


def test_a_5xx_before_streaming_becomes_an_error_event_and_an_exception(fault_proxy, proxied):
    body = b'{"error_code": "INTERNAL_ERROR", "message": "the supervisor crashed"}'
    _serve(fault_proxy, 500, body, "application/json")
    events, error = collect(proxied.stream("hi"))
    assert [e.type for e in events] == ["error"] and events[0].sequence_number == 0
    assert error.status == 500 and error.cause == "http" and "the supervisor crashed" in str(error)
    with pytest.raises(SupervisorError, match="500 INTERNAL_ERROR: the supervisor crashed"):
        proxied.respond("hi")


def test_feature_disabled_404_names_the_gateway(fault_proxy, proxied):
    body = b'{"error_code": "FEATURE_DISABLED", "message": "AI Gateway is not available for this workspace."}'
    _serve(fault_proxy, 404, body, "application/json")
    with pytest.raises(SupervisorError, match="404 FEATURE_DISABLED: AI Gateway is not available") as err:
        proxied.respond("hi")
    assert "Supervisor API at http://127.0.0.1" in str(err.value)


def test_a_failed_response_is_an_error_even_as_json(fault_proxy, proxied):
    failed = _completed(status="failed", error={"code": "server_error", "message": "tool execution failed"})
    _serve(fault_proxy, 200, json.dumps(failed).encode(), "application/json")
    with pytest.raises(SupervisorError, match="failed response resp_x: tool execution failed") as err:
        proxied.respond("hi")
    assert err.value.cause == "response"


def test_a_completed_envelope_carrying_an_error_is_a_failure(fault_proxy, proxied):
    lying = _completed(error={"code": "server_error", "message": "Genie timed out"})
    _serve(fault_proxy, 200, json.dumps(lying).encode(), "application/json")
    with pytest.raises(SupervisorError, match="Genie timed out"):
        proxied.respond("hi")


def test_response_failed_event(kit, fault_proxy, proxied):
    failed = _completed(status="failed", error={"code": "server_error", "message": "model overloaded"})
    event = {"type": "response.failed", "sequence_number": 0, "response": failed}
    _serve(fault_proxy, 200, kit.sse_body(event))
    events, error = collect(proxied.stream("hi"))
    assert [e.type for e in events] == ["response.failed", "error"]
    assert error.cause == "response" and "model overloaded" in str(error)


def test_data_with_a_top_level_error_key(kit, fault_proxy, proxied):
    _serve(fault_proxy, 200, b'data: {"error": {"message": "upstream exploded"}}\n\n')
    events, error = collect(proxied.stream("hi"))
    assert [e.type for e in events] == ["error"] and "upstream exploded" in str(error)
    assert error.cause == "stream"


def test_a_stream_without_completed_is_a_failure(kit, fault_proxy, proxied):
    _serve(fault_proxy, 200, kit.sse_body(
        {"type": "response.created", "sequence_number": 0, "response": _completed(status="in_progress")}))
    events, error = collect(proxied.stream("hi"))
    assert error.cause == "stream" and "without response.completed" in str(error)
    assert events[-1].type == "error"


def test_completed_with_empty_output_keeps_the_streamed_items(kit, fault_proxy, proxied):
    message = ev.message_item("Streamed answer.")
    _serve(fault_proxy, 200, kit.sse_body(
        {"type": "response.created", "sequence_number": 0, "response": _completed(status="in_progress")},
        {"type": "response.output_item.added", "sequence_number": 1, "output_index": 0,
         "item": {**message, "status": "in_progress", "content": []}},
        {"type": "response.output_item.done", "sequence_number": 2, "output_index": 0, "item": message},
        {"type": "response.completed", "sequence_number": 3, "response": _completed([])},
    ))
    stream = proxied.stream("hi")
    events, error = collect(stream)
    assert error is None and stream.result.text == "Streamed answer."


def test_sequence_numbers_are_renumbered_to_grow(kit, fault_proxy, proxied):
    message = ev.message_item("ok")
    _serve(fault_proxy, 200, kit.sse_body(
        {"type": "response.created", "sequence_number": 7, "response": _completed(status="in_progress")},
        {"type": "response.output_item.done", "sequence_number": 3, "output_index": 0, "item": message},
        {"type": "response.completed", "sequence_number": 3, "response": _completed([message])},
    ))
    events, error = collect(proxied.stream("hi"))
    assert error is None and [e.sequence_number for e in events] == [0, 1, 2]


def test_tokens_never_appear_in_hosted_errors(kit, emulator):
    from agent_lib.workspace import client_for

    token = "dapi" + "fedcba9876543210" * 2
    with pytest.raises(SupervisorError) as err:
        hosted(kit.spec_with(kit.UC_FUNCTION), client_for(emulator.host, token)).respond("hi")
    assert err.value.status == 401 and token not in str(err.value)


def test_hosted_turns_are_traced_with_tool_spans(kit, script, admin):
    import mlflow

    script([
        {"tool_calls": [{"name": "main__sales__get_order_status", "arguments": {"order_id": "SO-10042"}}]},
        {"text": "Delivered.", "expect": ""},
    ])
    result = Supervisor(kit.spec_with(kit.UC_FUNCTION), admin, engine="hosted").respond("SO-10042?")
    trace = mlflow.get_trace(result.trace_id, flush=True)
    kinds = {(s.name, s.span_type) for s in trace.data.spans}
    assert ("main__sales__get_order_status", "TOOL") in kinds and any(k == "AGENT" for _, k in kinds)
