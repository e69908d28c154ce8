"""The emulated Supervisor API: validation (supervisor-api.md §13), auth and scopes, the response
object and SSE stream as the real openai client reads them, stored responses, background runs."""

from __future__ import annotations

import json
import time
import warnings
from collections.abc import Iterator
from typing import Any

import httpx
import openai
import pytest
from openai.types.responses import Response, ResponseStreamEvent
from pydantic import TypeAdapter

MODEL = "databricks-claude-haiku-4-5"
PATH = "/ai-gateway/mlflow/v1/responses"
UC = {"type": "uc_function", "uc_function": {"name": "main.sales.get_order_status",
                                             "description": "Look up one order by its id."}}
FN = {"type": "function", "name": "lookup_weather", "description": "Weather for a city.",
      "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}


@pytest.fixture
def script(scripted_model, demo_tools) -> Any:
    """The scripted model's turns (the shared `scripted_model`, which scripts MODEL)."""
    assert demo_tools.MODEL == MODEL
    return scripted_model


def post(emulator, body: Any, *, token: str | None = None, path: str = PATH, **kw) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token or emulator.token}"}
    if isinstance(body, bytes):
        headers["Content-Type"] = "application/json"
        return httpx.post(emulator.host + path, content=body, headers=headers, timeout=60, **kw)
    return httpx.post(emulator.host + path, json=body, headers=headers, timeout=60, **kw)


def body(**fields: Any) -> dict[str, Any]:
    return {"model": MODEL, "input": "Where is order SO-10042?", "tools": [UC], **fields}


def strict_response(data: dict[str, Any]) -> Response:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        response = Response.model_validate(data)
        response.model_dump(mode="json")
    return response


# -- validation ------------------------------------------------------------------------------------

ORPHAN_CALL = [{"role": "user", "content": "q"},
               {"type": "function_call", "call_id": "c1", "name": "lookup_weather", "arguments": "{}"}]
ORPHAN_OUTPUT = [{"role": "user", "content": "q"},
                 {"type": "function_call_output", "call_id": "c1", "output": "x"}]
LOOSE_APPROVAL = [{"role": "user", "content": "q"},
                  {"type": "mcp_approval_response", "approval_request_id": "mcpr_1", "approve": True}]
GENIE = {"id": "01f0c0ffee5a1e5d4a7a5e5a1e5c0de1", "description": "Sales data."}

