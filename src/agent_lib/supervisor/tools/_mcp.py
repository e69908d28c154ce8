"""Managed MCP servers through databricks-mcp: list a server's tools, call one, read the result as text.

Servers are addressed on the workspace host: `/api/2.0/mcp/functions/{catalog}/{schema}` (UC
functions) and `/api/2.0/mcp/external/{connection}` (the proxy in front of a UC connection).
`DatabricksMCPClient` runs each operation with `asyncio.run`, so these calls belong in worker threads
(which is where the client engine runs tools), never inside a running event loop.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from .base import ToolFailure

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient


def server_url(w: WorkspaceClient, path: str) -> str:
    return f"{str(w.config.host).rstrip('/')}{path}"


def _client(w: WorkspaceClient, path: str) -> Any:
    from databricks_mcp import DatabricksMCPClient

    return DatabricksMCPClient(server_url(w, path), workspace_client=w)


def list_tools(w: WorkspaceClient, path: str) -> list[Any]:
    """The server's `mcp.types.Tool`s (name, description, inputSchema)."""
    return list(_client(w, path).list_tools())


def call_tool(w: WorkspaceClient, path: str, name: str, arguments: dict[str, Any]) -> str:
    """The tool's result as text; an MCP error result raises `ToolFailure` with the server's words."""
    result = _client(w, path).call_tool(name, arguments)
    text = result_text(result)
    if getattr(result, "isError", False):
        raise ToolFailure(text or f"MCP tool {name} failed without a message")
    return text


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


__all__ = ["call_tool", "list_tools", "result_text", "schema_of", "server_url", "unwrap"]
