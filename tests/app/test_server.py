"""The agent App over real HTTP: invoke, stream (well-formed events, a proper end), every bad-input
case answered 400 with a JSON reason, a mid-stream failure as an in-band error event, the real
`openai` client reading both shapes without warnings, and user authorization's 401."""

from __future__ import annotations

import json
import warnings

import httpx
import pytest
from openai.types.responses import ResponseStreamEvent
from pydantic import TypeAdapter

ANSWER = "Order SO-10042 was delivered on 22 January."
ORDER_TURNS = None  # set per test from app_kit


@pytest.fixture
def order_app(serve_app, spec_file, scripted, app_kit):
    scripted([{"tool_calls": [app_kit.ORDER_CALL]}, {"text": ANSWER, "expect": "delivered"}])
    return serve_app(spec_file([app_kit.ORDER_TOOL]))


def test_health_info_and_chat_page(order_app):
    assert httpx.get(f"{order_app}/health").json() == {"status": "healthy"}
    assert httpx.get(f"{order_app}/agent/info").json()["agent_api"] == "responses"
    page = httpx.get(f"{order_app}/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "<title>agent-test</title>" in page.text and '"authorization": "app"' in page.text


def test_invoke_runs_the_tool_and_answers(order_app):
    r = httpx.post(f"{order_app}/invocations", timeout=60, headers={"x-mlflow-return-trace-id": "true"},
                   json={"input": [{"role": "user", "content": "Where is order SO-10042?"}]})
    assert r.status_code == 200, r.text
    body = r.json()
    kinds = [item["type"] for item in body["output"]]
    assert kinds == ["function_call", "function_call_output", "message"]
    assert body["output"][0]["name"] == "main__sales__get_order_status"
    assert "delivered" in body["output"][1]["output"]
    assert body["output"][2]["content"][0]["text"] == ANSWER
    assert body["metadata"]["trace_id"].startswith("tr-")


def test_stream_is_well_formed_and_ends_properly(order_app, app_kit):
    r = httpx.post(f"{order_app}/responses", timeout=60,
                   json={"input": "Where is order SO-10042?", "stream": True})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
    frames = app_kit.sse_frames(r.text)
    assert frames[-1] == "[DONE]"
    adapter = TypeAdapter(ResponseStreamEvent)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        events = [adapter.validate_python(json.loads(f)) for f in frames[:-1]]
    types = [e.type for e in events]
    assert types[0] == "response.created" and types[-1] == "response.completed"
    assert "error" not in types
    seq = [e.sequence_number for e in events]
    assert seq == sorted(seq) and len(set(seq)) == len(seq)
    done = [e.item for e in events if e.type == "response.output_item.done"]
    assert [i.type for i in done] == ["function_call", "function_call_output", "message"]
    deltas = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    assert deltas == ANSWER
    assert [i.type for i in events[-1].response.output] == ["function_call", "function_call_output",
                                                            "message"]


BAD = [
    ("empty body", b"", "body is empty"),
    ("malformed JSON", b'{"input": [', "not valid JSON"),
    ("not an object", b'["hi"]', "must be a JSON object"),
    ("no input", b'{"stream": true}', "`input` is missing"),
    ("wrong schema", b'{"input": [{"role": "user"}]}', "input[0].content"),
    ("wrong type", b'{"input": 42}', "input"),
    ("empty input", b'{"input": []}', "`input` is empty"),
    ("no user message", b'{"input": [{"role": "assistant", "content": "hi"}]}', "no user message"),
    ("blank question", b'{"input": "   "}', "`input` is empty"),
    ("blank message", b'{"input": [{"role": "user", "content": ""}]}', "empty content"),
]


@pytest.mark.parametrize("path", ["/invocations", "/responses"])
@pytest.mark.parametrize(("case", "body", "reason"), BAD, ids=[b[0] for b in BAD])
def test_bad_input_is_400_with_a_json_reason(order_app, path, case, body, reason):
    r = httpx.post(f"{order_app}{path}", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 400, (case, r.status_code, r.text)
    error = r.json()["error"]
    assert reason in error["message"] and error["param"]
    assert httpx.get(f"{order_app}/health").status_code == 200


def test_oversized_body_is_400_before_it_is_read(serve_app, spec_file, app_kit):
    url = serve_app(spec_file([app_kit.ORDER_TOOL]), max_body_bytes=10_000)
    big = json.dumps({"input": [{"role": "user", "content": "x" * 20_000}]}).encode()
    r = httpx.post(f"{url}/invocations", content=big, headers={"content-type": "application/json"})
    assert r.status_code == 400 and "too large" in r.json()["error"]["message"]

    def chunks():  # no content-length: the limit holds while reading
        for i in range(0, len(big), 4096):
            yield big[i:i + 4096]

    r = httpx.post(f"{url}/invocations", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 400 and "10000 bytes" in r.json()["error"]["message"]
    assert httpx.get(f"{url}/health").status_code == 200


def test_a_stream_failing_midway_ends_with_an_error_event(serve_app, spec_file, scripted, app_kit):
    scripted([{"tool_calls": [app_kit.ORDER_CALL]}])  # the second model call has no turn left: it fails
    url = serve_app(spec_file([app_kit.ORDER_TOOL]))
    r = httpx.post(f"{url}/invocations", timeout=60, json={"input": "Where is SO-10042?", "stream": True})
    assert r.status_code == 200
    frames = app_kit.sse_frames(r.text)
    assert frames[-1] == "[DONE]"
    events = [json.loads(f) for f in frames[:-1]]
    done = [e["item"]["type"] for e in events if e.get("type") == "response.output_item.done"]
    assert done == ["function_call", "function_call_output"]  # what ran before the failure is kept
    errors = [e for e in events if e.get("type") == "error"]
    assert len(errors) == 1 and events[-1] is errors[0] and errors[0]["message"]
    assert "Config:" not in errors[0]["message"] and "token" not in errors[0]["message"].lower()
    assert httpx.get(f"{url}/health").status_code == 200


def test_invoke_failure_is_a_json_error_and_the_server_stays_healthy(serve_app, spec_file, scripted, app_kit):
    scripted([])  # the model has no turn: the Supervisor fails
    url = serve_app(spec_file([app_kit.ORDER_TOOL]))
    r = httpx.post(f"{url}/invocations", timeout=60, json={"input": "Where is SO-10042?"})
    assert r.status_code == 502, r.text  # the model endpoint answered 400: an upstream failure, not ours
    error = r.json()["error"]
    assert error["code"] == "BAD_GATEWAY" and error["upstream_status"] == 400
    assert error["dependency"] == f"model endpoint {app_kit.MODEL}" and "scripted turn" in error["message"]
    assert httpx.get(f"{url}/health").status_code == 200


def test_the_openai_client_reads_both_shapes_without_warnings(serve_app, spec_file, scripted, app_kit):
    from openai import OpenAI

    scripted([{"tool_calls": [app_kit.ORDER_CALL]}, ANSWER, {"tool_calls": [app_kit.ORDER_CALL]}, ANSWER])
    url = serve_app(spec_file([app_kit.ORDER_TOOL]))
    client = OpenAI(base_url=url, api_key="unused-locally", max_retries=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        response = client.responses.create(model="agent-test", input="Where is SO-10042?")
        assert response.output_text == ANSWER
        response.model_dump(mode="json")
        with client.responses.create(model="agent-test", input="Where is SO-10042?", stream=True) as events:
            seen = [event for event in events]
        for event in seen:
            event.model_dump(mode="json")
    assert seen[-1].type == "response.completed" and seen[-1].response.output_text == ANSWER


def test_user_authorization_needs_the_forwarded_token(serve_app, spec_file, scripted, emulator, app_kit):
    scripted([{"tool_calls": [app_kit.ORDER_CALL]}, ANSWER])
    url = serve_app(spec_file([app_kit.ORDER_TOOL], authorization="user"))
    r = httpx.post(f"{url}/invocations", json={"input": "Where is SO-10042?"})
    assert r.status_code == 401
    assert "x-forwarded-access-token" in r.json()["error"]["message"]
    token = emulator.token_for("admin@example.com", ["all-apis"])
    r = httpx.post(f"{url}/invocations", timeout=60, json={"input": "Where is SO-10042?"},
                   headers={"x-forwarded-access-token": token})
    assert r.status_code == 200 and r.json()["output"][-1]["content"][0]["text"] == ANSWER
    assert token not in r.text


def test_a_denied_approval_is_answered_in_plain_words(serve_app, spec_file, app_kit):
    url = serve_app(spec_file([app_kit.TICKETING_TOOL], model="databricks-claude-sonnet-4-5"))
    question = [{"role": "user", "content": "Open a support ticket: the printer on floor 2 is broken"}]
    first = httpx.post(f"{url}/invocations", json={"input": question}, timeout=120).json()
    (request,) = [o for o in first["output"] if o["type"] == "mcp_approval_request"]
    follow_up = [*question, *first["output"], {"type": "mcp_approval_response",
                                               "approval_request_id": request["id"], "approve": False}]
    second = httpx.post(f"{url}/invocations", json={"input": follow_up}, timeout=120)
    assert second.status_code == 200, second.text
    answer = second.json()["output"][-1]["content"][0]["text"]
    assert "denied" in answer and "did not run" in answer
    assert "Do not call it again" not in second.text and "tell the user" not in second.text


def test_a_development_user_stands_in_for_the_missing_header(serve_app, spec_file, scripted, app_kit, caplog):
    scripted([{"tool_calls": [app_kit.ORDER_CALL]}, ANSWER])
    with caplog.at_level("WARNING", logger="agent_lib.app"):
        url = serve_app(spec_file([app_kit.ORDER_TOOL], authorization="user"), dev_user="admin@example.com")
    assert "DEVELOPMENT SETTING ON" in caplog.text and "admin@example.com" in caplog.text
    assert '"dev_user": "admin@example.com"' in httpx.get(f"{url}/").text  # the page says so too
    r = httpx.post(f"{url}/invocations", timeout=60, json={"input": "Where is SO-10042?"})
    assert r.status_code == 200 and r.json()["output"][-1]["content"][0]["text"] == ANSWER
