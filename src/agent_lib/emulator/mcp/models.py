"""Managed MCP servers: UC functions as tools, Genie spaces as tools, external MCP connections.

Rules (no HTTP here; `routes.py` speaks the transport):

* `/api/2.0/mcp/functions/{catalog}/{schema}[/{function}]`: the tools are UC functions, named as
  Databricks names them, `catalog__schema__function` (`databricks_mcp` turns `__` back into dots
  for `get_databricks_resources`). Listing the schema's tools follows UC's ListFunctions: the
  caller needs USE_CATALOG and USE_SCHEMA (else HTTP 403 for the whole server) and sees the
  functions it may EXECUTE. A call runs `catalog.execute_function` as the caller; a refusal or a
  failure of the function is a tool result with `isError: true` whose text starts with the error
  code (`PERMISSION_DENIED: ...`), so an agent loop sees it as a failed tool call.
* `/api/2.0/mcp/external/{connection}`: `external_target` checks the caller may use the
  connection (USE_CONNECTION), that it exists (404) and is an MCP connection (400), and returns
  the upstream URL, starting a built-in server (`servers.py`) if the connection points at one.
* `/api/2.0/mcp/genie/{space_id}`: `query_space_<id>` / `poll_response_<id>` over the Genie
  service (CAN_RUN on the space; a missing space is 403, as Genie answers); the tool result is
  the answer as JSON (ids, status, text, SQL, the first result rows), `isError` when it FAILED.
"""

from __future__ import annotations

import importlib
import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from ..catalog.sqltext import unquote_literal
from ..core.errors import ApiError, bad_request
from ..core.identity import Principal
from ..core.state import EmulatorState
from . import servers
from .protocol import ToolFailure, text_result

FUNCTION_SCOPES = ("mcp.functions", "unity-catalog", "sql")
CONNECTION_SCOPES = ("catalog.connections",)
GENIE_SCOPES = ("genie", "dashboards.genie")

_LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def _catalog() -> Any:
    """The catalog service's rules (`catalog.models`): functions, their execution, connections."""
    try:
        return importlib.import_module("agent_lib.emulator.catalog.models")
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.startswith("agent_lib.emulator.catalog"):
            raise ApiError(501, "NOT_IMPLEMENTED",
                           "Unity Catalog is not available in this emulated workspace.") from None
        raise


def _catalog_attr(name: str) -> Any:
    try:
        return getattr(_catalog(), name)
    except (AttributeError, ModuleNotFoundError):
        raise ApiError(501, "NOT_IMPLEMENTED",
                       f"Unity Catalog's {name} is not available in this emulated workspace.") from None


# -- UC functions ------------------------------------------------------------------------------

def tool_name(full_name: str) -> str:
    """`main.sales.get_order_status` -> `main__sales__get_order_status` (Databricks' MCP tool name)."""
    return "__".join(full_name.split("."))


def full_name_of(tool: str) -> str:
    return ".".join(tool.split("__"))


_JSON_TYPES = {
    "STRING": "string", "CHAR": "string", "VARCHAR": "string", "BINARY": "string",
    "DATE": "string", "TIMESTAMP": "string", "TIMESTAMP_NTZ": "string", "INTERVAL": "string",
    "BYTE": "integer", "SHORT": "integer", "INT": "integer", "LONG": "integer", "BIGINT": "integer",
    "TINYINT": "integer", "SMALLINT": "integer", "INTEGER": "integer",
    "FLOAT": "number", "DOUBLE": "number", "DECIMAL": "number",
    "BOOLEAN": "boolean", "ARRAY": "array", "MAP": "object", "STRUCT": "object",
}
_FORMATS = {"DATE": "date", "TIMESTAMP": "date-time", "TIMESTAMP_NTZ": "date-time"}


def _type_schema(type_name: str | None, type_text: str | None) -> dict[str, Any]:
    text = (type_text or "").strip().upper()
    name = (type_name or text.split("<", 1)[0].split("(", 1)[0]).upper()
    schema: dict[str, Any] = {"type": _JSON_TYPES.get(name, "string")}
    if name in _FORMATS:
        schema["format"] = _FORMATS[name]
    if name == "ARRAY":
        inner = re.match(r"ARRAY\s*<\s*(.+)\s*>$", text)
        schema["items"] = _type_schema(None, inner.group(1)) if inner else {}
    return schema


def input_schema(function: dict[str, Any]) -> dict[str, Any]:
    """A JSON schema for a UC function's `input_params` (required: parameters without a default)."""
    params = sorted((function.get("input_params") or {}).get("parameters") or [],
                    key=lambda p: p.get("position", 0))
    properties: dict[str, Any] = {}
    required: list[str] = []
    for p in params:
        prop = _type_schema(p.get("type_name"), p.get("type_text"))
        if p.get("comment"):
            prop["description"] = p["comment"]
        if "parameter_default" in p and p["parameter_default"] is not None:
            default = _sql_literal(p["parameter_default"])
            if default is not None:
                prop["default"] = default
        else:
            required.append(p["name"])
        properties[p["name"]] = prop
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    return schema


