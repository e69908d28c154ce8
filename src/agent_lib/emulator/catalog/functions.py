"""Running UC functions: the entry points, the recursion guard, and the dispatch on the body's kind.

`execute_function(state, caller, full_name, arguments)` is what the managed MCP server and the
supervisor's tool loop call. Statement execution runs the same code when a statement calls a
function: `expand_calls` rewrites `cat.sch.fn(args)` in a statement into something SQLite runs
(a registered scalar function, or for a table function in FROM, its materialized rows).

The pieces, one idea each (their names are re-exported here, where other services import them):

* `function_result.py`  `FunctionResult` and `FunctionExecutionError`
* `function_args.py`    parameter types, value coercion, binding arguments (JSON, positional, SQL text)
* `function_sql.py`     SQL bodies (`routine_body: SQL`) on the warehouse
* `function_python.py`  Python bodies (`routine_body: EXTERNAL`) in an isolated interpreter with a
  timeout; a runaway body is killed (see `python_runner`)
* `function_calls.py`   UC function calls inside SQL statements and bodies
"""

from __future__ import annotations

import threading
from typing import Any

from ..core.identity import Principal
from ..core.state import EmulatorState
from ..warehouse import Column
from .function_args import bind_arguments, coerce, coerce_result, type_text  # noqa: F401  (coerce: sql)
from .function_calls import expand_calls, resolve_call, run_sql  # noqa: F401  (re-exported: sql, latency)
from .function_python import python_session, run_python  # noqa: F401  (python_session: sql)
from .function_result import FunctionExecutionError, FunctionResult
from .function_sql import run_sql_body
from .models import function_doc

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