RULES = [
    ("model missing", {"input": "hi"}, "model"),
    ("model unsupported", {"model": "databricks-gpt-5-2", "input": "hi"}, "model 'databricks-gpt-5-2'"),
    ("input missing", {"model": MODEL}, "input"),
    ("input empty", {"model": MODEL, "input": "  "}, "input must not be empty"),
    ("input empty list", {"model": MODEL, "input": []}, "input must be"),
    ("input item type", {"model": MODEL, "input": [{"type": "reasoning"}]}, "input[0].type"),
    ("input role", {"model": MODEL, "input": [{"role": "tool", "content": "x"}]}, "input[0].role"),
    ("input id too long", {"model": MODEL, "input": [{"role": "user", "content": "x", "id": "m" * 65}]},
     "input[0].id"),
    ("tools empty", body(tools=[]), "tools must be a non-empty array"),
    ("tools null", body(tools=None), "tools must be a non-empty array"),
    ("flat tool", body(tools=[{"type": "genie_space", **GENIE}]), "tools[0].genie_space is required"),
    ("retired tool", body(tools=[{"type": "genie", "genie": GENIE}]), "tools[0].type 'genie'"),
    ("retired agent_endpoint", body(tools=[{"type": "agent_endpoint", "agent_endpoint": {}}]),
     "tools[0].type 'agent_endpoint'"),
    ("unknown tool", body(tools=[{"type": "web_search", "web_search": {}}]), "tools[0].type 'web_search'"),
    ("tool id missing", body(tools=[{"type": "genie_space", "genie_space": {"description": "d"}}]),
     "tools[0].genie_space.id"),
    ("description empty", body(tools=[{"type": "genie_space", "genie_space": {**GENIE, "description": ""}}]),
     "tools[0].genie_space.description"),
    ("description missing", body(tools=[{"type": "app", "app": {"name": "x"}}]), "tools[0].app.description"),
    ("uc_function name", body(tools=[{"type": "uc_function", "uc_function": {**UC["uc_function"],
                                                                             "name": "a.b"}}]),
     "tools[0].uc_function.name"),
    ("stray key", body(tools=[{"type": "uc_function", "uc_function": {**UC["uc_function"], "alias": "x"}}]),
     "tools[0].uc_function.alias"),
    ("function name", body(tools=[{**FN, "name": "bad name!"}]), "tools[0].name"),
    ("function parameters", body(tools=[{**FN, "parameters": "x"}]), "tools[0].parameters"),
    ("hosted and function tools", body(tools=[UC, FN]),
     "Cannot mix hosted and client-side tools in one request: tools[1] is a client-side function tool"),
    ("temperature with tools", body(temperature=0.3), "temperature: Parameter not supported when tools"),
    ("top_p with tools", body(top_p=0.5), "top_p: Parameter not supported when tools"),
    ("stream and background", body(stream=True, background=True), "stream and background"),
    ("previous_response_id", body(previous_response_id="resp_1"), "previous_response_id"),
    ("orphan call", body(input=ORPHAN_CALL, tools=[FN]), "No tool output found for function call c1."),
    ("orphan output", body(input=ORPHAN_OUTPUT),
     "No tool call found for function call output with call_id c1."),
    ("approval without request", body(input=LOOSE_APPROVAL), "approval_request_id mcpr_1"),
    ("unknown field", body(foo=1), "Unknown field: foo"),
]


@pytest.mark.parametrize("case, payload, field", RULES, ids=[r[0] for r in RULES])
def test_each_rule_is_a_400_naming_the_field(emulator, case, payload, field):
    response = post(emulator, payload)
    assert response.status_code == 400, response.text
    error = response.json()
    assert error["error_code"] == "INVALID_PARAMETER_VALUE"
    assert field in error["message"]


def test_malformed_json_is_a_400(emulator):
    response = post(emulator, b"{not json")
    assert response.status_code == 400 and "invalid JSON" in response.json()["message"]


def test_auth_and_scopes(emulator):
    assert httpx.post(emulator.host + PATH, json=body()).status_code == 401
    narrowed = emulator.token_for("alice@example.com", ["genie"])
    response = post(emulator, body(), token=narrowed)
    assert response.status_code == 403 and "ai-gateway" in response.json()["message"]
    obo = emulator.token_for("alice@example.com", ["ai-gateway"])
    app = {"type": "app", "app": {"name": "agent-lib-helpdesk", "description": "IT help."}}
    response = post(emulator, body(tools=[app]), token=obo)
    assert response.status_code == 400 and "on-behalf-of-user" in response.json()["message"]


def test_an_obo_token_gets_the_model_but_tools_need_their_scopes(emulator, script):
    obo = emulator.token_for("alice@example.com", ["ai-gateway"])
    script([{"text": "Hello Alice.", "expect": "hello"}])
    response = post(emulator, {"model": MODEL, "input": "hello"}, token=obo)
    assert response.status_code == 200, response.text
    assert response.json()["output"][-1]["content"][0]["text"] == "Hello Alice."
    response = post(emulator, body(), token=obo)
    assert response.status_code == 403 and "mcp.functions" in response.json()["message"]


# -- the response and the stream ---------------------------------------------------------------------

TOOL_TURN = [
    {"tool_calls": [{"name": "main__sales__get_order_status", "arguments": {"order_id": "SO-10042"}}]},
    {"text": "Order SO-10042 was delivered.", "expect": "delivered"},
]


