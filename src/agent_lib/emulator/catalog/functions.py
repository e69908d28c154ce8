"""Running UC functions: the entry points, the recursion guard, SQL bodies and calls inside SQL.

`execute_function(state, caller, full_name, arguments)` is what the managed MCP server and the
supervisor's tool loop call. Statement execution runs the same code when a statement calls a
function: `expand_calls` finds `cat.sch.fn(args)` in a statement (or a SQL function body); a
scalar call becomes a call of a SQLite function registered once per warehouse connection, which
runs the UC function per row; a table function in FROM/JOIN is run at once and replaced by its
rows. SQLite reports an exception raised inside a registered function only as a generic error, so
the real one is kept aside (per thread) and `run_sql` raises it instead. These live in one module
because they call each other: a function's SQL body may call functions.

The pieces with one idea each:

* `function_result.py`  `FunctionResult` and `FunctionExecutionError`
* `function_args.py`    parameter types, value coercion, binding arguments (JSON, positional, SQL text)
* `function_sql.py`     binding a SQL body's parameters (`routine_body: SQL`)
* `function_python.py`  Python bodies (`routine_body: EXTERNAL`) in an isolated interpreter with a
  timeout; a runaway body is killed (see `python_runner`)
"""

from __future__ import annotations

import json
import re
import threading
import weakref
from collections.abc import Callable
from typing import Any

from ..core.errors import ApiError
from ..core.identity import Principal
from ..core.state import EmulatorState
from ..warehouse import Access, Column, WarehouseError
from . import sqltext
from .function_args import (
    bind_arguments,
    coerce_out,
    coerce_result,
    order_args,
    params,
    positional,
    type_key,
    type_text,
)
from .function_python import run_python
from .function_result import FunctionExecutionError, FunctionResult
from .function_sql import QUERY_START, bind_body_parameters
from .models import FUNCTION, function_doc
from .reads import NO_READS, definer

DEFAULT_TIMEOUT_S = 10.0  # a module constant, read at each call, so tests can shorten it
MAX_DEPTH = 16

_local = threading.local()  # how deep this thread is in functions calling functions


def execute_function(state: EmulatorState, caller: Principal, full_name: str,
                     arguments: dict[str, Any] | None = None, *,
                     timeout: float | None = None) -> FunctionResult:
    """Run a UC function as `caller`: EXECUTE is enforced, arguments validated and coerced.

    Raises ApiError: 404 (no such function), 403 (no EXECUTE / USE_CATALOG / USE_SCHEMA),
    400 INVALID_PARAMETER_VALUE (bad arguments, naming the parameter), and
    FunctionExecutionError (400) when the body fails or exceeds `timeout` (default 10 s).
    """
    doc = function_doc(state, full_name)
    state.grants.require(caller, "function", doc["full_name"], "EXECUTE")
    return run_function(state, doc, bind_arguments(doc, arguments), timeout=timeout)


def run_function(state: EmulatorState, doc: dict[str, Any], args: dict[str, Any], *,
                 timeout: float | None = None) -> FunctionResult:
    """Run a function whose arguments are already bound (no permission check: callers do it)."""
    full = doc["full_name"]
    is_table = doc.get("data_type") == "TABLE_TYPE"
    depth = getattr(_local, "depth", 0)
    if depth >= MAX_DEPTH:
        raise FunctionExecutionError(f"Function {full} calls functions more than {MAX_DEPTH} "
                                     "levels deep (recursive function?).")
    if doc.get("is_null_call") and not is_table and any(v is None for v in args.values()):
        return FunctionResult(full, (Column("result", type_text(doc)),), ((None,),), False)
    _local.depth = depth + 1
    try:
        if doc.get("routine_body") == "EXTERNAL":
            value = run_python(doc, args, DEFAULT_TIMEOUT_S if timeout is None else timeout)
            rows: tuple[tuple[Any, ...], ...] = ((coerce_result(doc, value),),)
            columns: tuple[Column, ...] = (Column("result", type_text(doc)),)
        else:
            columns, rows = run_sql_body(state, doc, args)
    finally:
        _local.depth = depth
    return FunctionResult(full, columns, rows, is_table)


