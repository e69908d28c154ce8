"""What running a UC function gives back: its result, or the error its body raised.

A leaf module, so argument binding, SQL bodies, Python bodies and calls inside statements can all
raise `FunctionExecutionError` without importing each other.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ..core.errors import ApiError
from ..warehouse import Column


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
