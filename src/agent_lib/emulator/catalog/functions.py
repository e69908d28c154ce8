"""Running UC functions: argument binding, SQL bodies on the warehouse, Python bodies in a subprocess.

`execute_function(state, caller, full_name, arguments)` is what the managed MCP server and the
supervisor's tool loop call. Statement execution runs the same code when a statement calls a
function: `expand_calls` rewrites `cat.sch.fn(args)` in a statement into something SQLite runs
(a registered scalar function, or for a table function in FROM, its materialized rows).

* SQL bodies (`routine_body: SQL`) reference parameters by bare name or as `<function>.<param>`.
  As on Databricks, a bare name that is also a column of a table the body reads means the column;
  the qualified form always means the parameter. Scalar bodies are an expression or a one-row query;
  table bodies (`data_type: TABLE_TYPE`) are a query whose columns are named by `return_params`.
* Python bodies (`routine_body: EXTERNAL`, `external_language: Python`) are a function body with
  the parameters in scope that `return`s the value (DATE parameters arrive as `datetime.date`).
  They run in an isolated interpreter (`python -I`, empty environment) with a timeout; a runaway
  body is killed (see `python_runner`).
"""

from __future__ import annotations

import json
import math
import re
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from ..core.errors import ApiError, invalid
from ..core.identity import Principal
from ..core.state import EmulatorState
from ..warehouse import Column, WarehouseError
from . import python_runner, sqltext
from .models import FUNCTION, function_doc

DEFAULT_TIMEOUT_S = 10.0
MAX_DEPTH = 16

# type_name (ColumnTypeName) -> Databricks SQL type text
TYPE_TEXT = {"LONG": "BIGINT", "SHORT": "SMALLINT", "BYTE": "TINYINT", "TABLE_TYPE": "TABLE"}
_INTS = {"INT", "LONG", "SHORT", "BYTE", "BIGINT", "SMALLINT", "TINYINT", "INTEGER"}
_FLOATS = {"DOUBLE", "FLOAT", "DECIMAL", "REAL"}
_TEXTS = {"STRING", "CHAR", "VARCHAR"}
_local = threading.local()


class FunctionExecutionError(ApiError):
    """A function's body failed or timed out (HTTP 400 BAD_REQUEST when it reaches a route)."""

    def __init__(self, message: str, *, reason: str = "error") -> None:
        super().__init__(400, "BAD_REQUEST", message)
        self.reason = reason  # "error" (the body raised / SQL failed) or "timeout"


@dataclass(frozen=True)
class FunctionResult:
    """What a function returned: a table (`columns` + `rows`) or a scalar (`value`)."""

    function: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[Any, ...], ...]
    is_table: bool

    @property
    def value(self) -> Any:
        """The scalar result (None for a table function)."""
        return None if self.is_table or not self.rows else self.rows[0][0]

    def as_dict(self) -> dict[str, Any]:
        """`{"columns": [...], "rows": [[...]]}` for a table, `{"value": v}` for a scalar."""
        if self.is_table:
            return {"columns": [c.name for c in self.columns], "rows": [list(r) for r in self.rows]}
        return {"value": self.value}

    def to_json(self) -> str:
        return json.dumps(self.as_dict(), default=str)


# -- arguments --------------------------------------------------------------------------------

def type_key(param: dict[str, Any]) -> str:
    t = str(param.get("type_name") or param.get("type_text") or "STRING").upper()
    if t == "DECIMAL" or t.startswith("DECIMAL("):
        return "DECIMAL"
    return t


