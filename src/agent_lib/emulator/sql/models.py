"""SQL statement execution and the one SQL warehouse (state and rules; no HTTP here).

Statements run synchronously on `state.warehouse` (SQLite behind UC three-part names) and are
answered as Databricks' `StatementResponse`: `status.state` SUCCEEDED or FAILED (a bad statement is
a FAILED statement with `status.error`, never an HTTP error), `manifest.schema.columns`, and
`result.data_array` as strings (JSON_ARRAY format; NULL stays null), in chunks of `CHUNK_ROWS`.
Statements that call UC functions (`SELECT cat.sch.fn(...)`, `SELECT * FROM cat.sch.fn(...)`) run
them through `catalog.functions`, enforcing EXECUTE for the caller.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from ..catalog import functions, sqltext
from ..core.demo_ids import WAREHOUSE_ID
from ..core.errors import ApiError, invalid, not_found, permission_denied
from ..core.identity import Principal, require_scope
from ..core.state import ADMIN_USER, EmulatorState
from ..warehouse import WarehouseError

STATEMENT = "sql_statement"
CHUNK_ROWS = 10_000  # rows per result chunk (module constant so tests can shrink it)
KEEP_STATEMENTS = 500  # finished statements kept for GET / chunk fetches
WAREHOUSE_NAME = "Emulated Serverless Warehouse"

_FIELDS = {"statement", "warehouse_id", "parameters", "catalog", "schema", "wait_timeout",
           "on_wait_timeout", "disposition", "format", "row_limit", "byte_limit", "query_tags"}
_TYPE_NAME = {"BIGINT": "LONG", "SMALLINT": "SHORT", "TINYINT": "BYTE", "INTEGER": "INT",
              "TIMESTAMP_NTZ": "TIMESTAMP", "VARCHAR": "STRING", "TEXT": "STRING"}
_WRITES = re.compile(r"^[\s(]*(insert|update|delete|create|drop|alter|replace|merge|truncate|"
                     r"grant|revoke|reindex|vacuum|analyze)\b", re.IGNORECASE)
_UNSUPPORTED = re.compile(r"^[\s(]*(attach|detach|pragma|begin|commit|rollback|savepoint|release)\b",
                          re.IGNORECASE)
_PARAM_TYPES = {"STRING", "INT", "INTEGER", "BIGINT", "LONG", "SMALLINT", "SHORT", "TINYINT", "BYTE",
                "DOUBLE", "FLOAT", "DECIMAL", "BOOLEAN", "DATE", "TIMESTAMP", "TIMESTAMP_NTZ",
                "VOID"}


class StatementFailed(Exception):
    def __init__(self, message: str, sql_state: str | None = None, error_code: str = "BAD_REQUEST"):
        super().__init__(message)
        self.message, self.sql_state, self.error_code = message, sql_state, error_code


# -- warehouses -------------------------------------------------------------------------------

def warehouse_info(state: EmulatorState) -> dict[str, Any]:
    host = state.host.split("://", 1)[-1]
    return {"id": WAREHOUSE_ID, "name": WAREHOUSE_NAME, "state": "RUNNING", "cluster_size": "2X-Small",
            "warehouse_type": "PRO", "enable_serverless_compute": True, "enable_photon": True,
            "auto_stop_mins": 10, "min_num_clusters": 1, "max_num_clusters": 1, "num_clusters": 1,
            "num_active_sessions": 0, "creator_name": ADMIN_USER, "health": {"status": "HEALTHY"},
            "odbc_params": {"hostname": host, "path": f"/sql/1.0/warehouses/{WAREHOUSE_ID}",
                            "port": 443, "protocol": "https"}}


def _can(state: EmulatorState, caller: Principal, level: str) -> bool:
    return state.acls.allows(caller, "warehouses", WAREHOUSE_ID, level)


def list_warehouses(state: EmulatorState, caller: Principal) -> list[dict[str, Any]]:
    return [warehouse_info(state)] if _can(state, caller, "CAN_VIEW") else []


def get_warehouse(state: EmulatorState, caller: Principal, warehouse_id: str) -> dict[str, Any]:
    if warehouse_id != WAREHOUSE_ID:
        raise not_found(f"Warehouse '{warehouse_id}' does not exist.")
    state.acls.require(caller, "warehouses", WAREHOUSE_ID, "CAN_VIEW", label=WAREHOUSE_NAME)
    return warehouse_info(state)


# -- request validation -----------------------------------------------------------------------

def _wait_timeout(value: Any) -> None:
    if value is None:
        return
    m = re.fullmatch(r"(\d+)s", str(value).strip())
    if not m or not (int(m.group(1)) == 0 or 5 <= int(m.group(1)) <= 50):
        raise invalid(f"Invalid value for field 'wait_timeout': '{value}' (expected 0s, or "
                      "between 5s and 50s).")


def _param_value(name: str, value: Any, type_text: str) -> Any:
    t = type_text.strip().upper()
    base = t.split("(", 1)[0]
    if base not in _PARAM_TYPES:
        raise invalid(f"Invalid value for field 'parameters': parameter '{name}' has unsupported "
                      f"type '{type_text}'.")
    if value is None or base == "VOID":
        return None
    kind = {"INTEGER": "INT", "BIGINT": "LONG", "SMALLINT": "SHORT", "TINYINT": "BYTE"}.get(base, base)
    try:
        v = functions.coerce(value, kind, f"parameter '{name}'")
    except ApiError as exc:
        raise invalid(f"Invalid value for field 'parameters': {exc.message}") from None
    return int(v) if isinstance(v, bool) else v


def _parse(body: dict[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(body) - _FIELDS)
    if unknown:
        raise invalid(f"Unknown field: {unknown[0]}")
    statement = body.get("statement")
    if not isinstance(statement, str) or not statement.strip():
        raise invalid("Missing required field: statement")
    warehouse_id = body.get("warehouse_id")
    if not warehouse_id:
        raise invalid("Missing required field: warehouse_id")
    disposition = body.get("disposition") or "INLINE"
    if disposition == "EXTERNAL_LINKS":
        raise invalid("Invalid value for field 'disposition': EXTERNAL_LINKS is not supported by "
                      "the emulated warehouse; use INLINE (the default).")
    if disposition != "INLINE":
        raise invalid(f"Invalid value for field 'disposition': '{disposition}' (expected INLINE).")
    fmt = body.get("format") or "JSON_ARRAY"
    if fmt != "JSON_ARRAY":
        raise invalid(f"Invalid value for field 'format': '{fmt}'; INLINE results support only "
                      "JSON_ARRAY (ARROW_STREAM and CSV need EXTERNAL_LINKS).")
    _wait_timeout(body.get("wait_timeout"))
    if body.get("on_wait_timeout") not in (None, "CONTINUE", "CANCEL"):
        raise invalid(f"Invalid value for field 'on_wait_timeout': '{body['on_wait_timeout']}' "
                      "(expected CONTINUE or CANCEL).")
    row_limit = body.get("row_limit")
    if row_limit is not None and (not isinstance(row_limit, int) or isinstance(row_limit, bool)
                                  or row_limit < 0):
        raise invalid("Invalid value for field 'row_limit': expected a non-negative integer.")
    params: dict[str, Any] = {}
    raw_params = body.get("parameters") or []
    if not isinstance(raw_params, list):
        raise invalid("Invalid value for field 'parameters': expected a list.")
    for i, p in enumerate(raw_params):
        if not isinstance(p, dict) or not p.get("name"):
            raise invalid(f"Missing required field: parameters[{i}].name")
        params[p["name"]] = _param_value(p["name"], p.get("value"), p.get("type") or "STRING")
    for f in ("catalog", "schema"):
        if body.get(f) is not None and not isinstance(body[f], str):
            raise invalid(f"Invalid value for field '{f}': expected a string.")
    return {"statement": statement, "warehouse_id": warehouse_id, "params": params,
            "catalog": (body.get("catalog") or "main").lower(),
            "schema": body["schema"].lower() if body.get("schema") else None,
            "row_limit": row_limit or None}


# -- execution --------------------------------------------------------------------------------

def execute_statement(state: EmulatorState, caller: Principal, body: dict[str, Any]) -> dict[str, Any]:
    req = _parse(body)
    if req["warehouse_id"] != WAREHOUSE_ID:
        raise not_found(f"Warehouse '{req['warehouse_id']}' does not exist "
                        f"(the emulated workspace's warehouse is '{WAREHOUSE_ID}').")
    called = _called_functions(state, req["statement"], req["catalog"], req["schema"])
    if not caller.has_scope("sql"):
        if called and caller.has_scope("mcp.functions", "unity-catalog"):
            pass  # a narrowed token may run UC functions through SQL
        else:
            require_scope(caller, "sql")
    state.acls.require(caller, "warehouses", WAREHOUSE_ID, "CAN_USE", label=WAREHOUSE_NAME)
    statement_id = str(uuid.uuid4())
    try:
        columns, rows, truncated = _run(state, caller, req, called)
    except StatementFailed as f:
        status: dict[str, Any] = {"state": "FAILED",
                                  "error": {"error_code": f.error_code, "message": f.message}}
        if f.sql_state:
            status["sql_state"] = f.sql_state
        response = {"statement_id": statement_id, "status": status}
        _save(state, caller, statement_id, response, [])
        return response
    data = [[_cell(v, c["type_text"]) for v, c in zip(r, columns)] for r in rows]
    chunks = [data[i:i + CHUNK_ROWS] for i in range(0, len(data), CHUNK_ROWS)] or [[]]
    manifest = {"format": "JSON_ARRAY",
                "schema": {"column_count": len(columns), "columns": columns},
                "total_chunk_count": len(chunks),
                "chunks": [{"chunk_index": i, "row_offset": i * CHUNK_ROWS, "row_count": len(c)}
                           for i, c in enumerate(chunks)],
                "total_row_count": len(data), "truncated": truncated}
    response = {"statement_id": statement_id, "status": {"state": "SUCCEEDED"},
                "manifest": manifest, "result": _chunk(statement_id, chunks, 0)}
    _save(state, caller, statement_id, response, chunks)
    return response


def _chunk(statement_id: str, chunks: list[list[list[Any]]], index: int) -> dict[str, Any]:
    rows = chunks[index]
    out: dict[str, Any] = {"chunk_index": index, "row_offset": index * CHUNK_ROWS, "row_count": len(rows)}
    if rows:
        out["data_array"] = rows
    if index + 1 < len(chunks):
        out["next_chunk_index"] = index + 1
        out["next_chunk_internal_link"] = f"/api/2.0/sql/statements/{statement_id}/result/chunks/{index + 1}"
    return out


def _save(state: EmulatorState, caller: Principal, statement_id: str, response: dict[str, Any],
          chunks: list[list[list[Any]]]) -> None:
    doc = {"owner_id": caller.id, "response": {k: v for k, v in response.items() if k != "result"},
           "chunks": chunks}
    with state.store.transaction():
        state.store.put(STATEMENT, statement_id, doc)
        keys = state.store.keys(STATEMENT)
        for key in keys[:max(0, len(keys) - KEEP_STATEMENTS)]:
            state.store.delete(STATEMENT, key)


def _called_functions(state: EmulatorState, sql: str, catalog: str,
                      schema: str | None) -> list[dict[str, Any]]:
    masked = sqltext.mask(sql)
    docs = []
    for m in sqltext.CALL.finditer(masked):
        doc = functions.resolve_call(state, sqltext.name_parts(sql[m.start(1):m.end(1)]), catalog, schema)
        if doc is not None and doc not in docs:
            docs.append(doc)
    return docs


def _run(state: EmulatorState, caller: Principal, req: dict[str, Any], called: list[dict[str, Any]]
         ) -> tuple[list[dict[str, Any]], tuple[tuple[Any, ...], ...], bool]:
    sql = req["statement"].strip()
    while sql.endswith(";"):
        sql = sql[:-1].rstrip()
    masked = sqltext.mask(sql)
    if ";" in masked:
        raise StatementFailed("[PARSE_SYNTAX_ERROR] Only one statement can be executed at a time; "
                              "remove the ';' between statements.", "42601")
    missing = [n for n in sqltext.statement_params(masked) if n not in req["params"]]
    if missing:
        raise StatementFailed(f"[UNBOUND_SQL_PARAMETER] Found the unbound parameter: {missing[0]}. "
                              "Provide it in `parameters` as {name, value, type}.", "42P02")
    _check_tables(state, masked, sql, req["catalog"])
    unsupported = _UNSUPPORTED.match(sql)
    if unsupported:
        raise StatementFailed(f"[PARSE_SYNTAX_ERROR] Syntax error at or near "
                              f"'{unsupported.group(1).upper()}': not a Databricks SQL statement.", "42601")
    if not caller.admin and _WRITES.match(sql):
        raise StatementFailed("[INSUFFICIENT_PERMISSIONS] Insufficient privileges: only workspace "
                              "admins can change data in the emulated warehouse.", "42501")
    for doc in called:
        if not state.grants.has(caller, "function", doc["full_name"], "EXECUTE"):
            raise StatementFailed(
                f"[INSUFFICIENT_PERMISSIONS] Insufficient privileges: User does not have EXECUTE "
                f"on Routine or Model '{doc['full_name']}' (or USE CATALOG / USE SCHEMA on its "
                "parents).", "42501")
    _databricks_functions(state)
    types: dict[str, str] = {}
    labels: dict[str, tuple[str, str]] = {}
    limit = req["row_limit"]
    try:
        with functions.python_session():
            expanded = functions.expand_calls(state, sql, catalog=req["catalog"], schema=req["schema"],
                                              params=req["params"], types=types, labels=labels)
            result = functions.run_sql(state, expanded, req["params"], catalog=req["catalog"],
                                       schema=req["schema"], row_limit=limit + 1 if limit else None)
    except WarehouseError as exc:
        raise StatementFailed(*_databricks_error(str(exc))) from None
    except ApiError as exc:
        state_code = "42883" if "UNRESOLVED_ROUTINE" in exc.message else None
        raise StatementFailed(exc.message, state_code) from None
    rows = result.rows
    truncated = bool(limit) and len(rows) > limit
    if truncated:
        rows = rows[:limit]
    table_types = _table_types(state, masked, sql, req["catalog"], req["schema"])
    columns = []
    for i, c in enumerate(result.columns):
        name, type_text = c.name, c.type_text
        if name in labels:
            name, type_text = labels[name]
        elif name in types:
            type_text = types[name]
        elif name.lower() in table_types and type_text == "STRING":
            type_text = table_types[name.lower()]
        else:
            for rewritten, (written, _) in labels.items():
                name = name.replace(rewritten, written)
        columns.append(_column(name, type_text, i))
    return columns, rows, truncated


_FROM_NAME = re.compile(
    r"\b(?:FROM|JOIN)\s+((?:[A-Za-z_]\w*|`[^`]+`)(?:\s*\.\s*(?:[A-Za-z_]\w*|`[^`]+`)){1,2})"
    r"(?![\w.`])(?!\s*\()",
    re.IGNORECASE)


def _check_tables(state: EmulatorState, masked: str, sql: str, catalog: str) -> None:
    """A table name after FROM/JOIN that is no table: Databricks' TABLE_OR_VIEW_NOT_FOUND.

    Three-part names are always tables there; a two-part name only when its first part is a
    schema of the statement's catalog (`o.order_date` in `IS DISTINCT FROM o.order_date` is not).
    """
    for m in _FROM_NAME.finditer(masked):
        written = sql[m.start(1):m.end(1)]
        parts = sqltext.name_parts(written)
        if len(parts) == 2:
            schema = f"{catalog}.{parts[0]}"
            if state.store.get("uc_schema", schema) is None and not state.warehouse.tables(schema):
                continue
        name = ".".join(parts if len(parts) == 3 else [catalog, *parts])
        if not state.warehouse.has_table(name):
            raise StatementFailed(
                f"[TABLE_OR_VIEW_NOT_FOUND] The table or view `{written}` cannot be found. Verify "
                "the spelling and correctness of the schema and catalog.", "42P01")


def _databricks_functions(state: EmulatorState) -> None:
    """Databricks SQL functions SQLite lacks (year, datediff, ...), registered by the warehouse demo."""
    try:
        from ..warehouse.demo import ensure_functions
    except ImportError:  # pragma: no cover - part of the package
        return
    ensure_functions(state.warehouse)


def _table_types(state: EmulatorState, masked: str, sql: str, catalog: str,
                 schema: str | None) -> dict[str, str]:
    """Declared types of the columns of the tables the statement reads (DATE columns, ...)."""
    out: dict[str, str] = {}
    wh = state.warehouse
    for m in re.finditer(r"(?<![\w.`])([A-Za-z_]\w*(?:\s*\.\s*[A-Za-z_]\w*){0,2})(?![\w`])", masked):
        parts = sqltext.name_parts(sql[m.start(1):m.end(1)])
        cand = {3: parts, 2: [catalog, *parts], 1: [catalog, schema or "", *parts]}[len(parts)]
        name = ".".join(cand)
        if wh.has_table(name):
            for col in wh.columns(name):
                out.setdefault(col.name.lower(), col.type_text.upper())
    return out


def _column(name: str, type_text: str, position: int) -> dict[str, Any]:
    t = type_text.upper()
    base = t.split("(", 1)[0]
    col: dict[str, Any] = {"name": name, "type_text": t, "type_name": _TYPE_NAME.get(base, base),
                           "position": position}
    m = re.fullmatch(r"DECIMAL\((\d+),\s*(\d+)\)", t)
    if m:
        col["type_precision"], col["type_scale"] = int(m.group(1)), int(m.group(2))
    return col


def _cell(value: Any, type_text: str) -> str | None:
    if value is None:
        return None
    if type_text == "BOOLEAN" or isinstance(value, bool):
        return "true" if value in (True, 1, "1", "true") else "false"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, bytes):
        import base64

        return base64.b64encode(value).decode()
    return str(value)


_ERRORS = (
    (re.compile(r"(?:no such table|unknown database):? (.+)"),
     "[TABLE_OR_VIEW_NOT_FOUND] The table or view `{0}` cannot be "
     "found. Verify the spelling and correctness of the schema and catalog.", "42P01"),
    (re.compile(r"no such column: (.+)"), "[UNRESOLVED_COLUMN.WITHOUT_SUGGESTION] A column, variable, "
     "or function parameter with name `{0}` cannot be resolved.", "42703"),
    (re.compile(r"no such function: (.+)"), "[UNRESOLVED_ROUTINE] Cannot resolve routine `{0}` on "
     "search path [`system`.`builtin`, `system`.`session`].", "42883"),
    (re.compile(r"near (.+): syntax error"), "[PARSE_SYNTAX_ERROR] Syntax error at or near '{0}'.", "42601"),
    (re.compile(r"incomplete input"), "[PARSE_SYNTAX_ERROR] Syntax error at or near end of input.", "42601"),
    (re.compile(r"ambiguous column name: (.+)"), "[AMBIGUOUS_REFERENCE] Reference `{0}` is ambiguous.",
     "42704"),
)


def _databricks_error(message: str) -> tuple[str, str | None]:
    """A SQLite error as Databricks words it ([ERROR_CLASS] message, SQLSTATE)."""
    message = re.sub(r"\b([a-z_]\w*)__([a-z_]\w*)__([a-z_]\w*)\b", r"\1.\2.\3", message)
    for pattern, text, sql_state in _ERRORS:
        m = pattern.search(message)
        if m:
            return text.format(*(g.strip() for g in m.groups())), sql_state
    return message, None


# -- fetching ---------------------------------------------------------------------------------

def _statement(state: EmulatorState, caller: Principal, statement_id: str) -> dict[str, Any]:
    doc = state.store.get(STATEMENT, statement_id)
    if doc is None:
        raise not_found(f"Statement '{statement_id}' does not exist or has expired.")
    if doc["owner_id"] != caller.id and not caller.admin:
        raise permission_denied(f"User {caller.name} cannot access statement '{statement_id}'.")
    return doc


def get_statement(state: EmulatorState, caller: Principal, statement_id: str) -> dict[str, Any]:
    doc = _statement(state, caller, statement_id)
    response = dict(doc["response"])
    if response["status"]["state"] == "SUCCEEDED":
        response["result"] = _chunk(statement_id, doc["chunks"], 0)
    return response


def get_chunk(state: EmulatorState, caller: Principal, statement_id: str, chunk_index: int) -> dict[str, Any]:
    doc = _statement(state, caller, statement_id)
    if doc["response"]["status"]["state"] != "SUCCEEDED":
        raise invalid(f"Statement '{statement_id}' has no result: its state is "
                      f"{doc['response']['status']['state']}.")
    if not 0 <= chunk_index < len(doc["chunks"]):
        raise invalid(f"Invalid chunk_index {chunk_index}: the result has {len(doc['chunks'])} "
                      "chunk(s).")
    return _chunk(statement_id, doc["chunks"], chunk_index)


def cancel_statement(state: EmulatorState, caller: Principal, statement_id: str) -> None:
    """Statements finish before their response is sent, so cancelling one changes nothing."""
    _statement(state, caller, statement_id)


__all__ = ["execute_statement", "get_statement", "get_chunk", "cancel_statement", "list_warehouses",
           "get_warehouse", "warehouse_info"]
