"""The scripted model: turns in order, expectations, loud failures in Python and over HTTP."""

from __future__ import annotations

import httpx
import pytest

from agent_lib.emulator.models import registry
from agent_lib.emulator.models.base import Message, ModelTurn, ToolSpec
from agent_lib.emulator.models.scripted import ScriptedModel, ScriptError, call, parse_turn, text

ENDPOINT = "databricks-claude-haiku-4-5"
TOOLS = [ToolSpec("get_order_status", "Look up an order", {"type": "object", "properties": {}})]


def user(content: str) -> Message:
    return Message("user", content)


# -- in Python ------------------------------------------------------------------------------------

def test_turns_play_in_order_with_tool_calls_then_text():
    model = ScriptedModel([
        {"tool_calls": [{"name": "get_order_status", "arguments": {"order_id": "A-1"}}],
         "expect": "order a-1"},
        {"text": "Order A-1 has shipped.", "expect": "SHIPPED"},
    ])
    first = model.respond([user("Where is order A-1?")], TOOLS)
    assert not first.is_final
    (tc,) = first.tool_calls
    assert (tc.name, tc.arguments) == ("get_order_status", {"order_id": "A-1"})
    assert tc.call_id.startswith("call_")
    history = [user("Where is order A-1?"), Message("assistant", "", tool_calls=first.tool_calls),
               Message("tool", '{"status": "SHIPPED"}', tool_call_id=tc.call_id, name=tc.name)]
    second = model.respond(history, TOOLS)
    assert second == ModelTurn(text="Order A-1 has shipped.")
    model.assert_complete()
    assert model.status() == {"turns": 2, "used": 2, "remaining": 0, "calls": 2}


def test_call_ids_are_deterministic_for_the_same_conversation():
    a = ScriptedModel([call("f", {"x": 1})]).respond([user("q")], [])
    b = ScriptedModel([call("f", {"x": 1})]).respond([user("q")], [])
    assert a.tool_calls[0].call_id == b.tool_calls[0].call_id


def test_parallel_tool_calls_in_one_turn():
    turn = ScriptedModel([{"tool_calls": [{"name": "a", "arguments": "{\"k\": 1}"}, {"name": "b"}]}]).respond(
        [user("q")], [])
    assert [(c.name, c.arguments) for c in turn.tool_calls] == [("a", {"k": 1}), ("b", {})]
    assert len({c.call_id for c in turn.tool_calls}) == 2


def test_unexpected_call_names_the_request():
    model = ScriptedModel([text("only answer")], label="my script")
    model.respond([user("first question")], [])
    with pytest.raises(ScriptError) as err:
        model.respond([user("a second, unplanned question")], TOOLS)
    msg = str(err.value)
    assert "my script" in msg and "unexpected call #2" in msg
    assert "a second, unplanned question" in msg and "get_order_status" in msg


def test_expectation_mismatch_says_what_was_expected_and_seen():
    model = ScriptedModel([text("ok", expect="refund")])
    with pytest.raises(ScriptError) as err:
        model.respond([user("What is the shipping cost?")], [])
    assert "'refund'" in str(err.value) and "shipping cost" in str(err.value)
    assert model.remaining == 1  # a failed turn is not consumed


def test_expectation_reads_the_last_tool_output():
    model = ScriptedModel([text("done", expect="42")])
    history = [user("compute"), Message("assistant", "", tool_calls=()),
               Message("tool", "result: 42", tool_call_id="c")]
    assert model.respond(history, []).text == "done"


def test_assert_complete_reports_leftover_turns():
    model = ScriptedModel(["one", call("lookup"), "three"])
    model.respond([user("q")], [])
    with pytest.raises(ScriptError) as err:
        model.assert_complete()
    assert "2 scripted turn(s) never used" in str(err.value) and "lookup" in str(err.value)


@pytest.mark.parametrize("raw, fragment", [
    ({"text": "a", "tool_calls": [{"name": "f"}]}, "exactly one of"),
    ({}, "exactly one of"),
    ({"text": "a", "expected": "x"}, "unknown field 'expected'"),
    ({"tool_calls": [{"name": "f", "arguments": "{not json"}]}, "not valid JSON"),
    ({"tool_calls": [{"arguments": {}}]}, "'name'"),
    (42, "a turn is a string or an object"),
])
def test_malformed_turns_are_rejected(raw, fragment):
    with pytest.raises(ValueError, match=None) as err:
        parse_turn(raw, 3)
    assert fragment in str(err.value) and "turns[3]" in str(err.value)


# -- over HTTP ------------------------------------------------------------------------------------

@pytest.fixture
def http(emulator):
    client = httpx.Client(base_url=emulator.host, headers={"Authorization": f"Bearer {emulator.token}"},
                          timeout=30)
    yield client
    client.delete(f"/_emulator/models/{ENDPOINT}")
    client.close()


def _chat(http: httpx.Client, content: str) -> httpx.Response:
    return http.post("/serving-endpoints/chat/completions",
                     json={"model": ENDPOINT, "messages": [{"role": "user", "content": content}]})


