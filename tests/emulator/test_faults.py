"""Faults injected on demand (`/_emulator/faults`): each one as the real client sees it, and gone
once its `times` are used up or the faults are cleared."""

from __future__ import annotations

import time

import httpx
import pytest
from databricks.sdk.errors import OperationFailed
from databricks.sdk.service.dashboards import MessageStatus
from databricks.sdk.service.sql import StatementState

from agent_lib.emulator import start
from agent_lib.emulator.core.demo_ids import GENIE_SPACE_ID, WAREHOUSE_ID

CHAT = {"messages": [{"role": "user", "content": "hello"}]}


@pytest.fixture(scope="module")
def ws():
    workspace = start(None)
    yield workspace
    workspace.stop()


@pytest.fixture
def http(ws):
    with httpx.Client(base_url=ws.host, headers={"Authorization": f"Bearer {ws.token}"}, timeout=30) as client:
        yield client
        client.delete("/_emulator/faults")


def _inject(http, *faults: dict) -> dict:
    r = http.put("/_emulator/faults", json={"faults": list(faults)})
    assert r.status_code == 200, r.text
    return r.json()


def _model(http) -> httpx.Response:
    return http.post("/serving-endpoints/databricks-claude-sonnet-4-5/invocations", json=CHAT)


def test_model_429_then_503_then_healthy(http):
    assert _model(http).status_code == 200
    _inject(http, {"path": "^/serving-endpoints/", "status": 429, "times": 2},
            {"path": "^/serving-endpoints/", "status": 503, "times": 1})
    first, second, third = _model(http), _model(http), _model(http)
    assert (first.status_code, second.status_code, third.status_code) == (429, 429, 503)
    assert first.json()["error_code"] == "REQUEST_LIMIT_EXCEEDED" and first.headers["retry-after"] == "1"
    assert third.json()["error_code"] == "TEMPORARILY_UNAVAILABLE"
    assert _model(http).status_code == 200  # every fault used up
    assert [f["left"] for f in http.get("/_emulator/faults").json()["faults"]] == [0, 0]


def test_the_sdk_retries_a_503(ws, http):
    _inject(http, {"path": "^/api/2.0/preview/scim/v2/Me$", "status": 503, "times": 1})
    assert ws.client().current_user.me().user_name == "admin@example.com"  # after one retry
    assert http.get("/_emulator/faults").json()["faults"][0]["left"] == 0


def test_tool_500_and_mcp_down(http):
    _inject(http, {"path": "^/api/2.0/mcp/functions", "status": 500},
            {"path": "^/(api/2.0/mcp|_emulator/mcp)/", "status": 503})
    rpc = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
    r = http.post("/api/2.0/mcp/functions/main/sales", json=rpc)
    assert r.status_code == 500 and r.json()["error_code"] == "INTERNAL_ERROR"
    r = http.post("/api/2.0/mcp/genie/" + GENIE_SPACE_ID, json=rpc)
    assert r.status_code == 503 and "503" in r.json()["message"]


def test_tool_timeout(http):
    _inject(http, {"path": "^/api/2.0/genie/spaces$", "delay_ms": 3000, "times": 1})
    with pytest.raises(httpx.ReadTimeout):
        http.get("/api/2.0/genie/spaces", timeout=0.5)
    assert http.get("/api/2.0/genie/spaces").status_code == 200  # used up: answered at once


def test_a_stream_dropped_half_way(http):
    _inject(http, {"path": "^/serving-endpoints/responses$", "drop_after_bytes": 200, "times": 1})
    body = {"model": "databricks-claude-sonnet-4-5", "input": "Tell me about returns.", "stream": True}
    received = b""
    with pytest.raises(httpx.RemoteProtocolError):
        with http.stream("POST", "/serving-endpoints/responses", json=body) as streamed:
            for chunk in streamed.iter_bytes():
                received += chunk
    assert 0 < len(received) <= 200 and b"response.completed" not in received
    with http.stream("POST", "/serving-endpoints/responses", json=body) as streamed:
        assert b"response.completed" in streamed.read()


def test_genie_message_failed(ws, http):
    _inject(http, {"sql": r"main\.sales\.orders", "error": "[INTERNAL_ERROR] injected warehouse failure"})
    w = ws.client()
    with pytest.raises(OperationFailed):
        w.genie.start_conversation_and_wait(GENIE_SPACE_ID, "How many orders were placed in 2025?")
    conv = w.genie.list_conversations(GENIE_SPACE_ID).conversations[0]
    msg = w.genie.list_conversation_messages(GENIE_SPACE_ID, conv.conversation_id).messages[0]
    assert msg.status == MessageStatus.FAILED and "injected warehouse failure" in msg.error.error
    http.delete("/_emulator/faults")
    again = w.genie.start_conversation_and_wait(GENIE_SPACE_ID, "How many orders were placed in 2025?")
    assert again.status == MessageStatus.COMPLETED


def test_slow_sql_is_running_until_cancelled(ws, http):
    _inject(http, {"sql": "SELECT 7", "delay_ms": 600_000})
    w = ws.client()
    r = w.statement_execution.execute_statement(statement="SELECT 7", warehouse_id=WAREHOUSE_ID, wait_timeout="0s")
    assert r.status.state in (StatementState.PENDING, StatementState.RUNNING)
    assert w.statement_execution.execute_statement(statement="SELECT 8", warehouse_id=WAREHOUSE_ID
                                                   ).result.data_array == [["8"]]
    w.statement_execution.cancel_execution(r.statement_id)
    for _ in range(400):
        state = w.statement_execution.get_statement(r.statement_id).status.state
        if state not in (StatementState.PENDING, StatementState.RUNNING):
            break
        time.sleep(0.05)
    assert state == StatementState.CANCELED


def test_only_admins_and_only_valid_faults(ws, http):
    alice = {"Authorization": f"Bearer {ws.token_for('alice@example.com')}"}
    assert httpx.put(ws.host + "/_emulator/faults", headers=alice, json={"faults": []}).status_code == 403
    r = http.put("/_emulator/faults", json={"faults": [{"path": "(", "status": 500}]})
    assert r.status_code == 400 and "regular expression" in r.json()["message"]
    r = http.put("/_emulator/faults", json={"faults": [{"status": 500}]})
    assert r.status_code == 400 and "exactly one of 'path'" in r.json()["message"]
    r = http.put("/_emulator/faults", json={"faults": [{"path": "x", "status": 418}]})
    assert r.status_code == 400 and "status" in r.json()["message"]
