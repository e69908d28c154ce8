"""The server side of MCP over streamable HTTP, for the emulator's managed MCP endpoints.

Databricks' managed MCP servers (`/api/2.0/mcp/functions/...`, `/api/2.0/mcp/genie/...`) are
stateless: every POST carries one JSON-RPC message and gets one `application/json` answer, with
no `Mcp-Session-Id` and no server-sent events. That is a valid streamable HTTP server, and both
`mcp.client.streamable_http` and `databricks_mcp.DatabricksMCPClient` speak it: `initialize`,
`notifications/initialized` (202, no body), `ping`, `tools/list`, `tools/call`. A tool that fails
answers a `CallToolResult` with `isError: true` (what MCP clients show the model), not a
JSON-RPC error; JSON-RPC errors are for malformed messages and unknown methods.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any, Protocol

from ..core.errors import ApiError

log = logging.getLogger("agent_lib.emulator.mcp")

PROTOCOL_VERSIONS = ("2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25")
LATEST = PROTOCOL_VERSIONS[-1]

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603


class ToolServer(Protocol):
    """What a managed MCP server offers: its name, instructions, tools and a way to call them."""

    name: str
    instructions: str | None

    def list_tools(self) -> list[dict[str, Any]]: ...

    def call_tool(self, name: str, arguments: dict[str, Any]) -> dict[str, Any]: ...


class ToolFailure(Exception):
    """A tool call that failed: answered as a `CallToolResult` with `isError: true`."""


def text_result(text: str, *, error: bool = False, structured: Any = None) -> dict[str, Any]:
    result: dict[str, Any] = {"content": [{"type": "text", "text": text}]}
    if structured is not None:
        result["structuredContent"] = structured
    if error:
        result["isError"] = True
    return result


def _error(msg_id: Any, code: int, message: str) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": msg_id, "error": {"code": code, "message": message}}


def _ok(msg_id: Any, result: dict[str, Any]) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": msg_id, "result": result}


def handle_body(raw: bytes, server_factory: Callable[[], ToolServer]) -> tuple[int, Any]:
    """One POST body -> (HTTP status, JSON answer or None for 202 Accepted)."""
    try:
        payload = json.loads(raw or b"")
    except ValueError as exc:
        return 400, _error(None, PARSE_ERROR, f"Parse error: the body is not JSON ({exc})")
    messages = payload if isinstance(payload, list) else [payload]
    if not messages:
        return 400, _error(None, INVALID_REQUEST, "Invalid request: empty batch")
    server: ToolServer | None = None

    def get_server() -> ToolServer:
        nonlocal server
        if server is None:
            server = server_factory()
        return server

    answers = [a for a in (handle_message(m, get_server) for m in messages) if a is not None]
    if not answers:
        return 202, None
    return 200, answers if isinstance(payload, list) else answers[0]


def handle_message(message: Any, server: Callable[[], ToolServer]) -> dict[str, Any] | None:
    """Answer one JSON-RPC message; None for notifications and responses (nothing to answer)."""
    if not isinstance(message, dict) or message.get("jsonrpc") != "2.0":
        return _error(None, INVALID_REQUEST, "Invalid request: expected a JSON-RPC 2.0 object")
    if "method" not in message:
        return None  # a response to a server request; this server sends none
    method, msg_id = message["method"], message.get("id")
    if "id" not in message:
        return None  # notifications/initialized, notifications/cancelled, ...
    params = message.get("params") or {}
    if not isinstance(params, dict):
        return _error(msg_id, INVALID_PARAMS, "Invalid params: 'params' must be an object")
    try:
        if method == "initialize":
            return _ok(msg_id, _initialize(params, server()))
        if method == "ping":
            return _ok(msg_id, {})
        if method == "tools/list":
            return _ok(msg_id, {"tools": server().list_tools()})
        if method == "tools/call":
            name = params.get("name")
            arguments = params.get("arguments") or {}
            if not isinstance(name, str) or not name:
                return _error(msg_id, INVALID_PARAMS, "Invalid params: 'name' (the tool name) is required")
            if not isinstance(arguments, dict):
                return _error(msg_id, INVALID_PARAMS, "Invalid params: 'arguments' must be an object")
            try:
                return _ok(msg_id, server().call_tool(name, arguments))
            except ToolFailure as exc:
                return _ok(msg_id, text_result(str(exc), error=True))
            except ApiError as exc:
                return _ok(msg_id, text_result(f"{exc.error_code}: {exc.message}", error=True))
        return _error(msg_id, METHOD_NOT_FOUND, f"Method not found: {method}")
    except ApiError:
        raise  # refused before any tool ran (permissions, missing objects): HTTP envelope
    except Exception as exc:  # never a 500 without an answer the client can read
        log.exception("managed MCP method %s failed", method)
        return _error(msg_id, INTERNAL_ERROR, f"Internal error: {type(exc).__name__}: {exc}")


def _initialize(params: dict[str, Any], server: ToolServer) -> dict[str, Any]:
    asked = params.get("protocolVersion")
    version = asked if asked in PROTOCOL_VERSIONS else LATEST
    result: dict[str, Any] = {
        "protocolVersion": version,
        "capabilities": {"tools": {"listChanged": False}},
        "serverInfo": {"name": server.name, "version": "1.0.0"},
    }
    if server.instructions:
        result["instructions"] = server.instructions
    return result
