"""AgentResult, stream events and retries on their own: no workspace needed."""

from __future__ import annotations

import json
import warnings

import httpx
import openai
import pytest
from openai.types.responses import Response

from agent_lib.errors import SupervisorError
from agent_lib.supervisor import AgentResult, RetryPolicy
from agent_lib.supervisor import events as ev
from agent_lib.supervisor.result import error_output, normalize_input, output_error
from agent_lib.supervisor.retry import status_of


def _response(output: list[dict]) -> Response:
    return ev.build_response(response_id="resp_1", model="m", output=output, usage=ev.usage_dict(10, 5))


def _result(output: list[dict]) -> AgentResult:
    return AgentResult.from_response(_response(output), normalize_input("hi"), engine="client")


CALL = ev.function_call_item(call_id="c1", name="main__sales__get_order_status",
                             arguments='{"order_id": "SO-1"}')
OUT = ev.function_call_output_item(call_id="c1", output='{"status": "SHIPPED"}')
FAILED_CALL = ev.function_call_item(call_id="c2", name="genie_01f0c0ff", arguments="not json")
FAILED_OUT = ev.function_call_output_item(call_id="c2", output=error_output("Genie is down"))
APPROVAL = ev.approval_request_item(name="create_ticket", arguments="{}", server_label="ticketing",
                                    request_id="mcpr_1")


def test_text_tool_calls_and_usage_from_output_items():
    result = _result([CALL, OUT, FAILED_CALL, FAILED_OUT, ev.message_item("Order SO-1 shipped.")])
    assert result.text == "Order SO-1 shipped."
    first, second = result.tool_calls
    assert (first.name, first.arguments, first.output, first.error) == (
        "main__sales__get_order_status", {"order_id": "SO-1"}, '{"status": "SHIPPED"}', None)
    assert second.arguments == {"_raw": "not json"} and second.error == "Genie is down"
    assert result.usage.total_tokens == 15
    assert result.pending_approvals == []


def test_approve_and_deny_build_the_follow_up_input():
    result = _result([CALL, OUT, APPROVAL])
    assert result.text == "" and [a.id for a in result.pending_approvals] == ["mcpr_1"]
    follow = result.approve()
    assert follow[0] == {"type": "message", "role": "user", "content": "hi"}
    assert [i["type"] for i in follow] == ["message", "function_call", "function_call_output",
                                           "mcp_approval_request", "mcp_approval_response"]
    assert follow[-1] == {"type": "mcp_approval_response", "id": "mcpr_1", "approval_request_id": "mcpr_1",
                          "approve": True}
    denied = result.deny("mcpr_1", reason="not now")
    assert denied[-1]["approve"] is False and denied[-1]["reason"] == "not now"
    assert result.follow_up({"mcpr_1": True}) == follow


def test_follow_up_rejects_unknown_requests():
    result = _result([APPROVAL])
    with pytest.raises(SupervisorError, match="no pending approval request 'mcpr_x'.*mcpr_1"):
        result.approve("mcpr_x")
    with pytest.raises(SupervisorError, match="no pending approval requests"):
        _result([ev.message_item("hi")]).approve()


def test_history_and_ask_echo_output_as_input_items():
    result = _result([CALL, OUT, ev.message_item("done")])
    nxt = result.ask("and order SO-2?")
    assert [i.get("type") for i in nxt] == ["message", "function_call", "function_call_output", "message",
                                            "message"]
    assert nxt[-1] == {"type": "message", "role": "user", "content": "and order SO-2?"}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        json.dumps(result.to_dict())


def test_normalize_input_accepts_strings_items_and_models():
    assert normalize_input("q") == [{"type": "message", "role": "user", "content": "q"}]
    user = {"type": "message", "role": "user", "content": "q"}
    assert normalize_input([{"role": "user", "content": "q"}]) == [user]
    assert normalize_input(_response([CALL]).output)[0]["call_id"] == "c1"
    for bad in ([], {"role": "user"}, [3]):
        with pytest.raises(SupervisorError):
            normalize_input(bad)


def test_error_output_round_trip():
    assert output_error(error_output("boom")) == "boom"
    assert output_error('{"error": "x", "more": 1}') is None
    assert output_error("plain text") is None


def test_event_writer_numbers_events_and_streams_text_word_by_word():
    writer = ev.EventWriter(response_id="resp_1", model="m")
    message = ev.message_item("Three little words")
    events = [writer.created(), writer.in_progress(), *writer.item(CALL, 0), *writer.item(message, 1),
              writer.completed(writer.response("completed", [CALL, message]))]
    assert [e.sequence_number for e in events] == list(range(len(events)))
    deltas = [e.delta for e in events if e.type == "response.output_text.delta"]
    assert "".join(deltas) == "Three little words" and len(deltas) == 3
    added = events[2]
    assert added.type == "response.output_item.added" and added.item.status == "in_progress"
    frame = ev.sse(events[0]).decode()
    assert frame.startswith("event: response.created\ndata: {") and frame.endswith("\n\n")


def _status_error(status: int, headers: dict[str, str] | None = None) -> openai.APIStatusError:
    request = httpx.Request("POST", "http://x/responses")
    response = httpx.Response(status, headers=headers or {}, request=request, json={"error_code": "X"})
    return openai.APIStatusError("boom", response=response, body={"error_code": "X", "message": "boom"})


def test_retry_repeats_only_429_and_503_with_backoff():
    waits: list[float] = []
    policy = RetryPolicy(attempts=3, backoff_s=0.5, sleep=waits.append)
    answers = iter([_status_error(503), _status_error(429, {"retry-after": "2"}), "ok"])

    def call() -> str:
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    assert policy.call(call) == "ok"
    assert waits == [0.5, 2.0]
    calls = []

    def bad_request() -> None:
        calls.append(1)
        raise _status_error(400)

    with pytest.raises(openai.APIStatusError):
        policy.call(bad_request)
    assert len(calls) == 1


def test_retry_gives_up_after_its_attempts():
    policy = RetryPolicy(attempts=2, backoff_s=0.01, sleep=lambda s: None)
    calls = []

    def unavailable() -> None:
        calls.append(1)
        raise _status_error(503)

    with pytest.raises(openai.APIStatusError):
        policy.call(unavailable)
    assert len(calls) == 2


def test_status_of_reads_sdk_errors_and_wrapped_errors():
    from databricks.sdk.errors import TemporarilyUnavailable

    assert status_of(TemporarilyUnavailable("down")) == 503
    try:
        try:
            raise _status_error(429)
        except openai.APIStatusError as inner:
            raise ValueError("wrapped") from inner
    except ValueError as outer:
        assert status_of(outer) == 429
    assert status_of(RuntimeError("x")) is None
