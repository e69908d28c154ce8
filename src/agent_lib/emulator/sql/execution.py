"""Running one statement on the warehouse: checks first, then UC function calls expanded, then typing.

Checks, in Databricks' order: one statement only, every `:parameter` bound, tables after
FROM/JOIN exist, EXECUTE on every UC function the statement calls. What the statement may then
do to the database (read the catalog's tables; write one only as an admin or with MODIFY on it;
no ATTACH, PRAGMA, VACUUM, DDL or file functions) is decided by SQLite itself, through the
warehouse's sandbox (`warehouse/sandbox.py`), for this caller. Calls of UC functions (`SELECT
cat.sch.fn(...)`, `SELECT * FROM cat.sch.fn(...)`) run through `catalog.functions`, and
result columns get the types Databricks would report (declared table column types, the function's
result type, the call as written as the column name).
"""

from __future__ import annotations

import re
import threading
from typing import Any

from ..catalog import sqltext
from ..catalog.function_python import python_session
from ..catalog.functions import expand_calls, resolve_call, run_sql
from ..catalog.reads import reader
from ..core.errors import ApiError
from ..core.identity import Principal
from ..core.state import EmulatorState
from ..warehouse import Access, StatementStopped, WarehouseError
from ..warehouse.demo import ensure_functions
from .errors import StatementFailed, databricks_error

_TYPE_NAME = {"BIGINT": "LONG", "SMALLINT": "SHORT", "TINYINT": "BYTE", "INTEGER": "INT",
              "TIMESTAMP_NTZ": "TIMESTAMP", "VARCHAR": "STRING", "TEXT": "STRING"}


def caller_access(state: EmulatorState, caller: Principal, *, timeout_s: float | None = None,
                  cancel: threading.Event | None = None) -> Access:
    """What `caller` may do in the warehouse: read a table only with SELECT on it, write one only
    with MODIFY (admins may both)."""
    return Access(can_write=lambda table: state.grants.has(caller, "table", table, "MODIFY"),
                  timeout_s=timeout_s, cancel=cancel, cannot_read=reader(state, caller))


def called_functions(state: EmulatorState, sql: str, catalog: str,
                     schema: str | None) -> list[dict[str, Any]]:
    """The UC functions a statement calls (each once), so scopes and EXECUTE can be checked first."""
    masked = sqltext.mask(sql)
    docs = []
    for m in sqltext.CALL.finditer(masked):
        doc = resolve_call(state, sqltext.name_parts(sql[m.start(1):m.end(1)]), catalog, schema)
        if doc is not None and doc not in docs:
            docs.append(doc)
    return docs


def run_statement(state: EmulatorState, caller: Principal, req: dict[str, Any],
                  called: list[dict[str, Any]], access: Access | None = None
                  ) -> tuple[list[dict[str, Any]], tuple[tuple[Any, ...], ...], bool]:
    """(columns as `ColumnInfo` dicts, rows, truncated by row_limit); StatementFailed otherwise.

    `access` (default: `caller_access`) carries the statement's deadline and cancel event."""
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
    access = access or caller_access(state, caller)
    try:
        with python_session():
            expanded = expand_calls(state, sql, catalog=req["catalog"], schema=req["schema"],
                                    params=req["params"], types=types, labels=labels, access=access)
            result = run_sql(state, expanded, req["params"], catalog=req["catalog"],
                             schema=req["schema"], row_limit=limit + 1 if limit else None,
                             access=access)
    except StatementStopped as exc:
        raise StatementFailed(exc.message, exc.sql_state,
                              "CANCELLED" if exc.reason == "cancel" else "DEADLINE_EXCEEDED") from None
    except WarehouseError as exc:
        if exc.sql_state:
            raise StatementFailed(exc.message, exc.sql_state) from None
        raise StatementFailed(*databricks_error(str(exc))) from None
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
