"""Serving endpoints through the real clients: WorkspaceClient, DatabricksOpenAI (chat and
Responses, plain and streaming, with function tools), plus raw HTTP for auth and errors."""

from __future__ import annotations

import json
import threading
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from databricks.sdk.errors import NotFound, PermissionDenied
from databricks.sdk.service.serving import ChatMessage, ChatMessageRole, EndpointStateReady

from agent_lib.emulator.core import demo_ids

ENDPOINT = "databricks-claude-sonnet-4-6"
KA_ENDPOINT = demo_ids.KNOWLEDGE_ASSISTANT_ENDPOINT
WEATHER_TOOL_CHAT = {"type": "function", "function": {
    "name": "get_weather", "description": "Current weather in a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}
WEATHER_TOOL_RESPONSES = {"type": "function", "name": "get_weather",
                          "description": "Current weather in a city",
                          "parameters": WEATHER_TOOL_CHAT["function"]["parameters"], "strict": True}
SCRIPT = [
    {"tool_calls": [{"name": "get_weather", "arguments": {"city": "Paris"}}], "expect": "weather in Paris"},
    {"text": "It is 21 °C and sunny in Paris.", "expect": "21"},
]


@pytest.fixture(scope="module")
def DatabricksOpenAI():  # noqa: N802 - the class, imported once (it takes seconds)
    from databricks_openai import DatabricksOpenAI

    return DatabricksOpenAI


@pytest.fixture
def admin_http(emulator) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=emulator.host, headers={"Authorization": f"Bearer {emulator.token}"},
                      timeout=30) as client:
        yield client


@pytest.fixture
def script(admin_http):
    """Put a scripted model behind ENDPOINT; checks it was used up, then restores the default."""
    def put(turns: list[Any], endpoint: str = ENDPOINT) -> None:
        r = admin_http.put(f"/_emulator/models/{endpoint}", json={"kind": "scripted", "turns": turns})
        assert r.status_code == 200, r.text
        used.append(endpoint)

    used: list[str] = []
    yield put
    for endpoint in used:
        done = admin_http.post(f"/_emulator/models/{endpoint}/assert-complete")
        admin_http.delete(f"/_emulator/models/{endpoint}")
        assert done.status_code == 200, done.json()["message"]


@pytest.fixture
def oai(DatabricksOpenAI, admin):
    client = DatabricksOpenAI(workspace_client=admin, max_retries=0)
    yield client
    client.close()


@contextmanager
def strict_warnings() -> Iterator[None]:
    """Every warning raised while the openai client parses is an error (GC noise aside)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.simplefilter("ignore", ResourceWarning)
        yield


# -- REST ---------------------------------------------------------------------------------------

def test_list_and_get_through_the_sdk(admin):
    names = {e.name for e in admin.serving_endpoints.list()}
    assert set(demo_ids.FOUNDATION_MODELS) <= names and KA_ENDPOINT in names
    ep = admin.serving_endpoints.get(ENDPOINT)
    assert ep.name == ENDPOINT and ep.task == "llm/v1/chat"
    assert len(ep.id) == 32 and int(ep.id, 16) >= 0
    assert ep.state.ready == EndpointStateReady.READY and ep.state.config_update.value == "NOT_UPDATING"
    (entity,) = ep.config.served_entities
    assert entity.foundation_model.name == ENDPOINT
    assert ep.permission_level.value == "CAN_MANAGE" and ep.creator
    assert admin.serving_endpoints.get(ENDPOINT).id == ep.id  # stable
    ka = admin.serving_endpoints.get(KA_ENDPOINT)
    assert ka.task == "agent/v1/responses"


def test_users_can_query_foundation_models_but_not_see_the_ka_endpoint(alice):
    ep = alice.serving_endpoints.get(ENDPOINT)
    assert ep.permission_level.value == "CAN_QUERY"
    names = {e.name for e in alice.serving_endpoints.list()}
    assert ENDPOINT in names and KA_ENDPOINT not in names
    with pytest.raises(PermissionDenied):
        alice.serving_endpoints.get(KA_ENDPOINT)


def test_unknown_endpoint_is_not_found(admin):
    with pytest.raises(NotFound, match="does not exist"):
        admin.serving_endpoints.get("no-such-endpoint")


def test_sdk_query_with_chat_messages(admin, script):
    script(["Hello from the scripted model."])
    hi = ChatMessage(role=ChatMessageRole.USER, content="hi")
    res = admin.serving_endpoints.query(ENDPOINT, messages=[hi], temperature=0.2, max_tokens=50)
    assert res.choices[0].message.content == "Hello from the scripted model."
    assert res.object.value == "chat.completion"
    assert res.usage.prompt_tokens > 0 and res.usage.completion_tokens > 0
    assert res.usage.total_tokens == res.usage.prompt_tokens + res.usage.completion_tokens


# -- chat completions ------------------------------------------------------------------------------

def test_chat_tool_call_then_answer_with_the_tool_output_in_history(oai, script):
    script(SCRIPT)
    messages: list[dict[str, Any]] = [{"role": "system", "content": "Be brief."},
                                      {"role": "user", "content": "What is the weather in Paris?"}]
    first = oai.chat.completions.create(model=ENDPOINT, messages=messages, tools=[WEATHER_TOOL_CHAT],
                                        temperature=0)
    choice = first.choices[0]
    assert choice.finish_reason == "tool_calls"
    (tc,) = choice.message.tool_calls
    assert tc.function.name == "get_weather" and json.loads(tc.function.arguments) == {"city": "Paris"}
    assert first.usage.prompt_tokens > 0
    messages.append(choice.message.model_dump(exclude_none=True))
    output = json.dumps({"temp_c": 21, "sky": "sunny"})
    messages.append({"role": "tool", "tool_call_id": tc.id, "content": output})
    second = oai.chat.completions.create(model=ENDPOINT, messages=messages, tools=[WEATHER_TOOL_CHAT])
    assert second.choices[0].finish_reason == "stop"
    assert second.choices[0].message.content == "It is 21 °C and sunny in Paris."
    assert second.usage.prompt_tokens > first.usage.prompt_tokens  # the history grew


def test_chat_streaming_text_and_tool_calls(oai, script):
    script([{"tool_calls": [{"name": "get_weather", "arguments": {"city": "Oslo"}}]},
            "Cold and clear in Oslo today, around minus four degrees."])
    with strict_warnings():
        chunks = list(oai.chat.completions.create(model=ENDPOINT, stream=True, tools=[WEATHER_TOOL_CHAT],
                                                  messages=[{"role": "user", "content": "Weather in Oslo?"}]))
        for c in chunks:
            c.model_dump()
    deltas = [tc for c in chunks for tc in (c.choices[0].delta.tool_calls or [])]
    args = "".join(tc.function.arguments or "" for tc in deltas)
    names = [tc.function.name for tc in deltas if tc.function.name]
    assert names == ["get_weather"] and json.loads(args) == {"city": "Oslo"}
    assert chunks[-1].choices[0].finish_reason == "tool_calls" and chunks[-1].usage.total_tokens > 0

    with strict_warnings():
        chunks = list(oai.chat.completions.create(model=ENDPOINT, stream=True,
                                                  messages=[{"role": "user", "content": "Weather in Oslo?"}]))
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert text == "Cold and clear in Oslo today, around minus four degrees."
    assert len(chunks) > 3 and chunks[0].choices[0].delta.role == "assistant"
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert len({c.id for c in chunks}) == 1


def test_chat_stream_ends_with_done_on_the_wire(admin_http, script):
    script(["short answer"])
    r = admin_http.post("/serving-endpoints/chat/completions", json={
        "model": ENDPOINT, "stream": True, "messages": [{"role": "user", "content": "q"}]})
    assert r.headers["content-type"].startswith("text/event-stream")
    frames = [f for f in r.text.split("\n\n") if f]
    assert all(f.startswith("data: ") for f in frames) and frames[-1] == "data: [DONE]"


# -- Responses --------------------------------------------------------------------------------------

def test_responses_tool_call_then_answer_with_function_call_output(oai, script):
    script(SCRIPT)
    history: list[Any] = [{"role": "user", "content": "What is the weather in Paris?"}]
    first = oai.responses.create(model=ENDPOINT, input=history, tools=[WEATHER_TOOL_RESPONSES],
                                 instructions="Use tools.")
    (call,) = [o for o in first.output if o.type == "function_call"]
    assert call.name == "get_weather" and json.loads(call.arguments) == {"city": "Paris"} and call.call_id
    assert first.status == "completed" and first.usage.input_tokens > 0 and first.usage.output_tokens > 0
    history += [o.model_dump(exclude_none=True) for o in first.output]
    history.append({"type": "function_call_output", "call_id": call.call_id, "output": '{"temp_c": 21}'})
    second = oai.responses.create(model=ENDPOINT, input=history, tools=[WEATHER_TOOL_RESPONSES])
    assert second.output_text == "It is 21 °C and sunny in Paris."
    assert second.output[0].type == "message" and second.output[0].role == "assistant"


def test_responses_streaming_events_in_order(oai, script):
    answer = "The order ships tomorrow by UPS, with tracking sent by email."
    script([answer, {"tool_calls": [{"name": "get_weather", "arguments": {"city": "Rome"}}]}])
    with strict_warnings():
        events = list(oai.responses.create(model=ENDPOINT, input="When does my order ship?", stream=True))
        for e in events:
            type(e).model_validate(e.model_dump())
    kinds = [e.type for e in events]
    assert kinds[:4] == ["response.created", "response.in_progress", "response.output_item.added",
                         "response.content_part.added"]
    assert kinds[-4:] == ["response.output_text.done", "response.content_part.done",
                          "response.output_item.done", "response.completed"]
    assert kinds.count("response.output_text.delta") >= 3
    assert [e.sequence_number for e in events] == list(range(len(events)))
    deltas = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    assert deltas == answer and events[-1].response.output_text == answer
    assert events[-1].response.usage.total_tokens > 0

    with strict_warnings():
        events = list(oai.responses.create(model=ENDPOINT, input="Weather in Rome?", stream=True,
                                           tools=[WEATHER_TOOL_RESPONSES]))
    kinds = [e.type for e in events]
    assert "response.function_call_arguments.done" in kinds
    done = [e for e in events if e.type == "response.output_item.done"][0]
    assert done.item.type == "function_call" and json.loads(done.item.arguments) == {"city": "Rome"}


def test_responses_stream_wire_format(admin_http, script):
    script(["hello"])
    r = admin_http.post("/serving-endpoints/responses",
                        json={"model": ENDPOINT, "input": "hi", "stream": True})
    frames = [f for f in r.text.split("\n\n") if f]
    first_lines = frames[0].split("\n")
    assert first_lines[0] == "event: response.created" and first_lines[1].startswith("data: {")
    assert json.loads(first_lines[1][6:])["sequence_number"] == 0
    assert frames[-1].startswith("event: response.completed")


def test_invocations_accepts_responses_input(admin_http, script):
    script(["via invocations"])
    r = admin_http.post(f"/serving-endpoints/{ENDPOINT}/invocations",
                        json={"input": [{"role": "user", "content": [{"type": "input_text", "text": "q"}]}]})
    assert r.status_code == 200 and r.json()["object"] == "response"
    assert r.json()["output"][0]["content"][0]["text"] == "via invocations"
    assert r.headers["served-model-name"] == ENDPOINT


# -- access, scopes, errors -----------------------------------------------------------------------

def test_http_errors_are_databricks_envelopes(emulator, admin_http):
    anon = httpx.post(f"{emulator.host}/serving-endpoints/chat/completions",
                      json={"model": ENDPOINT, "messages": [{"role": "user", "content": "q"}]})
    assert anon.status_code == 401 and anon.json()["error_code"] == "UNAUTHENTICATED"
    bad_token = httpx.get(f"{emulator.host}/api/2.0/serving-endpoints",
                          headers={"Authorization": "Bearer dapi-not-a-token"})
    assert bad_token.status_code == 401

    q = [{"role": "user", "content": "q"}]
    cases = [
        ("/serving-endpoints/chat/completions", {"model": "nope", "messages": q},
         404, "RESOURCE_DOES_NOT_EXIST", "nope"),
        ("/serving-endpoints/nope/invocations", {"messages": [{"role": "user", "content": "q"}]},
         404, "RESOURCE_DOES_NOT_EXIST", "nope"),
        ("/serving-endpoints/chat/completions", {"model": ENDPOINT, "messages": [], "tempurature": 1},
         400, "INVALID_PARAMETER_VALUE", "tempurature"),
        ("/serving-endpoints/responses", {"model": ENDPOINT, "input": "q", "frobnicate": True},
         400, "INVALID_PARAMETER_VALUE", "frobnicate"),
        ("/serving-endpoints/chat/completions", {"messages": [{"role": "user", "content": "q"}]},
         400, "INVALID_PARAMETER_VALUE", "model"),
        ("/serving-endpoints/chat/completions",
         {"model": ENDPOINT, "messages": [{"role": "wizard", "content": "q"}]},
         400, "INVALID_PARAMETER_VALUE", "messages[0].role"),
        ("/serving-endpoints/chat/completions", {"model": ENDPOINT, "temperature": 7,
                                                 "messages": [{"role": "user", "content": "q"}]},
         400, "INVALID_PARAMETER_VALUE", "temperature"),
        ("/serving-endpoints/chat/completions", {"model": ENDPOINT, "messages": q,
                                                 "tools": [{"type": "retrieval"}]},
         400, "INVALID_PARAMETER_VALUE", "tools[0].type"),
        ("/serving-endpoints/responses", {"model": ENDPOINT, "input": "q",
                                          "tools": [{"type": "genie_space", "genie_space": {"id": "x"}}]},
         400, "INVALID_PARAMETER_VALUE", "Supervisor API"),
        ("/serving-endpoints/responses", {"model": ENDPOINT, "input": [{"type": "function_call_output"}]},
         400, "INVALID_PARAMETER_VALUE", "input[0].call_id"),
        (f"/serving-endpoints/{ENDPOINT}/invocations", {"dataframe_records": [{"a": 1}]},
         400, "INVALID_PARAMETER_VALUE", "dataframe"),
        (f"/serving-endpoints/{ENDPOINT}/invocations", {}, 400, "INVALID_PARAMETER_VALUE", "messages"),
        (f"/serving-endpoints/{ENDPOINT}/invocations", {"messages": [{"role": "user", "content": "q"}],
                                                        "instructions": "x"},
         400, "INVALID_PARAMETER_VALUE", "instructions"),
        (f"/serving-endpoints/{KA_ENDPOINT}/invocations", {"input": "q", "tools": [WEATHER_TOOL_RESPONSES]},
         400, "INVALID_PARAMETER_VALUE", "tools"),
    ]
    for path, body, status, code, fragment in cases:
        r = admin_http.post(path, json=body)
        assert (r.status_code, r.json()["error_code"]) == (status, code), (path, body, r.text)
        assert fragment in r.json()["message"], (path, r.json())


def test_narrowed_tokens_need_a_serving_scope(emulator):
    body = {"model": ENDPOINT, "messages": [{"role": "user", "content": "q"}]}
    sql_only = emulator.token_for("alice@example.com", scopes=["sql"])
    r = httpx.post(f"{emulator.host}/serving-endpoints/chat/completions", json=body,
                   headers={"Authorization": f"Bearer {sql_only}"})
    assert r.status_code == 403 and "model-serving" in r.json()["message"]
    for scope in ("model-serving", "serving.serving-endpoints"):
        token = emulator.token_for("alice@example.com", scopes=[scope])
        r = httpx.get(f"{emulator.host}/api/2.0/serving-endpoints/{ENDPOINT}",
                      headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 200, r.text


def test_openai_client_sees_permission_and_not_found_errors(DatabricksOpenAI, alice, oai):
    import openai

    with pytest.raises(openai.NotFoundError):
        oai.chat.completions.create(model="no-such-endpoint", messages=[{"role": "user", "content": "q"}])
    as_alice = DatabricksOpenAI(workspace_client=alice, max_retries=0)
    with pytest.raises(openai.PermissionDeniedError, match="CAN_QUERY"):
        as_alice.responses.create(model=KA_ENDPOINT, input="How long is the laptop warranty?")


def test_latency_injection(emulator, admin_http, script):
    script(["one", "two"])
    body = {"model": ENDPOINT, "messages": [{"role": "user", "content": "q"}]}
    t0 = time.perf_counter()
    admin_http.post("/serving-endpoints/chat/completions", json=body)
    fast = time.perf_counter() - t0
    emulator.state.config.model_latency_ms = 150
    try:
        t0 = time.perf_counter()
        admin_http.post("/serving-endpoints/chat/completions", json=body)
        slow = time.perf_counter() - t0
    finally:
        emulator.state.config.model_latency_ms = 0
    assert slow >= 0.15 and slow > fast


# -- passthrough ------------------------------------------------------------------------------------

class _FakeOpenAI(BaseHTTPRequestHandler):
    seen: list[dict[str, Any]] = []
    fail = False

    def do_POST(self) -> None:  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).seen.append({"path": self.path, "auth": self.headers.get("Authorization"), "body": body})
        if type(self).fail:
            self._send(503, {"error": {"message": "overloaded"}})
            return
        if body.get("tools") and body["messages"][-1]["role"] == "user":
            message = {"role": "assistant", "content": None, "tool_calls": [{
                "id": "call_fake_1", "type": "function",
                "function": {"name": body["tools"][0]["function"]["name"], "arguments": '{"city": "Lima"}'}}]}
            finish = "tool_calls"
        else:
            message = {"role": "assistant", "content": f"upstream saw {len(body['messages'])} messages"}
            finish = "stop"
        self._send(200, {"id": "x", "object": "chat.completion", "created": 1, "model": body["model"],
                         "choices": [{"index": 0, "message": message, "finish_reason": finish}],
                         "usage": {"prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18}})

    def _send(self, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def fake_openai() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FakeOpenAI)
    _FakeOpenAI.seen, _FakeOpenAI.fail = [], False
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()


def test_passthrough_forwards_tools_and_history(oai, admin_http, fake_openai, monkeypatch):
    monkeypatch.setenv("FAKE_LLM_KEY", "sk-local-test")
    r = admin_http.put(f"/_emulator/models/{ENDPOINT}", json={
        "kind": "passthrough", "base_url": fake_openai, "model": "tiny-llm", "api_key_env": "FAKE_LLM_KEY"})
    assert r.status_code == 200 and "sk-local-test" not in r.text
    try:
        first = oai.responses.create(model=ENDPOINT, input="Weather in Lima?", tools=[WEATHER_TOOL_RESPONSES])
        (call,) = [o for o in first.output if o.type == "function_call"]
        assert call.call_id == "call_fake_1" and json.loads(call.arguments) == {"city": "Lima"}
        assert (first.usage.input_tokens, first.usage.output_tokens) == (11, 7)
        sent = _FakeOpenAI.seen[-1]
        assert sent["path"] == "/v1/chat/completions" and sent["auth"] == "Bearer sk-local-test"
        assert sent["body"]["model"] == "tiny-llm"
        assert sent["body"]["tools"][0] == {"type": "function", "function": {
            "name": "get_weather", "description": "Current weather in a city",
            "parameters": WEATHER_TOOL_CHAT["function"]["parameters"]}}

        second = oai.responses.create(model=ENDPOINT, tools=[WEATHER_TOOL_RESPONSES], input=[
            {"role": "user", "content": "Weather in Lima?"}, call.model_dump(exclude_none=True),
            {"type": "function_call_output", "call_id": call.call_id, "output": "18 C"}])
        assert second.output_text == "upstream saw 3 messages"
        msgs = _FakeOpenAI.seen[-1]["body"]["messages"]
        assert msgs[1]["tool_calls"][0]["id"] == "call_fake_1"
        assert msgs[2] == {"role": "tool", "tool_call_id": "call_fake_1", "content": "18 C"}

        _FakeOpenAI.fail = True
        r = admin_http.post("/serving-endpoints/chat/completions",
                            json={"model": ENDPOINT, "messages": [{"role": "user", "content": "q"}]})
        assert r.status_code == 502 and "503" in r.json()["message"]
    finally:
        admin_http.delete(f"/_emulator/models/{ENDPOINT}")
