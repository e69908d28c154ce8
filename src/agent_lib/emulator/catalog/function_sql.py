"""SQL function bodies (`routine_body: SQL`): parameters bound, the body run on the warehouse.

A body references its parameters by bare name or as `<function>.<param>`. As on Databricks, a
bare name that is also a column of a table the body reads means the column; the qualified form
always means the parameter. Scalar bodies are an expression or a one-row query; table bodies
(`data_type: TABLE_TYPE`) are a query whose columns are named by `return_params`. Calls of other
UC functions inside a body run through `function_calls`, like calls inside a statement.
"""

from __future__ import annotations

import re
from typing import Any

from ..core.state import EmulatorState
from ..warehouse import Column, WarehouseError
from . import sqltext
from .function_args import coerce_out, coerce_result, params, type_key, type_text
from .function_calls import expand_calls, run_sql, sql_value
from .function_result import FunctionExecutionError

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
    declared = params(doc)
    markers = {p["name"].lower(): f"__p{i}" for i, p in enumerate(declared)}
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
    return "".join(out), {p["name"]: markers[p["name"].lower()] for p in declared}


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
        sql = expand_calls(state, sql, catalog=catalog, schema=schema, params=values)
        if not _QUERY_START.match(body):
            if is_table:
                raise FunctionExecutionError(f"The body of table function {full} must be a query "
                                             "(SELECT ...).")
            sql = f"SELECT ({sql})"
        result = run_sql(state, sql, values, catalog=catalog, schema=schema)
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
        rows = tuple(tuple(coerce_out(v, type_key(p)) for v, p in zip(r, returns)) for r in result.rows)
        return cols, rows
    if len(result.rows) > 1:
        raise FunctionExecutionError(f"Execution of function {full} failed: [SCALAR_SUBQUERY_TOO_MANY_ROWS] "
                                     "its query returned more than one row.")
    value = result.rows[0][0] if result.rows and result.rows[0] else None
    return (Column("result", type_text(doc)),), ((coerce_result(doc, value),),)