def coerce(value: Any, type_name: str, what: str) -> Any:
    """A JSON/Python value as the parameter type (STRING, INT/LONG, DOUBLE, BOOLEAN, DATE, ...)."""
    if value is None:
        return None
    t = type_name.upper()

    def bad(expected: str) -> ApiError:
        return invalid(f"Invalid value for {what}: expected {expected}, got {value!r}.")

    if t in _TEXTS:
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, (dict, list)):
            return json.dumps(value)
        return value if isinstance(value, str) else str(value)
    if t in _INTS:
        if isinstance(value, bool):
            raise bad(TYPE_TEXT.get(t, t))
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str):
            try:
                return int(value.strip())
            except ValueError:
                try:
                    f = float(value.strip())
                except ValueError:
                    raise bad(TYPE_TEXT.get(t, t)) from None
                if f.is_integer():
                    return int(f)
        raise bad(TYPE_TEXT.get(t, t))
    if t in _FLOATS:
        if isinstance(value, bool):
            raise bad(t)
        if isinstance(value, (int, float)):
            return float(value)
        if isinstance(value, str):
            try:
                return float(value.strip())
            except ValueError:
                raise bad(t) from None
        raise bad(t)
    if t == "BOOLEAN":
        if isinstance(value, bool):
            return value
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        if isinstance(value, str) and value.strip().lower() in ("true", "false", "1", "0"):
            return value.strip().lower() in ("true", "1")
        raise bad("BOOLEAN (true or false)")
    if t == "DATE":
        if isinstance(value, datetime):
            return value.date().isoformat()
        if isinstance(value, date):
            return value.isoformat()
        if isinstance(value, str):
            s = value.strip()
            if len(s) > 10 and s[10] in " T":
                s = s[:10]
            try:
                return date.fromisoformat(s).isoformat()
            except ValueError:
                raise bad("DATE as 'YYYY-MM-DD'") from None
        raise bad("DATE as 'YYYY-MM-DD'")
    if t in ("TIMESTAMP", "TIMESTAMP_NTZ"):
        if isinstance(value, datetime):
            return value.isoformat(sep=" ")
        if isinstance(value, str):
            try:
                return datetime.fromisoformat(value.strip().replace("Z", "+00:00")).isoformat(sep=" ")
            except ValueError:
                raise bad("TIMESTAMP as 'YYYY-MM-DD HH:MM:SS'") from None
        raise bad("TIMESTAMP")
    if t in ("ARRAY", "MAP", "STRUCT", "VARIANT") and isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _params(doc: dict[str, Any], key: str = "input_params") -> list[dict[str, Any]]:
    return list((doc.get(key) or {}).get("parameters") or [])


def bind_arguments(doc: dict[str, Any], arguments: dict[str, Any] | None) -> dict[str, Any]:
    """Arguments by name -> {param: coerced value} in declaration order, defaults applied."""
    full = doc["full_name"]
    if arguments is None:
        arguments = {}
    if not isinstance(arguments, dict):
        raise invalid(f"Arguments of function {full} must be an object mapping parameter names "
                      f"to values, got {type(arguments).__name__}.")
    params = _params(doc)
    by_lower = {p["name"].lower(): p for p in params}
    given: dict[str, Any] = {}
    for k, v in arguments.items():
        p = by_lower.get(str(k).lower())
        if p is None:
            names = ", ".join(p["name"] for p in params) or "none"
            raise invalid(f"Function {full} has no parameter '{k}' (its parameters: {names}).")
        given[p["name"]] = v
    bound: dict[str, Any] = {}
    for p in params:
        name = p["name"]
        what = f"parameter '{name}' of function {full}"
        if name in given:
            bound[name] = coerce(given[name], type_key(p), what)
        elif p.get("parameter_default") is not None:
            bound[name] = coerce(sqltext.unquote_literal(p["parameter_default"]), type_key(p), what)
        else:
            raise invalid(f"Missing required parameter '{name}' ({p.get('type_text', '')}) "
                          f"for function {full}.")
    return bound


def _positional(doc: dict[str, Any], values: tuple[Any, ...] | list[Any]) -> dict[str, Any]:
    params = _params(doc)
    if len(values) > len(params):
        raise invalid(f"Function {doc['full_name']} takes {len(params)} argument(s) but "
                      f"{len(values)} were given.")
    return bind_arguments(doc, {p["name"]: v for p, v in zip(params, values)})


# -- running ----------------------------------------------------------------------------------

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
        return FunctionResult(full, (Column("result", _type_text(doc)),), ((None,),), False)
    _local.depth = depth + 1
    try:
        if doc.get("routine_body") == "EXTERNAL":
            value = _run_python(doc, args, DEFAULT_TIMEOUT_S if timeout is None else timeout)
            rows: tuple[tuple[Any, ...], ...] = ((_coerce_result(doc, value),),)
            columns: tuple[Column, ...] = (Column("result", _type_text(doc)),)
        else:
            columns, rows = _run_sql(state, doc, args)
    finally:
        _local.depth = depth
    return FunctionResult(full, columns, rows, is_table)


def _type_text(doc_or_param: dict[str, Any], key: str = "data_type") -> str:
    t = str(doc_or_param.get(key) or "STRING").upper()
    return TYPE_TEXT.get(t, t)


def _coerce_result(doc: dict[str, Any], value: Any) -> Any:
    t = str(doc.get("data_type") or "STRING").upper()
    try:
        return coerce(value, t, "result")
    except ApiError:
        raise FunctionExecutionError(
            f"Function {doc['full_name']} returned {value!r}, which is not a {_type_text(doc)}.") from None


# -- SQL bodies -------------------------------------------------------------------------------

_QUERY_START = re.compile(r"^[\s(]*(select|with|values)\b", re.IGNORECASE)
_CHAIN = re.compile(r"(?<![\w.`:$@])([A-Za-z_]\w*(?:\s*\.\s*[A-Za-z_]\w*)*)(?![\w`])")


