"""Managed MCP over streamable HTTP: UC functions, Genie spaces, and the external MCP proxy.

    POST /api/2.0/mcp/functions/{catalog}/{schema}             UC functions of a schema as tools
    POST /api/2.0/mcp/functions/{catalog}/{schema}/{function}  one UC function as a tool
    POST /api/2.0/mcp/genie/{space_id}                         a Genie space as tools
    POST|GET|DELETE /api/2.0/mcp/external/{connection}         proxy to a UC connection's MCP server
    POST|GET|DELETE /_emulator/mcp/servers/{server}            a built-in server (e.g. ticketing)

Every request authenticates (401 envelope) and checks scopes and privileges before any MCP
message is read, so a refused caller gets Databricks' HTTP error (403/404) rather than an MCP
answer. Managed servers answer GET and DELETE with 405: they are stateless JSON servers.
"""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool

from ..core.deps import Caller, State
from ..core.errors import ApiError, not_found
from ..core.identity import require_scope
from . import servers
from .external import CONNECTION_SCOPES, Upstream, external_target
from .genie_tools import GENIE_SCOPES, GenieServer
from .protocol import ToolServer, handle_body
from .uc_functions import FUNCTION_SCOPES, FunctionsServer

router = APIRouter()

_METHODS = ["GET", "POST", "DELETE"]
# Headers of the MCP transport that pass through the proxy (the caller's Authorization never does).
_FORWARD_REQUEST = ("content-type", "accept", "mcp-session-id", "mcp-protocol-version", "last-event-id")
_FORWARD_RESPONSE = ("content-type", "mcp-session-id", "mcp-protocol-version", "cache-control", "allow")


async def _serve(request: Request, server: ToolServer) -> Response:
    if request.method != "POST":
        return JSONResponse({"error_code": "BAD_REQUEST",
                             "message": "This MCP server is stateless: send JSON-RPC messages with POST."},
                            status_code=405, headers={"Allow": "POST"})
    raw = await request.body()
    status, body = await run_in_threadpool(handle_body, raw, lambda: server)
    if body is None:
        return Response(status_code=status)
    return JSONResponse(body, status_code=status)


@router.api_route("/api/2.0/mcp/functions/{catalog_name}/{schema_name}", methods=_METHODS)
async def functions_schema(catalog_name: str, schema_name: str, request: Request, state: State,
                           caller: Caller) -> Response:
    require_scope(caller, *FUNCTION_SCOPES)
    server = FunctionsServer(state, caller, catalog_name, schema_name)
    await run_in_threadpool(server.check)
    return await _serve(request, server)


@router.api_route("/api/2.0/mcp/functions/{catalog_name}/{schema_name}/{function_name}", methods=_METHODS)
async def functions_one(catalog_name: str, schema_name: str, function_name: str, request: Request,
                        state: State, caller: Caller) -> Response:
    require_scope(caller, *FUNCTION_SCOPES)
    server = FunctionsServer(state, caller, catalog_name, schema_name, function_name)
    await run_in_threadpool(server.check)
    return await _serve(request, server)


@router.api_route("/api/2.0/mcp/genie/{space_id}", methods=_METHODS)
async def genie_space(space_id: str, request: Request, state: State, caller: Caller) -> Response:
    require_scope(caller, *GENIE_SCOPES)
    server = GenieServer(state, caller, space_id)
    await run_in_threadpool(server.check)
    return await _serve(request, server)


@router.api_route("/api/2.0/mcp/external/{connection_name}", methods=_METHODS)
async def external(connection_name: str, request: Request, state: State, caller: Caller) -> Response:
    require_scope(caller, *CONNECTION_SCOPES)
    upstream = await run_in_threadpool(external_target, state, caller, connection_name)
    return await _forward(request, upstream, f"connection '{connection_name}'")


@router.api_route("/_emulator/mcp/servers/{server}", methods=_METHODS)
async def builtin(server: str, request: Request, state: State, caller: Caller) -> Response:
    """A built-in MCP server, as a UC connection's `host` + `base_path` designates it."""
    if server not in servers.BUILTIN:
        raise not_found(f"No built-in MCP server '{server}'; known: {', '.join(sorted(servers.BUILTIN))}.")
    url = await run_in_threadpool(servers.url, state, server)
    return await _forward(request, Upstream(url, {}), f"built-in server '{server}'")


def _client(request: Request) -> httpx.AsyncClient:
    """One pooled client per workspace for the proxy (a new client costs ~100 ms of TLS setup).

    Upstreams are on 127.0.0.1 only; the client lives on the server's event loop and is dropped
    with the rest of `state.runtime` when the workspace stops or resets.
    """
    runtime = request.app.state.emulator.runtime
    client = runtime.get("mcp.proxy.http")
    if client is None:
        client = runtime["mcp.proxy.http"] = httpx.AsyncClient(
            timeout=httpx.Timeout(120.0, connect=5.0), trust_env=False, verify=False)
    return client


async def _forward(request: Request, upstream: Upstream, label: str) -> Response:
    """Relay one streamable-HTTP exchange; server-sent events stream through as they come."""
    headers = {k: v for k in _FORWARD_REQUEST if (v := request.headers.get(k)) is not None}
    headers.update(upstream.headers)
    client = _client(request)
    try:
        req = client.build_request(request.method, upstream.url, headers=headers,
                                   content=await request.body(), params=request.query_params)
        resp = await client.send(req, stream=True)
    except httpx.HTTPError as exc:
        raise ApiError(503, "TEMPORARILY_UNAVAILABLE",
                       f"Could not reach the MCP server of {label}: {type(exc).__name__}.") from None
    out_headers = {k: v for k in _FORWARD_RESPONSE if (v := resp.headers.get(k)) is not None}

    async def close() -> None:
        await resp.aclose()

    if resp.headers.get("content-type", "").startswith("text/event-stream"):
        return StreamingResponse(resp.aiter_raw(), status_code=resp.status_code, headers=out_headers,
                                 background=BackgroundTask(close))
    try:
        body: Any = await resp.aread()
    finally:
        await close()
    out_headers.pop("content-type", None)
    return Response(body, status_code=resp.status_code, headers=out_headers,
                    media_type=resp.headers.get("content-type"))