def test_script_over_http_then_unexpected_call_is_a_400(http):
    r = http.put(f"/_emulator/models/{ENDPOINT}", json={"kind": "scripted", "turns": ["Hello!"]})
    assert r.status_code == 200, r.text
    assert r.json()["remaining"] == 1
    assert _chat(http, "hi").json()["choices"][0]["message"]["content"] == "Hello!"
    r = _chat(http, "are you still there?")
    assert r.status_code == 400
    body = r.json()
    assert body["error_code"] == "INVALID_PARAMETER_VALUE"
    assert "unexpected call #2" in body["message"] and "are you still there?" in body["message"]


def test_leftover_turns_fail_assert_complete_over_http(http):
    http.put(f"/_emulator/models/{ENDPOINT}", json={"kind": "scripted", "turns": ["a", {"text": "b"}]})
    _chat(http, "q")
    r = http.post(f"/_emulator/models/{ENDPOINT}/assert-complete")
    assert r.status_code == 400 and "1 scripted turn(s) never used" in r.json()["message"]
    _chat(http, "q2")
    assert http.post(f"/_emulator/models/{ENDPOINT}/assert-complete").status_code == 200


def test_expectation_mismatch_over_http_is_a_400(http):
    turns = [{"text": "x", "expect": "invoice"}]
    http.put(f"/_emulator/models/{ENDPOINT}", json={"kind": "scripted", "turns": turns})
    r = _chat(http, "shipping please")
    assert r.status_code == 400 and "'invoice'" in r.json()["message"]


def test_replacing_the_script_restarts_it_and_delete_restores_the_default(http):
    http.put(f"/_emulator/models/{ENDPOINT}", json={"kind": "scripted", "turns": ["first"]})
    assert _chat(http, "q").status_code == 200
    http.put(f"/_emulator/models/{ENDPOINT}", json={"kind": "scripted", "turns": ["again"]})
    assert _chat(http, "q").json()["choices"][0]["message"]["content"] == "again"
    r = http.delete(f"/_emulator/models/{ENDPOINT}")
    assert r.status_code == 200 and r.json()["kind"] == "reference"
    assert http.get(f"/_emulator/models/{ENDPOINT}").json()["kind"] == "reference"


@pytest.mark.parametrize("body, fragment", [
    ({"kind": "scripted"}, "turns"),
    ({"kind": "scripted", "turns": [{"text": "a", "oops": 1}]}, "oops"),
    ({"kind": "magic"}, "kind must be one of"),
    ({"kind": "passthrough", "base_url": "http://127.0.0.1:1/v1"}, "model is required"),
    ({"kind": "passthrough", "base_url": "x", "model": "m"}, "base_url"),
    ({"kind": "reference", "turns": []}, "unknown field 'turns'"),
])
def test_bad_model_configs_are_400s(http, body, fragment):
    r = http.put(f"/_emulator/models/{ENDPOINT}", json=body)
    assert r.status_code == 400 and fragment in r.json()["message"], r.text


def test_model_admin_routes_need_an_admin_and_a_foundation_endpoint(emulator, http):
    alice = httpx.Client(base_url=emulator.host, headers={
        "Authorization": f"Bearer {emulator.token_for('alice@example.com')}"})
    r = alice.put(f"/_emulator/models/{ENDPOINT}", json={"kind": "echo"})
    assert r.status_code == 403 and r.json()["error_code"] == "PERMISSION_DENIED"
    assert http.put("/_emulator/models/no-such-endpoint", json={"kind": "echo"}).status_code == 404
    r = http.put("/_emulator/models/ka-8c765842-endpoint", json={"kind": "echo"})
    assert r.status_code == 400 and "knowledge-assistant" in r.json()["message"]


def test_installed_python_model_and_failures_that_are_not_500s(emulator, http):
    class Boom:
        def respond(self, messages, tools):
            raise RuntimeError("kaput")

    registry.install(emulator.state, ENDPOINT, ScriptedModel(["from python"]))
    assert _chat(http, "q").json()["choices"][0]["message"]["content"] == "from python"
    assert http.get(f"/_emulator/models/{ENDPOINT}").json()["kind"] == "installed"
    registry.install(emulator.state, ENDPOINT, Boom())
    r = http.post("/serving-endpoints/chat/completions",
                  json={"model": ENDPOINT, "messages": [{"role": "user", "content": "q"}]})
    assert r.json()["error_code"] == "INTERNAL_ERROR" and "kaput" in r.json()["message"]


def test_config_models_from_the_emulator_config(emulator, http):
    emulator.state.config.models[ENDPOINT] = {"kind": "scripted", "turns": ["configured"]}
    try:
        registry.clear_config(emulator.state, ENDPOINT)
        assert _chat(http, "q").json()["choices"][0]["message"]["content"] == "configured"
    finally:
        del emulator.state.config.models[ENDPOINT]
        registry.clear_config(emulator.state, ENDPOINT)