@pytest.mark.parametrize("base", ["/ai-gateway/mlflow/v1", "/mlflow/v1", "/api/2.0/mas"])
def test_the_openai_client_reads_the_response_strictly(emulator, script, base):
    script(TOOL_TURN)
    client = openai.OpenAI(base_url=emulator.host + base, api_key=emulator.token, max_retries=0)
    raw = client.responses.with_raw_response.create(model=MODEL, input="Where is SO-10042?", tools=[UC])
    response = strict_response(json.loads(raw.text))
    parsed = raw.parse()
    assert parsed.status == "completed" and parsed.id.startswith("resp_")
    assert [i.type for i in response.output] == ["function_call", "function_call_output", "message"]
    call, out, message = response.output
    assert call.name == "main__sales__get_order_status" and out.call_id == call.call_id
    assert message.content[0].text == "Order SO-10042 was delivered." and response.usage.total_tokens > 0


def test_sse_frames_and_the_openai_stream(emulator, script):
    script(TOOL_TURN)
    frames = []
    with httpx.stream("POST", emulator.host + PATH, json=body(stream=True), timeout=60,
                      headers={"Authorization": f"Bearer {emulator.token}"}) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        text = "".join(response.iter_text())
    for frame in text.strip().split("\n\n"):
        event_line, data_line = frame.split("\n")
        assert event_line.startswith("event: ") and data_line.startswith("data: ")
        data = json.loads(data_line[len("data: "):])
        assert data["type"] == event_line[len("event: "):]
        frames.append(data)
    assert [f["sequence_number"] for f in frames] == list(range(len(frames)))
    assert frames[0]["type"] == "response.created" and frames[-1]["type"] == "response.completed"
    assert len(frames[-1]["response"]["output"]) == 3 and "[DONE]" not in text

    script(TOOL_TURN)
    client = openai.OpenAI(base_url=emulator.host + "/ai-gateway/mlflow/v1", api_key=emulator.token,
                           max_retries=0)
    events = list(client.responses.create(model=MODEL, input="Where is SO-10042?", tools=[UC], stream=True))
    adapter = TypeAdapter(ResponseStreamEvent)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for event in events:
            adapter.validate_python(event.model_dump(mode="json", exclude_none=True))
    assert events[-1].type == "response.completed" and events[-1].response.output[-1].type == "message"


def test_client_function_tools_stop_the_turn_and_resume(emulator, script):
    script([{"tool_calls": [{"name": "lookup_weather", "arguments": {"city": "Oslo"}}]},
            {"text": "It is sunny in Oslo.", "expect": "sunny"}])
    first = post(emulator, {"model": MODEL, "input": "Weather in Oslo?", "tools": [FN]}).json()
    (call,) = first["output"]
    assert call["type"] == "function_call" and call["name"] == "lookup_weather"
    history = [{"role": "user", "content": "Weather in Oslo?"}, call,
               {"type": "function_call_output", "call_id": call["call_id"], "output": "sunny, 21 C"}]
    second = post(emulator, {"model": MODEL, "input": history, "tools": [FN]}).json()
    assert second["output"][-1]["content"][0]["text"] == "It is sunny in Oslo."


def test_a_model_failure_is_an_http_error_or_an_error_event(emulator, script):
    script([TOOL_TURN[0]])  # the second model call has no scripted turn
    response = post(emulator, body())
    assert response.status_code == 400 and "unexpected call #2" in response.json()["message"]
    script([TOOL_TURN[0]])
    with httpx.stream("POST", emulator.host + PATH, json=body(stream=True), timeout=60,
                      headers={"Authorization": f"Bearer {emulator.token}"}) as streamed:
        frames = [json.loads(line[6:]) for line in streamed.iter_lines() if line.startswith("data: ")]
    kinds = [f["type"] for f in frames]
    assert kinds[-2:] == ["error", "response.failed"] and "response.completed" not in kinds
    assert "unexpected call #2" in frames[-2]["message"]
    assert frames[-1]["response"]["status"] == "failed"


