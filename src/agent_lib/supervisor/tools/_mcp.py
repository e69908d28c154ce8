"""Managed MCP servers: list a server's tools, call one, read the result as text.

Servers are addressed on the workspace host: `/api/2.0/mcp/functions/{catalog}/{schema}` (UC
functions) and `/api/2.0/mcp/external/{connection}` (the proxy in front of a UC connection).

Executors keep one session per server (`_mcp_sessions.McpSessions`); `list_tools(w, path)` and
`call_tool(w, path, ...)` here are the one-shot forms (a session per operation, through
`DatabricksMCPClient`), and the helpers both share: URLs, the SSL context, error diagnosis, results.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from .failure import ToolFailure

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient

CONNECT_TIMEOUT_S = 30.0
"""Connect/write budget of the MCP transport's requests (databricks-mcp's default)."""
SSE_READ_TIMEOUT_S = 300.0
"""Read budget of a response stream (databricks-mcp's default)."""


def server_url(w: WorkspaceClient, path: str) -> str:
    return f"{str(w.config.host).rstrip('/')}{path}"


def _client(w: WorkspaceClient, path: str) -> Any:
    from databricks_mcp import DatabricksMCPClient

    return DatabricksMCPClient(server_url(w, path), workspace_client=w)


@lru_cache(maxsize=1)
def ssl_context() -> Any:
    """One SSL context for every MCP http client of the process (creating one costs ~50 ms)."""
    import httpx

    return httpx.create_ssl_context()


class McpHttpError(Exception):
    """The MCP server's HTTP answer when a session could not be opened (401, 403, 404, 503, ...),
    with its `Retry-After` seconds (`retry_after_secs`, as databricks-sdk names it) when it gave one."""

    def __init__(self, status_code: int, message: str, retry_after_secs: float | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.retry_after_secs = retry_after_secs


def _diagnose(w: WorkspaceClient, path: str, exc: BaseException) -> BaseException:
    """Why a session failed, asked of the server directly: the MCP client's own errors for an HTTP
    failure are often opaque (an OAuth discovery attempt on a 401, a bare task-group error)."""
    import httpx

    from ..failures import envelope

    body = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
            "params": {"protocolVersion": "2025-06-18", "capabilities": {},
                       "clientInfo": {"name": "agent-lib", "version": "1"}}}
    try:
        response = httpx.post(server_url(w, path), json=body, timeout=10, verify=ssl_context(), headers={
            **w.config.authenticate(), "Accept": "application/json, text/event-stream"})
    except Exception:  # noqa: BLE001 - keep the original error
        return exc
    if response.status_code < 400:
        return exc
    try:
        code, message = envelope(response.json())
    except ValueError:
        code, message = None, response.text.strip()
    label = f"{response.status_code} {code}" if code else str(response.status_code)
    from ..retry import retry_after

    return McpHttpError(response.status_code, f"{path} answered {label}: {message or 'no message'}",
                        retry_after(httpx.HTTPStatusError("", request=response.request, response=response)))


def list_tools(w: WorkspaceClient, path: str) -> list[Any]:
    """The server's `mcp.types.Tool`s (name, description, inputSchema), over a session of its own."""
    try:
        return list(_client(w, path).list_tools())
    except Exception as exc:
        raise _diagnose(w, path, unwrap(exc)) from None


def call_tool(w: WorkspaceClient, path: str, name: str, arguments: dict[str, Any]) -> str:
    """The tool's result as text, over a session of its own; an MCP error result raises `ToolFailure`."""
    try:
        result = _client(w, path).call_tool(name, arguments)
    except Exception as exc:
        raise _diagnose(w, path, unwrap(exc)) from None
    return _text_or_failure(result, name)


def _text_or_failure(result: Any, name: str) -> str:
    text = result_text(result)
    if getattr(result, "isError", False):
        raise ToolFailure(text or f"MCP tool {name} failed without a message")
    return text


def _mcp_error_message(exc: BaseException) -> str | None:
    error = getattr(exc, "error", None)
    message = getattr(error, "message", None)
    return message if isinstance(message, str) else None


def _terminated(exc: BaseException) -> bool:
    return _mcp_error_message(unwrap(exc)) == "Session terminated"


def _closed(exc: BaseException) -> bool:
    return _mcp_error_message(unwrap(exc)) == "Connection closed" or isinstance(
        unwrap(exc), ConnectionError | RuntimeError) or type(unwrap(exc)).__name__ == "ClosedResourceError"


def _answered(exc: BaseException) -> bool:
    """An error the server answered within a working session (not a transport failure)."""
    message = _mcp_error_message(unwrap(exc))
    return message is not None and message not in ("Session terminated", "Connection closed")


def result_text(result: Any) -> str:
    """Text parts joined; structured content as JSON when there is no text."""
    parts = [getattr(c, "text", None) for c in (getattr(result, "content", None) or [])]
    texts = [p for p in parts if isinstance(p, str)]
    if texts:
        return "\n".join(texts)
    structured = getattr(result, "structuredContent", None)
    return json.dumps(structured, default=str) if structured is not None else ""


def unwrap(exc: BaseException) -> BaseException:
    """The first leaf of an `ExceptionGroup` (anyio task groups wrap HTTP errors in them)."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return exc


def schema_of(tool: Any) -> dict[str, Any]:
    schema = getattr(tool, "inputSchema", None)
    if not isinstance(schema, dict):
        return {"type": "object", "properties": {}}
    return {"type": "object", "properties": {}, **schema}


__all__ = ["McpHttpError", "call_tool", "list_tools", "result_text", "schema_of", "server_url",
           "ssl_context", "unwrap"]