def _sql_literal(text: str) -> Any:
    """A parameter default as JSON when it is a plain literal ('USD', 10, 0.5, true); else None."""
    value = unquote_literal(str(text))
    plain = value is not None and not (isinstance(value, str) and value == str(text).strip())
    return value if plain else None


def function_tool(function: dict[str, Any]) -> dict[str, Any]:
    full = function["full_name"]
    return {"name": tool_name(full),
            "description": function.get("comment") or f"Unity Catalog function {full}.",
            "inputSchema": input_schema(function)}


def result_text(result: Any) -> str:
    """What the model reads from a UC function result: the scalar value, or the rows as JSON."""
    if hasattr(result, "as_dict"):
        result = result.as_dict()
    elif hasattr(result, "value") and not isinstance(result, dict):
        result = {"value": result.value}
    if isinstance(result, str):
        return result
    if isinstance(result, dict) and "value" in result:
        value = result["value"]
        return value if isinstance(value, str) else json.dumps(value, default=str)
    return json.dumps(result, default=str)


@dataclass
class FunctionsServer:
    """The managed MCP server of one UC schema (or of one function in it), seen by one caller."""

    state: EmulatorState
    caller: Principal
    catalog_name: str
    schema_name: str
    function_name: str | None = None
    instructions: str | None = None

    @property
    def name(self) -> str:
        parts = [self.catalog_name, self.schema_name] + ([self.function_name] if self.function_name else [])
        return "uc-functions-" + "-".join(parts)

    @property
    def schema_full_name(self) -> str:
        return f"{self.catalog_name}.{self.schema_name}"

    def check(self) -> None:
        """Refuse the whole server (HTTP 403/404) as UC's ListFunctions / GetFunction would."""
        if self.function_name:
            _catalog_attr("get_function")(self.state, self.caller,
                                          f"{self.schema_full_name}.{self.function_name}")
        else:
            _catalog_attr("list_functions")(self.state, self.caller, self.catalog_name, self.schema_name)

    def _functions(self) -> list[dict[str, Any]]:
        """The functions the caller may execute (UC filters them)."""
        if self.function_name:
            full = f"{self.schema_full_name}.{self.function_name}"
            return [_catalog_attr("get_function")(self.state, self.caller, full)]
        return list(_catalog_attr("list_functions")(self.state, self.caller, self.catalog_name,
                                                    self.schema_name))

    def list_tools(self) -> list[dict[str, Any]]:
        return [function_tool(f) for f in self._functions()]

    def call_tool(self, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
        full = full_name_of(name)
        parts = full.split(".")
        served = (len(parts) == 3 and f"{parts[0]}.{parts[1]}".lower() == self.schema_full_name.lower()
                  and (self.function_name is None or parts[2].lower() == self.function_name.lower()))
        if not served:
            served_name = tool_name(f"{self.schema_full_name}.{self.function_name or '<function>'}")
            raise ToolFailure(f"Unknown tool: {name}. This server's tools are named {served_name}.")
        result = _catalog_attr("execute_function")(self.state, self.caller, full, arguments)
        return text_result(result_text(result))


# -- external MCP connections ------------------------------------------------------------------

@dataclass(frozen=True)
class Upstream:
    """Where to forward an external MCP conversation, and the headers the connection adds."""

    url: str
    headers: dict[str, str]

    def __repr__(self) -> str:  # never show a bearer token
        return f"Upstream(url={self.url!r})"


def get_connection(state: EmulatorState, name: str) -> dict[str, Any]:
    """The stored connection, secret options included (never served); 404 envelope when absent."""
    return _catalog_attr("get_connection")(state, name)


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
    a, b = urlsplit(host if "://" in host else "http://" + host), urlsplit(emulator_host)
    return (a.hostname, a.port) == (b.hostname, b.port)


def _loopback(host: str | None) -> bool:
    if not host:
        return False
    parsed = urlsplit(host if "://" in host else "http://" + host)
    return (parsed.hostname or "") in _LOOPBACK


# -- Genie spaces ------------------------------------------------------------------------------

GENIE_MAX_ROWS = 100  # rows of a query result shown to the model


def _genie() -> tuple[Any, Any]:
    try:
        return (importlib.import_module("agent_lib.emulator.genie.models"),
                importlib.import_module("agent_lib.emulator.genie.conversations"))
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.startswith("agent_lib.emulator.genie"):
            raise ApiError(501, "NOT_IMPLEMENTED",
                           "Genie is not available in this emulated workspace.") from None
        raise


def genie_answer(conversation_id: str, message_id: str, status: str, *, text: str | None = None,
                 sql: str | None = None, description: str | None = None,
                 statement_response: dict[str, Any] | None = None, suggested: list[str] | None = None,
                 error: str | None = None) -> dict[str, Any]:
    """What a Genie tool returns: ids, status, the answer text, the SQL and the first result rows."""
    out: dict[str, Any] = {"conversation_id": conversation_id, "message_id": message_id, "status": status}
    if text:
        out["text"] = text
    if description:
        out["description"] = description
    if sql:
        out["sql"] = sql
    if statement_response:
        manifest = statement_response.get("manifest", {})
        rows = (statement_response.get("result") or {}).get("data_array") or []
        columns = [c["name"] for c in manifest.get("schema", {}).get("columns", [])]
        out["result"] = {"columns": columns, "rows": rows[:GENIE_MAX_ROWS],
                         "row_count": manifest.get("total_row_count", len(rows))}
        if len(rows) > GENIE_MAX_ROWS or manifest.get("truncated"):
            out["result"]["truncated"] = True
    if suggested:
        out["suggested_questions"] = suggested
    if error:
        out["error"] = error
    return out


@dataclass
class GenieServer:
    """A Genie space as MCP tools: `query_space_<id>` asks, `poll_response_<id>` reads an answer.

    The emulated Genie answers at once, so `query_space` returns the finished answer (status
    COMPLETED or FAILED); `poll_response` reads any message of the caller's conversations again.
    CAN_RUN on the space is required (a missing space is 403, as Genie answers).
    """

    state: EmulatorState
    caller: Principal
    space_id: str

    @property
    def name(self) -> str:
        return f"genie-{self.space_id}"

    @property
    def instructions(self) -> str | None:
        space_models, _ = _genie()
        doc = space_models.get(self.state, self.space_id)
        return doc.get("description") or None

    def check(self) -> None:
        space_models, _ = _genie()
        space_models.require(self.state, self.caller, self.space_id, "CAN_RUN")

    def list_tools(self) -> list[dict[str, Any]]:
        space_models, _ = _genie()
        doc = space_models.get(self.state, self.space_id)
        about = f"Genie space '{doc.get('title', self.space_id)}'"
        if doc.get("description"):
            about += f": {doc['description'].strip()}"
        sid = self.space_id
        return [
            {"name": f"query_space_{sid}",
             "description": f"Ask a question in natural language about the data of the {about}. "
                            "Genie writes and runs the SQL and returns the answer with the query and "
                            "its result rows. Pass conversation_id to ask a follow-up question.",
             "inputSchema": {"type": "object", "properties": {
                 "query": {"type": "string", "description": "The question, in natural language."},
                 "conversation_id": {"type": "string", "description": "The conversation of an earlier "
                                     "answer, to ask a follow-up question in it (optional)."}},
                 "required": ["query"]}},
            {"name": f"poll_response_{sid}",
             "description": f"Get the answer to a question asked earlier of the {about}, by the "
                            "conversation_id and message_id that query_space returned.",
             "inputSchema": {"type": "object", "properties": {
                 "conversation_id": {"type": "string", "description": "The conversation id."},
                 "message_id": {"type": "string", "description": "The message id."}},
                 "required": ["conversation_id", "message_id"]}},
        ]

    def call_tool(self, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
        _, conversations = _genie()
        sid = self.space_id
        if name == f"query_space_{sid}":
            query = arguments.get("query")
            if not isinstance(query, str) or not query.strip():
                raise ToolFailure("Missing required argument: query (the question to ask).")
            a = conversations.ask(self.state, self.caller, sid, query,
                                  conversation_id=arguments.get("conversation_id") or None)
            answer = genie_answer(a["conversation_id"], a["message_id"], a["status"], text=a.get("text"),
                                  sql=a.get("sql"), description=a.get("description"),
                                  statement_response=a.get("statement_response"),
                                  suggested=a.get("suggested_questions"), error=a.get("error"))
        elif name == f"poll_response_{sid}":
            cid, mid = arguments.get("conversation_id"), arguments.get("message_id")
            if not isinstance(cid, str) or not isinstance(mid, str) or not cid or not mid:
                raise ToolFailure("Missing required arguments: conversation_id and message_id.")
            answer = self._poll(conversations, cid, mid)
        else:
            raise ToolFailure(f"Unknown tool: {name}. This server's tools are query_space_{sid} "
                              f"and poll_response_{sid}.")
        return text_result(json.dumps(answer, default=str), structured=answer,
                           error=answer["status"] == "FAILED")

    def _poll(self, conversations: Any, cid: str, mid: str) -> dict[str, Any]:
        msg = conversations.get_message(self.state, self.caller, self.space_id, cid, mid)
        status = msg["status"]
        attachments = msg.get("attachments") or []
        text = " ".join(a["text"]["content"] for a in attachments if "text" in a) or None
        query = next((a["query"] for a in attachments if "query" in a), None)
        suggested = next((a["suggested_questions"]["questions"] for a in attachments
                          if "suggested_questions" in a), None)
        statement = None
        if query and status == "COMPLETED":
            statement = conversations.query_result(self.state, self.caller, self.space_id, cid,
                                                   mid)["statement_response"]
        return genie_answer(cid, mid, status, text=text, sql=query.get("query") if query else None,
                            description=query.get("description") if query else None,
                            statement_response=statement, suggested=suggested,
                            error=(msg.get("error") or {}).get("error"))


# -- in-process helpers for other services (the hosted Supervisor loop) --------------------------

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
