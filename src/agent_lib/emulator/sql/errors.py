"""How a failed statement reads: Databricks' `[ERROR_CLASS] message` and SQLSTATE.

A statement that fails is answered as a FAILED statement with `status.error`, never an HTTP
error; SQLite's own messages are reworded here into the error classes Databricks uses, so a
notebook sees `TABLE_OR_VIEW_NOT_FOUND` rather than `no such table`.
"""

from __future__ import annotations

import re


class StatementFailed(Exception):
    """The statement failed: its message, SQLSTATE and error code go into `status.error`."""

    def __init__(self, message: str, sql_state: str | None = None, error_code: str = "BAD_REQUEST"):
        super().__init__(message)
        self.message, self.sql_state, self.error_code = message, sql_state, error_code


_ERRORS = (
    (re.compile(r"(?:no such table|unknown database):? (.+)"),
     ("[TABLE_OR_VIEW_NOT_FOUND] The table or view `{0}` cannot be "
      "found. Verify the spelling and correctness of the schema and catalog."), "42P01"),
    (re.compile(r"no such column: (.+)"), ("[UNRESOLVED_COLUMN.WITHOUT_SUGGESTION] A column, variable, "
     "or function parameter with name `{0}` cannot be resolved."), "42703"),
    (re.compile(r"no such function: (.+)"), ("[UNRESOLVED_ROUTINE] Cannot resolve routine `{0}` on "
     "search path [`system`.`builtin`, `system`.`session`]."), "42883"),
    (re.compile(r"near (.+): syntax error"), "[PARSE_SYNTAX_ERROR] Syntax error at or near '{0}'.", "42601"),
    (re.compile(r"incomplete input"), "[PARSE_SYNTAX_ERROR] Syntax error at or near end of input.", "42601"),
    (re.compile(r"ambiguous column name: (.+)"), "[AMBIGUOUS_REFERENCE] Reference `{0}` is ambiguous.",
     "42704"),
)


def databricks_error(message: str) -> tuple[str, str | None]:
    """A SQLite error as Databricks words it ([ERROR_CLASS] message, SQLSTATE)."""
    message = re.sub(r"\b([a-z_]\w*)__([a-z_]\w*)__([a-z_]\w*)\b", r"\1.\2.\3", message)
    for pattern, text, sql_state in _ERRORS:
        m = pattern.search(message)
        if m:
            return text.format(*(g.strip() for g in m.groups())), sql_state
    return message, None
