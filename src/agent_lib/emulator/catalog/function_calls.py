"""UC function calls inside SQL statements, rewritten into something SQLite runs.

`expand_calls` finds `cat.sch.fn(args)` in a statement (or a SQL function body): a scalar call
becomes a call of a SQLite function registered once per warehouse connection, which runs the UC
function per row; a table function in FROM/JOIN is run at once and replaced by its rows.
SQLite reports an exception raised inside a registered function only as a generic error, so the
real one is kept aside (per thread) and `run_sql` raises it instead.
"""

from __future__ import annotations

import json
import re
import threading
import weakref
from collections.abc import Callable
from typing import Any

from ..core.errors import ApiError
from ..core.state import EmulatorState
from ..warehouse import Access, WarehouseError
from . import sqltext
from .function_args import order_args, positional, type_text
from .function_result import FunctionExecutionError
from .models import FUNCTION

_errors = threading.local()  # the real error of a UC function SQLite called, for run_sql
_registered: weakref.WeakKeyDictionary[Any, set[str]] = weakref.WeakKeyDictionary()
_registry_lock = threading.Lock()


def run_sql(state: EmulatorState, sql: str, params: dict[str, Any] | None = None, *,
            catalog: str = "main", schema: str | None = None, row_limit: int | None = None,
            access: Access | None = None):
    """`state.warehouse.execute` (sandboxed as `access` allows; read-only by default, or as the
    running statement when called from a function body), re-raising the real error of a UC
    function called from SQL."""
    _errors.error = None
    try:
        return state.warehouse.execute(sql, params or {}, catalog=catalog, schema=schema,
                                       row_limit=row_limit, access=access)
    except WarehouseError:
        err, _errors.error = getattr(_errors, "error", None), None
        if err is not None:
            raise err from None
        raise


def sql_value(v: Any) -> Any:
    """A Python value as SQLite takes it (arrays and objects as JSON text)."""
    if isinstance(v, (dict, list)):
        return json.dumps(v)
    return v


def udf_name(full_name: str) -> str:
    return "uc__" + re.sub(r"\W", "_", full_name.replace(".", "__"))


def resolve_call(state: EmulatorState, parts: list[str], catalog: str | None,
                 schema: str | None) -> dict[str, Any] | None:
    if len(parts) == 3:
        name = ".".join(parts)
    elif len(parts) == 2 and catalog:
        name = f"{catalog.lower()}.{'.'.join(parts)}"
    elif len(parts) == 1 and catalog and schema:
        name = f"{catalog.lower()}.{schema.lower()}.{parts[0]}"
    else:
        return None
    return state.store.get(FUNCTION, name)


def statement_calls_function(state: EmulatorState, path: str, body: Any) -> bool:
    """Whether a statement-execution request (`POST /api/2.0/sql/statements`) calls a UC function:
    what the injected tool latency counts as one execution of a UC function tool."""
    if not isinstance(body, dict) or not isinstance(body.get("statement"), str):
        return False
    sql = body["statement"]
    catalog = str(body.get("catalog") or "main").lower()
    schema = str(body["schema"]).lower() if body.get("schema") else None
    calls = sqltext.CALL.finditer(sqltext.mask(sql))
    names = (sqltext.name_parts(sql[m.start(1):m.end(1)]) for m in calls)
    return any(resolve_call(state, parts, catalog, schema) for parts in names)


def _udf(state: EmulatorState, full_name: str) -> Callable[..., Any]:
    from .functions import run_function  # a call cycle: function bodies call functions

    def call(*values: Any) -> Any:
        try:
            doc = state.store.get(FUNCTION, full_name)
            if doc is None:
                raise FunctionExecutionError(f"Function {full_name} no longer exists.")
            result = run_function(state, doc, positional(doc, values))
            v = result.value
            return json.dumps(v) if isinstance(v, (dict, list)) else v
        except ApiError as exc:
            _errors.error = exc
            raise
        except Exception as exc:  # surface it through run_sql instead of SQLite's generic message
            _errors.error = FunctionExecutionError(f"Execution of function {full_name} failed: {exc}")
            raise
    return call


def _register(state: EmulatorState, full_name: str) -> None:
    """Make the function callable from SQLite once per warehouse connection.

    SQLite refuses to redefine a function while a statement is running (a function whose body
    calls another function, or itself), and the callable looks the function up at each call, so
    one registration serves every later statement.
    """
    wh = state.warehouse
    name = udf_name(full_name)
    with _registry_lock:
        done = _registered.setdefault(wh, set())
        if name in done:
            return
        wh.register_function(name, -1, _udf(state, full_name))
        done.add(name)