def test_responses_are_stored_for_their_creator_only(emulator, script):
    script([{"text": "Stored.", "expect": ""}])
    created = post(emulator, {"model": MODEL, "input": "keep this"}).json()
    auth = {"Authorization": f"Bearer {emulator.token}"}
    got = httpx.get(f"{emulator.host}{PATH}/{created['id']}", headers=auth)
    assert got.status_code == 200 and got.json() == created
    alice = emulator.token_for("alice@example.com")
    other = httpx.get(f"{emulator.host}{PATH}/{created['id']}", headers={"Authorization": f"Bearer {alice}"})
    assert other.status_code == 404 and other.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"
    cancel = post(emulator, {}, path=f"{PATH}/{created['id']}/cancel")
    assert cancel.status_code == 400 and "still running" in cancel.json()["message"]


# -- background ---------------------------------------------------------------------------------

def poll(emulator, response_id: str, until: tuple[str, ...] = ("completed", "failed", "cancelled")) -> dict:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        data = httpx.get(f"{emulator.host}{PATH}/{response_id}",
                         headers={"Authorization": f"Bearer {emulator.token}"}).json()
        if data["status"] in until:
            return data
        time.sleep(0.05)
    raise AssertionError(f"{response_id} still {data['status']}")


def test_background_runs_queued_to_completed_with_echoed_history(emulator, script):
    script([TOOL_TURN[0], {"text": "Delivered.", "expect": "delivered"}])
    history = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "Hello."},
               {"role": "user", "content": "Where is SO-10042?"}]
    created = post(emulator, body(input=history, background=True)).json()
    assert created["status"] == "queued" and created["output"] == [] and created["background"] is True
    done = strict_response(poll(emulator, created["id"]))
    assert done.status == "completed" and done.background is True
    assert [i.type for i in done.output] == ["message", "function_call", "function_call_output", "message"]
    assert done.output[0].content[0].text == "Hello." and done.output[-1].content[0].text == "Delivered."


@pytest.fixture
def slow_model(emulator) -> Iterator[None]:
    before = emulator.state.config.model_latency_ms
    emulator.state.config.model_latency_ms = 1500
    yield
    emulator.state.config.model_latency_ms = before


def test_background_cancel(emulator, script, slow_model):
    script([{"text": "too late", "expect": ""}])
    created = post(emulator, {"model": MODEL, "input": "slow", "background": True}).json()
    cancelled = post(emulator, {}, path=f"{PATH}/{created['id']}/cancel")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert poll(emulator, created["id"])["status"] == "cancelled"


def test_background_runs_are_capped(emulator, script, slow_model, monkeypatch):
    from agent_lib.emulator.supervisor import models

    monkeypatch.setattr(models, "BACKGROUND_CAP_S", 0.5)
    script([{"text": "too late", "expect": ""}])
    created = post(emulator, {"model": MODEL, "input": "slow", "background": True}).json()
    failed = poll(emulator, created["id"])
    assert failed["status"] == "failed" and "longer than" in failed["error"]["message"]


# -- what requests of one caller share ---------------------------------------------------------------

@pytest.fixture
def callers(emulator) -> Iterator[Any]:
    """The route's cache of callers, emptied before and after the test."""
    from agent_lib.emulator.supervisor import callers as module

    module.forget_callers(emulator.state)
    yield module
    module.forget_callers(emulator.state)


def _entries(emulator, callers) -> list[Any]:
    return list(callers.callers_of(emulator.state).entries.values())


def test_a_second_request_reuses_the_callers_clients_loop_and_mcp_session(emulator, script, callers):
    for _ in range(2):
        script(TOOL_TURN)
        response = post(emulator, body())
        assert response.status_code == 200, response.text
        assert response.json()["output"][1]["output"]  # the UC function ran
    stats = callers.cache_stats(emulator.state)
    assert stats == {"callers_built": 1, "loops_built": 1, "loops_reused": 1, "callers": 1}
    (entry,) = _entries(emulator, callers)
    (loop,) = entry.loops.values()
    assert loop.toolset.context.mcp.opened == 1  # listed once, called twice, one session
    assert loop.pools_created == 1
    assert entry.leases == 0


