"""External MCP connections: `/api/2.0/mcp/external/{connection}` and in-process calls of them.

`external_target` checks the caller may use the connection (USE_CONNECTION), that it exists (404)
and is an MCP connection (400), and returns the upstream URL, starting a built-in server
(`servers.py`) if the connection points at one. Only servers on 127.0.0.1 are reachable. The
hosted Supervisor loop lists and calls a connection's tools through `connection_tools` /
`call_connection_tool`, with the same checks as the HTTP proxy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import SplitResult, urlsplit

from ..catalog import connections
from ..core.errors import ApiError, bad_request
from ..core.identity import Principal
from ..core.state import EmulatorState
from . import servers

CONNECTION_SCOPES = ("catalog.connections",)

_LOOPBACK = {"127.0.0.1", "localhost", "::1"}


@dataclass(frozen=True)
class Upstream:
    """Where to forward an external MCP conversation, and the headers the connection adds."""

    url: str
    headers: dict[str, str]

    def __repr__(self) -> str:  # never show a bearer token
        return f"Upstream(url={self.url!r})"


def get_connection(state: EmulatorState, name: str) -> dict[str, Any]:
    """The stored connection, secret options included (never served); 404 envelope when absent."""
    return connections.get_connection(state, name)


def is_mcp_connection(conn: dict[str, Any]) -> bool:
    flag = (conn.get("options") or {}).get("is_mcp_connection")
    return str(flag).lower() == "true"


def external_target(state: EmulatorState, caller: Principal, name: str) -> Upstream:
    """Check the caller may talk to the connection's MCP server and say where it is (may start it)."""
    conn = get_connection(state, name)
    state.grants.require(caller, "connection", conn.get("name") or name, "USE_CONNECTION")
    if not is_mcp_connection(conn):
        raise bad_request(f"Connection '{name}' is not an MCP connection: its option "
                          "is_mcp_connection is not 'true'.")
    return upstream_of(state, conn)


def upstream_of(state: EmulatorState, conn: dict[str, Any]) -> Upstream:
    options = conn.get("options") or {}
    name = conn.get("name", "")
    headers: dict[str, str] = {}
    token = options.get("bearer_token")
    if token:
        headers["Authorization"] = f"Bearer {token}"
    builtin = servers.builtin_name(options.get("base_path"))
    if builtin is None and name.lower() in servers.BUILTIN and (
            not _loopback(options.get("host")) or _same_origin(options.get("host"), state.host)):
        builtin = name.lower()  # the demo connection with placeholder options
    if builtin is not None:
        return Upstream(servers.url(state, builtin), {})
    host = (options.get("host") or "").rstrip("/")
    if not host:
        raise bad_request(f"Connection '{name}' has no 'host' option; an MCP connection needs the "
                          "server's URL in 'host' (and its path in 'base_path').")
    if "://" not in host:
        host = "https://" + host
    if not _loopback(host):
        raise ApiError(503, "TEMPORARILY_UNAVAILABLE",
                       f"The MCP server of connection '{name}' ({host}) is not reachable: the emulated "
                       "workspace only reaches servers on 127.0.0.1.")
    port = options.get("port")
    if port and urlsplit(host).port is None:
        host = f"{host}:{port}"
    base_path = options.get("base_path") or ""
    if base_path and not base_path.startswith("/"):
        base_path = "/" + base_path
    return Upstream(host + base_path, headers)


def _same_origin(host: str | None, emulator_host: str) -> bool:
    """Whether `host` is this emulated workspace itself (a connection pointing back at it)."""
    if not host or not emulator_host:
        return False
    a, b = _split(host), urlsplit(emulator_host)
    return (a.hostname, a.port) == (b.hostname, b.port)


def _loopback(host: str | None) -> bool:
    if not host:
        return False
    return (_split(host).hostname or "") in _LOOPBACK


def _split(host: str) -> SplitResult:
    """A connection's `host` option as a URL (a bare `host:port` is read as http)."""
    return urlsplit(host if "://" in host else "http://" + host)


def connection_tools(state: EmulatorState, caller: Principal, connection: str) -> list[dict[str, Any]]:
    """The tools of a connection's MCP server as the caller sees them (`tools/list`, as dicts).

    Same checks as the HTTP proxy (USE_CONNECTION, MCP connection). Call from a worker thread,
    not from a running event loop.
    """
    upstream = external_target(state, caller, connection)
    result = _run_session(upstream, lambda s: s.list_tools())
    return [t.model_dump(mode="json", by_alias=True, exclude_none=True) for t in result.tools]


def call_connection_tool(state: EmulatorState, caller: Principal, connection: str, name: str,
                         arguments: dict[str, Any] | None = None) -> dict[str, Any]:
    """Call one tool of a connection's MCP server; the `CallToolResult` as a dict
    (`content`, `structuredContent`, `isError`). Same checks as the proxy."""
    upstream = external_target(state, caller, connection)
    result = _run_session(upstream, lambda s: s.call_tool(name, arguments or {}))
    return result.model_dump(mode="json", by_alias=True, exclude_none=True)


def _run_session(upstream: Upstream, step: Any) -> Any:
    import asyncio

    import httpx
    from mcp.client.session import ClientSession
    from mcp.client.streamable_http import streamable_http_client

    async def go() -> Any:
        async with httpx.AsyncClient(headers=upstream.headers, trust_env=False, verify=False,
                                     timeout=httpx.Timeout(120.0, connect=5.0)) as http:
            async with streamable_http_client(upstream.url, http_client=http) as (read, write, _):
                async with ClientSession(read, write) as session:
                    await session.initialize()
                    return await step(session)

    try:
        return asyncio.run(go())
    except BaseException as exc:  # anyio wraps transport failures in exception groups
        inner = exc
        while isinstance(inner, BaseExceptionGroup) and inner.exceptions:
            inner = inner.exceptions[0]
        if isinstance(inner, (httpx.HTTPError, OSError)):
            raise ApiError(503, "TEMPORARILY_UNAVAILABLE", f"Could not reach the MCP server at "
                           f"{upstream.url}: {type(inner).__name__}.") from None
        raise
