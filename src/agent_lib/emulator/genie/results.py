"""Query results of Genie messages, in the SQL Statement Execution API's shape.

Genie runs its SQL on the space's warehouse as the asking user and keeps the result under a
statement id (`GenieQueryAttachment.statement_id`); `statement_response(...)` renders it as
`sql.StatementResponse` (manifest.schema.columns, result.data_array with every value a string, as
Databricks sends JSON_ARRAY results). `statement(state, statement_id)` lets the SQL statements
service answer GET /api/2.0/sql/statements/{id} for Genie's statements too.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from ..core.state import EmulatorState
from ..warehouse import QueryResult

KIND = "genie_statement"
MAX_ROWS = 5000  # rows kept per result; more is reported as truncated

_TYPE_NAME = {"BIGINT": "LONG", "INT": "INT", "DOUBLE": "DOUBLE", "STRING": "STRING", "BOOLEAN": "BOOLEAN",
              "DATE": "DATE", "TIMESTAMP": "TIMESTAMP", "FLOAT": "FLOAT", "SMALLINT": "SHORT"}


def statement_id(state: EmulatorState) -> str:
    n = state.store.next_id("genie_statement")
    h = hashlib.sha1(f"statement:{n}".encode()).hexdigest()
    return f"01f0{h[:4]}-{h[4:8]}-{h[8:12]}-{h[12:16]}-{h[16:28]}"


def _cell(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def columns_of(result: QueryResult) -> list[dict[str, Any]]:
    return [{"name": c.name, "type_text": c.type_text, "type_name": _TYPE_NAME.get(c.type_text, "STRING"),
             "position": i} for i, c in enumerate(result.columns)]


def store_result(state: EmulatorState, sid: str, result: QueryResult,
                 owner: dict[str, Any]) -> dict[str, Any]:
    """Keep a result under its statement id; `owner` says whose message it answers."""
    rows = [[_cell(v) for v in r] for r in result.rows[:MAX_ROWS]]
    doc = {"statement_id": sid, "columns": columns_of(result), "rows": rows,
           "total_row_count": len(result.rows), "truncated": len(result.rows) > MAX_ROWS, **owner}
    state.store.put(KIND, sid, doc)
    return doc


def statement_response(doc: dict[str, Any]) -> dict[str, Any]:
    rows: Sequence[Sequence[str | None]] = doc["rows"]
    n = len(rows)
    return {
        "statement_id": doc["statement_id"],
        "status": {"state": "SUCCEEDED"},
        "manifest": {
            "format": "JSON_ARRAY",
            "schema": {"column_count": len(doc["columns"]), "columns": doc["columns"]},
            "total_row_count": n,
            "total_chunk_count": 1,
            "chunks": [{"chunk_index": 0, "row_offset": 0, "row_count": n}],
            "truncated": doc.get("truncated", False),
        },
        "result": {"chunk_index": 0, "row_offset": 0, "row_count": n, "data_array": [list(r) for r in rows]},
    }


def statement(state: EmulatorState, sid: str) -> dict[str, Any] | None:
    """A Genie statement as `StatementResponse` (None when the id is not Genie's)."""
    doc = state.store.get(KIND, sid)
    return statement_response(doc) if doc else None


def statement_owner(state: EmulatorState, sid: str) -> str | None:
    """The principal id whose question produced the statement (for access checks elsewhere)."""
    doc = state.store.get(KIND, sid)
    return doc.get("user_principal_id") if doc else None
