"""Managed MCP through real MCP clients: the external proxy to the ticketing server, UC functions.

`databricks_mcp.DatabricksMCPClient` and the `mcp` package's streamable HTTP client talk to the
emulator exactly as to a workspace; refusals are Databricks' HTTP envelopes (401/403/404/400).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from typing import Any

import httpx
import pytest
from databricks.sdk.service.catalog import (
    ColumnTypeName,
    ConnectionType,
    CreateFunction,
    CreateFunctionParameterStyle,
    CreateFunctionRoutineBody,
    CreateFunctionSecurityType,
    CreateFunctionSqlDataAccess,
    FunctionParameterInfo,
    FunctionParameterInfos,
    PermissionsChange,
    Privilege,
)
from databricks_mcp import DatabricksMCPClient
from mcp.client.session import ClientSession
from mcp.client.streamable_http import streamable_http_client, streamablehttp_client

from agent_lib.emulator import start
from agent_lib.emulator.core import demo_ids
from agent_lib.emulator.mcp import servers
from agent_lib.emulator.mcp.ticketing.server import READY_PREFIX

EXTERNAL = f"/api/2.0/mcp/external/{demo_ids.CONNECTION}"
INIT = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {"protocolVersion": "2025-06-18", "capabilities": {},
                   "clientInfo": {"name": "test", "version": "1"}}}
ACCEPT = {"Accept": "application/json, text/event-stream"}


def _headers(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **ACCEPT}


def _mcp(url: str, token: str, calls: list[tuple[str, dict[str, Any]] | None]) -> list[Any]:
    """Run tools/list (None) and tools/call steps in one session of the plain `mcp` client."""

    async def go() -> list[Any]:
        async with streamablehttp_client(url, headers={"Authorization": f"Bearer {token}"}) as (r, w, _):
            async with ClientSession(r, w) as session:
                await session.initialize()
                out = []
                for call in calls:
                    out.append((await session.list_tools()).tools if call is None
                               else await session.call_tool(*call))
                return out

    return asyncio.run(go())


def _text(result: Any) -> str:
    assert not result.isError, result.content[0].text
    return result.content[0].text


def _http_error(exc_info: pytest.ExceptionInfo[BaseException]) -> httpx.HTTPStatusError:
    exc: BaseException = exc_info.value
    while isinstance(exc, BaseExceptionGroup):
        exc = exc.exceptions[0]
    assert isinstance(exc, httpx.HTTPStatusError), exc
    return exc


# -- the external MCP proxy: the demo ticketing connection ---------------------------------------

def test_databricks_mcp_client_lists_and_calls_the_ticketing_tools(emulator, admin):
    client = DatabricksMCPClient(server_url=f"{emulator.host}{EXTERNAL}", workspace_client=admin)
    tools = {t.name: t for t in client.list_tools()}
    assert set(tools) == {"create_ticket", "search_tickets", "get_ticket"}
    assert "ticket" in tools["search_tickets"].description.lower()
    result = client.call_tool("get_ticket", {"ticket_id": "TCK-1001"})
    assert '"title": "Laptop arrived with cracked screen"' in _text(result)
    resources = client.get_databricks_resources()
    assert [type(r).__name__ for r in resources] == ["DatabricksUCConnection"]


def test_plain_mcp_client_creates_a_ticket_then_gets_and_finds_it(emulator):
    title = f"Keyboard missing keycap {uuid.uuid4().hex[:6]}"
    created, = _mcp(f"{emulator.host}{EXTERNAL}", emulator.token, [(
        "create_ticket", {"title": title, "description": "The Ergo Keyboard K5 arrived without its "
                          "Escape keycap.", "priority": "P4", "requester_email": "leo.young@example.com"})])
    ticket = created.structuredContent
    assert ticket["ticket_id"].startswith("TCK-") and ticket["status"] == "open"
    got, found = _mcp(f"{emulator.host}{EXTERNAL}", emulator.token, [
        ("get_ticket", {"ticket_id": ticket["ticket_id"]}),
        ("search_tickets", {"query": title.split()[-1], "priority": "P4"})])
    assert got.structuredContent == ticket
    assert [t["ticket_id"] for t in found.structuredContent["tickets"]] == [ticket["ticket_id"]]


def test_new_style_mcp_client_with_an_httpx_client_works_too(emulator):
    async def go() -> list[str]:
        async with httpx.AsyncClient(headers={"Authorization": f"Bearer {emulator.token}"}) as http:
            async with streamable_http_client(f"{emulator.host}{EXTERNAL}", http_client=http) as (r, w, _):
                async with ClientSession(r, w) as session:
                    await session.initialize()
                    return [t.name for t in (await session.list_tools()).tools]

    assert sorted(asyncio.run(go())) == ["create_ticket", "get_ticket", "search_tickets"]


def test_a_tool_error_of_the_upstream_server_reaches_the_client(emulator):
    missing, = _mcp(f"{emulator.host}{EXTERNAL}", emulator.token,
                    [("get_ticket", {"ticket_id": "TCK-99999"})])
    assert missing.isError and "No ticket with id 'TCK-99999'" in missing.content[0].text


def test_no_token_or_a_bad_token_is_401_in_the_databricks_envelope(emulator):
    for headers in (ACCEPT, _headers("dapi-not-a-token")):
        r = httpx.post(f"{emulator.host}{EXTERNAL}", json=INIT, headers=headers)
        assert r.status_code == 401 and r.json()["error_code"] == "UNAUTHENTICATED"
    r = httpx.post(f"{emulator.host}/api/2.0/mcp/functions/main/sales", json=INIT, headers=ACCEPT)
    assert r.status_code == 401 and r.json()["error_code"] == "UNAUTHENTICATED"


def test_alice_needs_use_connection_and_gets_in_once_granted(emulator, admin, alice):
    url = f"{emulator.host}{EXTERNAL}"
    r = httpx.post(url, json=INIT, headers=_headers(emulator.token_for("alice@example.com")))
    assert r.status_code == 403 and r.json()["error_code"] == "PERMISSION_DENIED"
    assert "USE_CONNECTION" in r.json()["message"] and demo_ids.CONNECTION in r.json()["message"]
    client = DatabricksMCPClient(server_url=url, workspace_client=alice)
    with pytest.raises(BaseException) as denied:
        client.list_tools()
    assert _http_error(denied).response.status_code == 403

    change = PermissionsChange(principal="alice@example.com", add=[Privilege.USE_CONNECTION])
    admin.grants.update("CONNECTION", demo_ids.CONNECTION, changes=[change])
    try:
        assert {t.name for t in client.list_tools()} == {"create_ticket", "search_tickets", "get_ticket"}
    finally:
        admin.grants.update("CONNECTION", demo_ids.CONNECTION, changes=[
            PermissionsChange(principal="alice@example.com", remove=[Privilege.USE_CONNECTION])])
    with pytest.raises(BaseException) as revoked:
        client.list_tools()
    assert _http_error(revoked).response.status_code == 403


def test_narrowed_tokens_need_the_catalog_connections_scope(emulator):
    url = f"{emulator.host}{EXTERNAL}"
    genie_only = emulator.token_for("admin@example.com", scopes=["genie"])
    r = httpx.post(url, json=INIT, headers=_headers(genie_only))
    assert r.status_code == 403 and "catalog.connections" in r.json()["message"]
    scoped = emulator.token_for("admin@example.com", scopes=["catalog.connections"])
    tools, = _mcp(url, scoped, [None])
    assert len(tools) == 3


def test_unknown_and_non_mcp_connections_are_refused(emulator, admin):
    r = httpx.post(f"{emulator.host}/api/2.0/mcp/external/no_such_connection", json=INIT,
                   headers=_headers(emulator.token))
    assert r.status_code == 404 and r.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"
    assert "no_such_connection" in r.json()["message"]
    name = f"plain_http_{uuid.uuid4().hex[:6]}"
    admin.connections.create(name=name, connection_type=ConnectionType.HTTP,
                             options={"host": "https://api.example.com", "base_path": "/v1"})
    r = httpx.post(f"{emulator.host}/api/2.0/mcp/external/{name}", json=INIT,
                   headers=_headers(emulator.token))
    assert r.status_code == 400 and "not an MCP connection" in r.json()["message"]


def test_the_demo_connection_points_at_the_built_in_server(admin):
    conn = admin.connections.get(demo_ids.CONNECTION)
    assert conn.options["is_mcp_connection"] == "true"
    assert conn.options["base_path"] == "/_emulator/mcp/servers/ticketing"


@pytest.mark.slow
def test_an_mcp_connection_to_a_users_own_loopback_server_is_proxied(emulator, admin):
    proc = subprocess.Popen([sys.executable, "-m", "agent_lib.emulator.mcp.ticketing", "--port", "0",
                             "--exit-on-stdin-eof"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        assert proc.stdout is not None
        upstream = proc.stdout.readline().decode().strip()[len(READY_PREFIX):]
        host, _, path = upstream.rpartition("/")
        name = f"own_mcp_{uuid.uuid4().hex[:6]}"
        admin.connections.create(name=name, connection_type=ConnectionType.HTTP,
                                 options={"host": host, "base_path": f"/{path}",
                                          "is_mcp_connection": "true"},
                                 secrets={"bearer_token": "upstream-secret"})
        client = DatabricksMCPClient(server_url=f"{emulator.host}/api/2.0/mcp/external/{name}",
                                     workspace_client=admin)
        assert len(client.list_tools()) == 3
        result = client.call_tool("search_tickets", {"query": "customs"})
        assert '"ticket_id": "TCK-1027"' in _text(result)
    finally:
        assert proc.stdin is not None
        proc.stdin.close()
        proc.wait(timeout=10)


# -- managed MCP: UC functions -------------------------------------------------------------------

CATALOG = f"mcp_test_{uuid.uuid4().hex[:6]}"


def _function(schema: str, name: str, params: list[tuple[str, ColumnTypeName, str, str | None]],
              returns: ColumnTypeName, body: str, comment: str) -> CreateFunction:
    return CreateFunction(
        name=name, catalog_name=CATALOG, schema_name=schema,
        input_params=FunctionParameterInfos(parameters=[
            FunctionParameterInfo(name=n, type_name=t, type_text=t.value, position=i, comment=c,
                                  parameter_default=d)
            for i, (n, t, c, d) in enumerate(params)]),
        data_type=returns, full_data_type=returns.value, routine_body=CreateFunctionRoutineBody.SQL,
        routine_definition=body, parameter_style=CreateFunctionParameterStyle.S, is_deterministic=True,
        sql_data_access=CreateFunctionSqlDataAccess.NO_SQL, is_null_call=False,
        security_type=CreateFunctionSecurityType.DEFINER, specific_name=name, comment=comment)


@pytest.fixture(scope="module")
def tax_schema(admin) -> str:
    """A schema with two SQL functions: with_tax(amount, rate DEFAULT 0.2) and shout(text)."""
    schema = "pricing"
    admin.catalogs.create(name=CATALOG)
    admin.schemas.create(name=schema, catalog_name=CATALOG)
    admin.functions.create(function_info=_function(
        schema, "with_tax", [("amount", ColumnTypeName.DOUBLE, "Net amount in USD", None),
                             ("rate", ColumnTypeName.DOUBLE, "Tax rate as a fraction", "0.2")],
        ColumnTypeName.DOUBLE, "amount * (1 + rate)", "Gross amount: the net amount plus tax."))
    admin.functions.create(function_info=_function(
        schema, "shout", [("text", ColumnTypeName.STRING, "Text to upper-case", None)],
        ColumnTypeName.STRING, "upper(text)", "The text in capitals."))
    return schema


def test_functions_server_lists_uc_functions_as_tools_and_calls_them(emulator, admin, tax_schema):
    url = f"{emulator.host}/api/2.0/mcp/functions/{CATALOG}/{tax_schema}"
    client = DatabricksMCPClient(server_url=url, workspace_client=admin)
    tools = {t.name: t for t in client.list_tools()}
    tax = f"{CATALOG}__{tax_schema}__with_tax"
    assert set(tools) == {tax, f"{CATALOG}__{tax_schema}__shout"}
    assert tools[tax].description == "Gross amount: the net amount plus tax."
    assert tools[tax].inputSchema == {
        "type": "object", "required": ["amount"],
        "properties": {"amount": {"type": "number", "description": "Net amount in USD"},
                       "rate": {"type": "number", "description": "Tax rate as a fraction", "default": 0.2}}}
    assert float(_text(client.call_tool(tax, {"amount": 100}))) == pytest.approx(120.0)
    assert float(_text(client.call_tool(tax, {"amount": 100, "rate": 0.1}))) == pytest.approx(110.0)
    assert _text(client.call_tool(f"{CATALOG}__{tax_schema}__shout", {"text": "hi"})) == "HI"
    names = sorted(r.name for r in client.get_databricks_resources())
    assert names == sorted([f"{CATALOG}.{tax_schema}.shout", f"{CATALOG}.{tax_schema}.with_tax"])


def test_bad_arguments_and_unknown_tools_are_tool_errors(emulator, tax_schema):
    url = f"{emulator.host}/api/2.0/mcp/functions/{CATALOG}/{tax_schema}"
    bad, unknown = _mcp(url, emulator.token, [(f"{CATALOG}__{tax_schema}__with_tax", {"amount": "lots"}),
                                              ("main__other__thing", {})])
    assert bad.isError and bad.content[0].text.startswith("INVALID_PARAMETER_VALUE")
    assert "amount" in bad.content[0].text
    assert unknown.isError and "Unknown tool" in unknown.content[0].text


def test_one_function_server(emulator, tax_schema):
    url = f"{emulator.host}/api/2.0/mcp/functions/{CATALOG}/{tax_schema}/shout"
    tools, result = _mcp(url, emulator.token, [None, (f"{CATALOG}__{tax_schema}__shout", {"text": "ok"})])
    assert [t.name for t in tools] == [f"{CATALOG}__{tax_schema}__shout"] and _text(result) == "OK"


def test_functions_follow_uc_privileges(emulator, admin, tax_schema):
    url = f"{emulator.host}/api/2.0/mcp/functions/{CATALOG}/{tax_schema}"
    token = emulator.token_for("bob@example.com")
    r = httpx.post(url, json=INIT, headers=_headers(token))
    assert r.status_code == 403 and r.json()["error_code"] == "PERMISSION_DENIED"  # no USE_SCHEMA
    admin.grants.update("CATALOG", CATALOG, changes=[
        PermissionsChange(principal="bob@example.com", add=[Privilege.USE_CATALOG])])
    admin.grants.update("SCHEMA", f"{CATALOG}.{tax_schema}", changes=[
        PermissionsChange(principal="bob@example.com", add=[Privilege.USE_SCHEMA])])
    admin.grants.update("FUNCTION", f"{CATALOG}.{tax_schema}.shout", changes=[
        PermissionsChange(principal="bob@example.com", add=[Privilege.EXECUTE])])
    tools, allowed, denied = _mcp(url, token, [None, (f"{CATALOG}__{tax_schema}__shout", {"text": "a"}),
                                               (f"{CATALOG}__{tax_schema}__with_tax", {"amount": 1})])
    assert [t.name for t in tools] == [f"{CATALOG}__{tax_schema}__shout"]  # only what bob may execute
    assert _text(allowed) == "A"
    assert denied.isError and denied.content[0].text.startswith("PERMISSION_DENIED")
    one = httpx.post(f"{url}/with_tax", json=INIT, headers=_headers(token))
    assert one.status_code == 403
    sql_only = emulator.token_for("bob@example.com", scopes=["sql"])
    assert len(_mcp(url, sql_only, [None])[0]) == 1
    genie_only = emulator.token_for("bob@example.com", scopes=["genie"])
    assert httpx.post(url, json=INIT, headers=_headers(genie_only)).status_code == 403


def test_missing_schema_or_function_is_404(emulator, tax_schema):
    for path in (f"{CATALOG}/no_such_schema", f"{CATALOG}/{tax_schema}/no_such_function"):
        r = httpx.post(f"{emulator.host}/api/2.0/mcp/functions/{path}", json=INIT,
                       headers=_headers(emulator.token))
        assert r.status_code == 404 and r.json()["error_code"] in ("RESOURCE_DOES_NOT_EXIST", "NOT_FOUND")


def test_the_demo_functions_are_served(emulator, admin):
    schemas = {name.rsplit(".", 1)[0] for name in demo_ids.FUNCTIONS}
    for schema in schemas:
        client = DatabricksMCPClient(
            server_url=f"{emulator.host}/api/2.0/mcp/functions/{schema.replace('.', '/')}",
            workspace_client=admin)
        names = {t.name for t in client.list_tools()}
        assert {f.replace(".", "__") for f in demo_ids.FUNCTIONS if f.startswith(schema + ".")} <= names


def test_managed_servers_speak_json_rpc_over_post_only(emulator, tax_schema):
    url = f"{emulator.host}/api/2.0/mcp/functions/{CATALOG}/{tax_schema}"
    h = _headers(emulator.token)
    init = httpx.post(url, json=INIT, headers=h).json()["result"]
    assert init["protocolVersion"] == "2025-06-18" and "tools" in init["capabilities"]
    assert httpx.post(url, json={"jsonrpc": "2.0", "method": "notifications/initialized"},
                      headers=h).status_code == 202
    ping = httpx.post(url, json={"jsonrpc": "2.0", "id": 2, "method": "ping"}, headers=h)
    assert ping.json() == {"jsonrpc": "2.0", "id": 2, "result": {}}
    unknown = httpx.post(url, json={"jsonrpc": "2.0", "id": 3, "method": "resources/list"}, headers=h)
    assert unknown.json()["error"]["code"] == -32601
    broken = httpx.post(url, content=b"{not json", headers={**h, "Content-Type": "application/json"})
    assert broken.status_code == 400 and broken.json()["error"]["code"] == -32700
    assert httpx.get(url, headers=h).status_code == 405


# -- lifecycle of the ticketing server -----------------------------------------------------------

def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_ticketing_server_starts_on_first_use_and_stops_with_the_workspace(tmp_path):
    ws = start(tmp_path)
    try:
        assert servers.running(ws.state, "ticketing") is None  # not started by the seeding
        url = f"{ws.host}{EXTERNAL}"
        created, = _mcp(url, ws.token, [("create_ticket", {
            "title": "Webcam not detected", "description": "StreamCam 1080 not detected.",
            "requester_email": "felix.cook@example.com"})])
        assert created.structuredContent["ticket_id"] == "TCK-1031"
        first = servers.running(ws.state, "ticketing").process.pid
        ws.reset()  # stops the server and brings back the 30 seeded tickets
        assert not _alive(first)
        again, = _mcp(url, ws.token, [("get_ticket", {"ticket_id": "TCK-1031"})])
        assert again.isError
        second = servers.running(ws.state, "ticketing").process.pid
    finally:
        ws.stop()
    assert not _alive(second)


def test_in_process_helpers_reach_the_connection_with_the_same_checks(emulator):
    from agent_lib.emulator.core.errors import ApiError
    from agent_lib.emulator.mcp import external

    state = emulator.state
    admin = state.identities.resolve(emulator.token)
    tools = external.connection_tools(state, admin, demo_ids.CONNECTION)
    assert {t["name"] for t in tools} == {"create_ticket", "search_tickets", "get_ticket"}
    assert "inputSchema" in tools[0]
    result = external.call_connection_tool(state, admin, demo_ids.CONNECTION, "get_ticket",
                                           {"ticket_id": "TCK-1002"})
    assert result["structuredContent"]["order_id"] == "SO-12456" and not result.get("isError")
    bob = state.identities.resolve(emulator.token_for("bob@example.com"))
    with pytest.raises(ApiError) as denied:
        external.connection_tools(state, bob, demo_ids.CONNECTION)
    assert denied.value.status == 403


# -- managed MCP: Genie spaces -------------------------------------------------------------------

def test_genie_space_answers_through_query_space_and_poll_response(emulator, admin):
    sid = demo_ids.GENIE_SPACE_ID
    client = DatabricksMCPClient(server_url=f"{emulator.host}/api/2.0/mcp/genie/{sid}",
                                 workspace_client=admin)
    tools = {t.name: t for t in client.list_tools()}
    assert set(tools) == {f"query_space_{sid}", f"poll_response_{sid}"}
    assert tools[f"query_space_{sid}"].inputSchema["required"] == ["query"]
    assert demo_ids.GENIE_SPACE_TITLE in tools[f"query_space_{sid}"].description
    result = client.call_tool(f"query_space_{sid}", {"query": "What was total revenue by region in 2025?"})
    answer = result.structuredContent
    assert not result.isError and answer["status"] == "COMPLETED"
    assert "SELECT" in answer["sql"].upper() and answer["result"]["columns"][0] == "region"
    assert {row[0] for row in answer["result"]["rows"]} == {"North America", "EMEA", "APAC", "LATAM"}
    polled = client.call_tool(f"poll_response_{sid}", {"conversation_id": answer["conversation_id"],
                                                       "message_id": answer["message_id"]})
    assert polled.structuredContent["result"] == answer["result"]
    resources = client.get_databricks_resources()
    assert [type(r).__name__ for r in resources] == ["DatabricksGenieSpace"]


def test_genie_mcp_needs_can_run_and_the_genie_scope(emulator):
    url = f"{emulator.host}/api/2.0/mcp/genie/{demo_ids.GENIE_SPACE_ID}"
    r = httpx.post(url, json=INIT, headers=_headers(emulator.token_for("bob@example.com")))
    assert r.status_code == 403 and r.json()["error_code"] == "PERMISSION_DENIED"
    narrowed = emulator.token_for("admin@example.com", scopes=["catalog.connections"])
    assert httpx.post(url, json=INIT, headers=_headers(narrowed)).status_code == 403
    scoped = emulator.token_for("admin@example.com", scopes=["genie"])
    assert len(_mcp(url, scoped, [None])[0]) == 2
    missing = httpx.post(f"{emulator.host}/api/2.0/mcp/genie/01f0deadbeef", json=INIT,
                         headers=_headers(emulator.token))
    assert missing.status_code == 403  # Genie answers a missing space with 403, not 404