def _referenced_columns(state: EmulatorState, masked: str, catalog: str, schema: str) -> set[str]:
    cols: set[str] = set()
    wh = state.warehouse
    for m in _CHAIN.finditer(masked):
        parts = sqltext.name_parts(m.group(1))
        candidates = {3: [parts], 2: [[catalog, *parts]], 1: [[catalog, schema, *parts]]}
        for cand in candidates.get(len(parts), []):
            name = ".".join(cand)
            if wh.has_table(name):
                cols.update(c.name.lower() for c in wh.columns(name))
    return cols


def bind_body_parameters(state: EmulatorState, doc: dict[str, Any], body: str) -> tuple[str, dict[str, str]]:
    """Rewrite parameter references in a SQL body to `:__pN` markers -> (sql, {name: marker})."""
    params = _params(doc)
    markers = {p["name"].lower(): f"__p{i}" for i, p in enumerate(params)}
    if not markers:
        return body, {}
    masked = sqltext.mask(body)
    fn = doc["name"].lower()
    columns = _referenced_columns(state, masked, doc["catalog_name"], doc["schema_name"])
    out, last = [], 0
    for m in _CHAIN.finditer(masked):
        parts = sqltext.name_parts(m.group(1))
        target = None
        if len(parts) == 2 and parts[0] == fn and parts[1] in markers:
            target = markers[parts[1]]
        elif len(parts) == 1 and parts[0] in markers and parts[0] not in columns:
            before = sqltext.previous_word(masked, m.start())
            after = masked[m.end():].lstrip()[:1]
            if before != "AS" and after not in ("(", "."):
                target = markers[parts[0]]
        if target is not None:
            out.append(body[last:m.start()])
            out.append(":" + target)
            last = m.end()
    out.append(body[last:])
    return "".join(out), {p["name"]: markers[p["name"].lower()] for p in params}


def _sql_value(v: Any) -> Any:
    if isinstance(v, (dict, list)):
        return json.dumps(v)
    return v


def _run_sql(state: EmulatorState, doc: dict[str, Any], args: dict[str, Any]
             ) -> tuple[tuple[Column, ...], tuple[tuple[Any, ...], ...]]:
    full = doc["full_name"]
    body = doc["routine_definition"].strip().rstrip(";").strip()
    catalog, schema = doc["catalog_name"], doc["schema_name"]
    sql, markers = bind_body_parameters(state, doc, body)
    params = {markers[k]: _sql_value(v) for k, v in args.items()}
    is_table = doc.get("data_type") == "TABLE_TYPE"
    try:
        sql = expand_calls(state, sql, catalog=catalog, schema=schema, params=params)
        if not _QUERY_START.match(body):
            if is_table:
                raise FunctionExecutionError(f"The body of table function {full} must be a query "
                                             "(SELECT ...).")
            sql = f"SELECT ({sql})"
        result = run_sql(state, sql, params, catalog=catalog, schema=schema)
    except WarehouseError as exc:
        raise FunctionExecutionError(f"Execution of function {full} failed: {exc}") from None
    except FunctionExecutionError as exc:
        if exc.message.startswith(f"Execution of function {full}"):
            raise
        raise FunctionExecutionError(f"Execution of function {full} failed: {exc.message}",
                                     reason=exc.reason) from None
    if is_table:
        returns = _params(doc, "return_params")
        if len(result.columns) != len(returns):
            raise FunctionExecutionError(
                f"Execution of function {full} failed: its query returns {len(result.columns)} "
                f"column(s) but return_params declares {len(returns)}.")
        cols = tuple(Column(p["name"], _type_text(p, "type_name")) for p in returns)
        rows = tuple(tuple(coerce_out(v, type_key(p)) for v, p in zip(r, returns)) for r in result.rows)
        return cols, rows
    if len(result.rows) > 1:
        raise FunctionExecutionError(f"Execution of function {full} failed: [SCALAR_SUBQUERY_TOO_MANY_ROWS] "
                                     "its query returned more than one row.")
    value = result.rows[0][0] if result.rows and result.rows[0] else None
    return (Column("result", _type_text(doc)),), ((_coerce_result(doc, value),),)


def coerce_out(value: Any, type_name: str) -> Any:
    """A SQLite value as the declared result type (booleans come back from SQLite as 0/1)."""
    if value is None:
        return None
    try:
        return coerce(value, type_name, "result")
    except ApiError:
        return value


def run_sql(state: EmulatorState, sql: str, params: dict[str, Any] | None = None, *,
            catalog: str = "main", schema: str | None = None, row_limit: int | None = None):
    """`state.warehouse.execute`, re-raising the real error of a UC function called from SQL."""
    _local.error = None
    try:
        return state.warehouse.execute(sql, params or {}, catalog=catalog, schema=schema,
                                       row_limit=row_limit)
    except WarehouseError:
        err, _local.error = getattr(_local, "error", None), None
        if err is not None:
            raise err from None
        raise


# -- Python bodies ----------------------------------------------------------------------------