def test_another_token_or_request_shape_gets_its_own(emulator, script, callers):
    script([{"text": "Hi.", "expect": ""}] * 3)
    other = emulator.token_for("admin@example.com")  # same principal, another token
    assert post(emulator, {"model": MODEL, "input": "hi"}).status_code == 200
    assert post(emulator, {"model": MODEL, "input": "hi"}, token=other).status_code == 200
    assert post(emulator, {"model": MODEL, "input": "hi", "instructions": "Be brief."}).status_code == 200
    stats = callers.cache_stats(emulator.state)
    assert stats["callers_built"] == 2 and stats["loops_built"] == 3 and stats["loops_reused"] == 0
    second, first = _entries(emulator, callers)  # least recently used first
    assert first.tools_client is not second.tools_client
    assert len(first.loops) == 2 and len(second.loops) == 1
    for entry in (first, second):  # keyed by a digest: the token is in no key and no repr
        assert emulator.token not in entry.key and other not in entry.key
        assert emulator.token not in repr(entry) and other not in repr(entry)


def test_expired_entries_are_rebuilt_and_closed(emulator, script, callers, monkeypatch):
    obo = emulator.token_for("alice@example.com", ["ai-gateway"])
    script([{"text": "Hello Alice.", "expect": ""}] * 3)
    assert post(emulator, {"model": MODEL, "input": "hello"}, token=obo).status_code == 200
    assert post(emulator, {"model": MODEL, "input": "hello"}, token=obo).status_code == 200
    (entry,) = _entries(emulator, callers)
    model_token = entry.model_token  # the narrowed caller's model-serving token, kept with the entry
    assert model_token and emulator.state.identities.resolve(model_token) is not None
    assert callers.cache_stats(emulator.state)["callers_built"] == 1

    monkeypatch.setattr(callers, "CACHE_TTL_S", 0.0)
    assert post(emulator, {"model": MODEL, "input": "hello"}, token=obo).status_code == 200
    assert callers.cache_stats(emulator.state)["callers_built"] == 2
    assert _entries(emulator, callers)[0] is not entry
    assert entry.model_token is None and emulator.state.identities.resolve(model_token) is None
    assert not entry.loops


def test_the_cache_is_bounded_and_leased_entries_outlive_eviction(emulator, callers, monkeypatch):
    from agent_lib.emulator.supervisor.validation import validate

    monkeypatch.setattr(callers, "CACHE_MAX_CALLERS", 1)
    state = emulator.state
    cache = callers.callers_of(state)
    request = validate({"model": MODEL, "input": "hi", "tools": [UC]})
    admin = state.identities.resolve(emulator.token)
    held = callers.open_session(state, admin, emulator.token, request)
    entry = held.entry
    other = emulator.token_for("admin@example.com")
    callers.open_session(state, admin, other, request).close()
    assert len(cache.entries) == 1 and entry.retired  # pushed out ...
    assert entry.loops  # ... but still serving the request that leased it
    held.close()
    assert not entry.loops and entry.leases == 0  # closed with its last lease


def test_forget_callers_closes_their_mcp_sessions(emulator, script, callers):
    script(TOOL_TURN)
    assert post(emulator, body()).status_code == 200
    (entry,) = _entries(emulator, callers)
    mcp = next(iter(entry.loops.values())).toolset.context.mcp
    assert mcp.idle() == 1
    callers.forget_callers(emulator.state)
    assert mcp.idle() == 0 and callers.cache_stats(emulator.state)["callers"] == 0


def test_forgetting_callers_leaves_a_running_request_its_clients(emulator, callers):
    from agent_lib.emulator.supervisor.validation import validate

    state = emulator.state
    obo = emulator.token_for("alice@example.com", ["ai-gateway"])
    held = callers.open_session(state, state.identities.resolve(obo), obo,
                                validate({"model": MODEL, "input": "hi"}, obo=True))
    entry = held.entry
    callers.forget_callers(state)  # e.g. a reset while the request runs
    assert entry.retired and entry.loops and state.identities.resolve(entry.model_token) is not None
    model_token = entry.model_token
    held.close()
    assert not entry.loops and state.identities.resolve(model_token) is None