# -- SQL bodies ----------------------------------------------------------------------------------

def run_sql_body(state: EmulatorState, doc: dict[str, Any], args: dict[str, Any]
                 ) -> tuple[tuple[Column, ...], tuple[tuple[Any, ...], ...]]:
    """Run the body with bound arguments -> (columns, rows); failures name the function."""
    full = doc["full_name"]
    body = doc["routine_definition"].strip().rstrip(";").strip()
    catalog, schema = doc["catalog_name"], doc["schema_name"]
    sql, markers = bind_body_parameters(state, doc, body)
    values = {markers[k]: sql_value(v) for k, v in args.items()}
    is_table = doc.get("data_type") == "TABLE_TYPE"
    try:
        sql = expand_calls(state, sql, catalog=catalog, schema=schema, params=values,
                           access=definer(state, doc))
        if not QUERY_START.match(body):
            if is_table:
                raise FunctionExecutionError(f"The body of table function {full} must be a query "
                                             "(SELECT ...).")
            sql = f"SELECT ({sql})"
        result = run_sql(state, sql, values, catalog=catalog, schema=schema, access=definer(state, doc))
    except WarehouseError as exc:
        raise FunctionExecutionError(f"Execution of function {full} failed: {exc}") from None
    except FunctionExecutionError as exc:
        if exc.message.startswith(f"Execution of function {full}"):
            raise
        raise FunctionExecutionError(f"Execution of function {full} failed: {exc.message}",
                                     reason=exc.reason) from None
    if is_table:
        returns = params(doc, "return_params")
        if len(result.columns) != len(returns):
            raise FunctionExecutionError(
                f"Execution of function {full} failed: its query returns {len(result.columns)} "
                f"column(s) but return_params declares {len(returns)}.")
        cols = tuple(Column(p["name"], type_text(p, "type_name")) for p in returns)
        rows = tuple(tuple(coerce_out(v, type_key(p)) for v, p in zip(r, returns, strict=False)) for r in result.rows)
        return cols, rows
    if len(result.rows) > 1:
        raise FunctionExecutionError(f"Execution of function {full} failed: [SCALAR_SUBQUERY_TOO_MANY_ROWS] "
                                     "its query returned more than one row.")
    value = result.rows[0][0] if result.rows and result.rows[0] else None
    return (Column("result", type_text(doc)),), ((coerce_result(doc, value),),)


# -- calls inside SQL ---------------------------------------------------------------------------

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
                 labels: dict[str, tuple[str, str]] | None = None,
                 access: Access | None = None) -> str:
    """Rewrite UC function calls so SQLite can run the statement.

    Scalar calls become calls of a registered SQLite function; a table function in FROM/JOIN is
    run now (its arguments must be constants or `:parameters`) and replaced by its rows.
    `on_call(doc)` is called for each function before it runs (the EXECUTE check); `types`
    collects the declared types of the columns table functions produce, and `labels` maps each
    rewritten scalar call's text to (the call as written, its result type): SQLite names a result
    column after the expression's text, Databricks after the call as the user wrote it. A table
    function's arguments are evaluated with `access` (the caller's reads), not the function's.
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
                                 params=params, on_call=on_call, types=types, labels=labels,
                                 access=access)
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
            replacement = _table_call(state, doc, arg_list, params, catalog, schema, types, access)
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
                types: dict[str, str] | None, access: Access | None) -> str:
    values: tuple[Any, ...] = ()
    if arg_list:
        try:
            res = run_sql(state, "SELECT " + ", ".join(arg_list), params,
                          catalog=catalog or "main", schema=schema, access=access or NO_READS)
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