def check_python_body(body: str, names: list[str]) -> None:
    """Reject a Python body that does not compile (400 naming routine_definition and the line)."""
    try:
        compile(python_runner.source(body, names), "<routine_definition>", "exec")
    except SyntaxError as exc:
        line = max((exc.lineno or 1) - 1, 1)
        raise invalid(f"Invalid value for field 'function_info.routine_definition': the Python "
                      f"body does not compile: {exc.msg} (line {line}).") from None


def _run_python(doc: dict[str, Any], args: dict[str, Any], timeout: float) -> Any:
    full = doc["full_name"]
    params = [(p["name"], type_key(p), args.get(p["name"])) for p in _params(doc)]
    try:
        value = python_runner.run(f"<function {full}>", doc["routine_definition"], params, timeout,
                                  deterministic=bool(doc.get("is_deterministic")))
    except python_runner.PythonBodyError as exc:
        if exc.reason == "timeout":
            raise FunctionExecutionError(
                f"Execution of function {full} timed out after {timeout:g} s; its Python body was "
                "stopped.", reason="timeout") from None
        raise FunctionExecutionError(f"Execution of function {full} failed: {exc.message}") from None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def python_session():
    """One Python interpreter for all the Python calls of a SQL statement (see python_runner)."""
    return python_runner.session()


# -- calls inside SQL statements --------------------------------------------------------------

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


def _udf(state: EmulatorState, full_name: str) -> Callable[..., Any]:
    def call(*values: Any) -> Any:
        try:
            doc = state.store.get(FUNCTION, full_name)
            if doc is None:
                raise FunctionExecutionError(f"Function {full_name} no longer exists.")
            result = run_function(state, doc, _positional(doc, values))
            v = result.value
            return json.dumps(v) if isinstance(v, (dict, list)) else v
        except ApiError as exc:
            _local.error = exc
            raise
        except Exception as exc:  # surface it through run_sql instead of SQLite's generic message
            _local.error = FunctionExecutionError(f"Execution of function {full_name} failed: {exc}")
            raise
    return call


_registered: weakref.WeakKeyDictionary[Any, set[str]] = weakref.WeakKeyDictionary()
_registry_lock = threading.Lock()


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
        arg_list = _order_args(doc, sqltext.split_top_level(args_text))
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
                labels[replacement] = (written, _type_text(doc))
        out.append(sql[pos:m.start(1)])
        out.append(replacement)
        pos = i = close + 1
    out.append(sql[pos:])
    return "".join(out)


def _order_args(doc: dict[str, Any], args: list[str]) -> list[str]:
    """Positional and named (`name => value`) arguments -> positional SQL texts, defaults filled."""
    params = _params(doc)
    full = doc["full_name"]
    slots: dict[str, str] = {}
    seen_named = False
    for k, a in enumerate(args):
        named = re.match(r"^([A-Za-z_]\w*)\s*=>\s*(.*)$", a, re.DOTALL)
        if named:
            seen_named = True
            key = named.group(1).lower()
            p = next((p for p in params if p["name"].lower() == key), None)
            if p is None:
                raise invalid(f"Function {full} has no parameter '{named.group(1)}'.")
            slots[p["name"]] = named.group(2)
        else:
            if seen_named:
                raise invalid(f"Positional argument {k + 1} of {full} follows a named argument.")
            if k >= len(params):
                raise FunctionExecutionError(
                    f"[WRONG_NUM_ARGS] Function {full} takes {len(params)} argument(s) but "
                    f"{len(args)} were given.")
            slots[params[k]["name"]] = a
    ordered = []
    for p in params:
        if p["name"] in slots:
            ordered.append(slots[p["name"]])
        elif p.get("parameter_default") is not None:
            ordered.append(p["parameter_default"])
        else:
            raise FunctionExecutionError(
                f"[WRONG_NUM_ARGS] Function {full} needs parameter '{p['name']}' "
                f"({p.get('type_text', '')}), which has no default.")
    return ordered


def _table_call(state: EmulatorState, doc: dict[str, Any], arg_list: list[str],
                params: dict[str, Any] | None, catalog: str | None, schema: str | None,
                types: dict[str, str] | None) -> str:
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
    result = run_function(state, doc, _positional(doc, values))
    names = [c.name for c in result.columns]
    if types is not None:
        types.update({c.name: c.type_text for c in result.columns})
    aliases = ", ".join(f'column{k + 1} AS "{n}"' for k, n in enumerate(names))
    if not result.rows:
        nulls = ", ".join(f'NULL AS "{n}"' for n in names)
        return f"(SELECT {nulls} WHERE 0)"
    rows = ", ".join("(" + ", ".join(sqltext.literal(_sql_value(v)) for v in r) + ")" for r in result.rows)
    return f"(SELECT {aliases} FROM (VALUES {rows}))"