def unresolved(dotted: str, catalog: str | None, schema: str | None) -> ApiError:
    path = ["`system`.`builtin`", "`system`.`session`"]
    if catalog and schema:
        path.append(f"`{catalog}`.`{schema}`")
    return FunctionExecutionError(
        f"[UNRESOLVED_ROUTINE] Cannot resolve routine `{dotted}` on search path [{', '.join(path)}].")


def expand_calls(state: EmulatorState, sql: str, *, catalog: str | None, schema: str | None,
                 params: dict[str, Any] | None = None,
                 on_call: Callable[[dict[str, Any]], None] | None = None,
                 types: dict[str, str] | None = None,
                 labels: dict[str, tuple[str, str]] | None = None) -> str:
    """Rewrite UC function calls so SQLite can run the statement.

    Scalar calls become calls of a registered SQLite function; a table function in FROM/JOIN is
    run now (its arguments must be constants or `:parameters`) and replaced by its rows.
    `on_call(doc)` is called for each function before it runs (the EXECUTE check); `types`
    collects the declared types of the columns table functions produce, and `labels` maps each
    rewritten scalar call's text to (the call as written, its result type): SQLite names a result
    column after the expression's text, Databricks after the call as the user wrote it.
    """
    masked = sqltext.mask(sql)
    out: list[str] = []
    pos = i = 0
    while True:
        m = sqltext.CALL.search(masked, i)
        if m is None:
            break
        dotted = sql[m.start(1):m.end(1)]
        parts = sqltext.name_parts(dotted)
        open_idx = m.end() - 1
        doc = resolve_call(state, parts, catalog, schema)
        if doc is None:
            if len(parts) > 1:
                raise unresolved(".".join(parts), catalog, schema)
            i = m.end()
            continue
        close = sqltext.closing_paren(masked, open_idx)
        if close < 0:
            i = m.end()
            continue
        args_text = expand_calls(state, sql[open_idx + 1:close], catalog=catalog, schema=schema,
                                 params=params, on_call=on_call, types=types, labels=labels)
        arg_list = order_args(doc, sqltext.split_top_level(args_text))
        if on_call is not None:
            on_call(doc)
        full = doc["full_name"]
        before = sqltext.previous_word(masked, m.start())
        after_comma = masked[:m.start()].rstrip().endswith(",")
        if doc.get("data_type") == "TABLE_TYPE":
            if before not in ("FROM", "JOIN") and not after_comma:
                raise FunctionExecutionError(
                    f"[NOT_A_SCALAR_FUNCTION] {full} is a table function; call it in FROM: "
                    f"SELECT * FROM {full}(...).")
            replacement = _table_call(state, doc, arg_list, params, catalog, schema, types)
        else:
            if before in ("FROM", "JOIN"):
                raise FunctionExecutionError(
                    f"[NOT_A_TABLE_FUNCTION] {full} is a scalar function; call it in the select "
                    f"list: SELECT {full}(...).")
            _register(state, full)
            replacement = f"{udf_name(full)}({', '.join(arg_list)})"
            if labels is not None:
                written = sql[m.start(1):close + 1]
                for inner, (orig, _) in labels.items():
                    written = written.replace(inner, orig)
                labels[replacement] = (written, type_text(doc))
        out.append(sql[pos:m.start(1)])
        out.append(replacement)
        pos = i = close + 1
    out.append(sql[pos:])
    return "".join(out)


def _table_call(state: EmulatorState, doc: dict[str, Any], arg_list: list[str],
                params: dict[str, Any] | None, catalog: str | None, schema: str | None,
                types: dict[str, str] | None) -> str:
    from .functions import run_function  # a call cycle: function bodies call functions

    values: tuple[Any, ...] = ()
    if arg_list:
        try:
            res = run_sql(state, "SELECT " + ", ".join(arg_list), params,
                          catalog=catalog or "main", schema=schema)
        except WarehouseError as exc:
            raise FunctionExecutionError(
                f"Arguments of table function {doc['full_name']} must be constants or "
                f":parameters ({exc}).") from None
        values = res.rows[0]
    result = run_function(state, doc, positional(doc, values))
    names = [c.name for c in result.columns]
    if types is not None:
        types.update({c.name: c.type_text for c in result.columns})
    aliases = ", ".join(f'column{k + 1} AS "{n}"' for k, n in enumerate(names))
    if not result.rows:
        nulls = ", ".join(f'NULL AS "{n}"' for n in names)
        return f"(SELECT {nulls} WHERE 0)"
    rows = ", ".join("(" + ", ".join(sqltext.literal(sql_value(v)) for v in r) + ")" for r in result.rows)
    return f"(SELECT {aliases} FROM (VALUES {rows}))"
