"""Python function bodies (`routine_body: EXTERNAL`, `external_language: Python`) as UC sees them.

The interpreter mechanics live in `python_runner`; this module is the UC side: a body must compile
when the function is created (400 naming `routine_definition` and the line), parameters arrive
with their declared types (DATE as `datetime.date`), and a failure or timeout becomes the
`FunctionExecutionError` every caller of a function expects.
"""

from __future__ import annotations

import math
from typing import Any

from ..core.errors import invalid
from . import python_runner
from .function_args import params, type_key
from .function_result import FunctionExecutionError


def check_python_body(body: str, names: list[str]) -> None:
    """Reject a Python body that does not compile (400 naming routine_definition and the line)."""
    try:
        compile(python_runner.source(body, names), "<routine_definition>", "exec")
    except SyntaxError as exc:
        line = max((exc.lineno or 1) - 1, 1)
        raise invalid(f"Invalid value for field 'function_info.routine_definition': the Python "
                      f"body does not compile: {exc.msg} (line {line}).") from None


def run_python(doc: dict[str, Any], args: dict[str, Any], timeout: float) -> Any:
    """The body's return value (NaN and infinities become NULL, as Databricks returns them)."""
    full = doc["full_name"]
    values = [(p["name"], type_key(p), args.get(p["name"])) for p in params(doc)]
    try:
        value = python_runner.run(f"<function {full}>", doc["routine_definition"], values, timeout,
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
