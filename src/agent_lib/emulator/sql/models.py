"""SQL statement execution (state and rules; no HTTP here): statements as Databricks answers them.

Statements run on `state.warehouse` (SQLite behind UC three-part names, sandboxed for the caller),
each on a worker (`running.py`), waited for up to `wait_timeout`, and are answered as Databricks'
`StatementResponse`: `status.state` PENDING / RUNNING while they run, then SUCCEEDED, FAILED (a bad
statement is a FAILED statement with `status.error`, never an HTTP error) or CANCELED;
`manifest.schema.columns`, and `result.data_array` as strings (JSON_ARRAY format; NULL stays
null), in chunks of `CHUNK_ROWS`. Finished statements are kept (the last `KEEP_STATEMENTS`) for
GET and chunk fetches by their owner.

Beside it: `request.py` (the request body), `execution.py` (running one statement, UC function
calls through `catalog.functions` with EXECUTE enforced), `errors.py` (Databricks' error
classes), `warehouses.py` (the one warehouse; its functions are re-exported here).
"""

from __future__ import annotations

import logging
import threading
import uuid
from typing import Any

from ..core.demo_ids import WAREHOUSE_ID
from ..core.errors import invalid, not_found, permission_denied
from ..core.identity import Principal, require_scope
from ..core.state import EmulatorState
from . import running
from .errors import StatementFailed
from .execution import called_functions, caller_access, run_statement
from .request import parse_request
from .warehouses import WAREHOUSE_NAME, get_warehouse, list_warehouses, warehouse_info

STATEMENT = "sql_statement"
CHUNK_ROWS = 10_000  # rows per result chunk (module constant so tests can shrink it)
KEEP_STATEMENTS = 500  # finished statements kept for GET / chunk fetches
CANCEL_WAIT_S = 10.0  # how long on_wait_timeout=CANCEL waits for the statement to stop
log = logging.getLogger("agent_lib.emulator.sql")


def execute_statement(state: EmulatorState, caller: Principal, body: dict[str, Any]) -> dict[str, Any]:
    req = parse_request(body)
    if req["warehouse_id"] != WAREHOUSE_ID:
        raise not_found(f"Warehouse '{req['warehouse_id']}' does not exist "
                        f"(the emulated workspace's warehouse is '{WAREHOUSE_ID}').")
    called = called_functions(state, req["statement"], req["catalog"], req["schema"])
    if not caller.has_scope("sql"):
        if called and caller.has_scope("mcp.functions", "unity-catalog"):
            pass  # a narrowed token may run UC functions through SQL
        else:
            require_scope(caller, "sql")
    state.acls.require(caller, "warehouses", WAREHOUSE_ID, "CAN_USE", label=WAREHOUSE_NAME)
    statement_id = str(uuid.uuid4())
    live = running.submit(state, statement_id, caller.id,
                          lambda live: _execute(state, caller, req, called, statement_id, live.cancel))
    if live.done.wait(req["wait_s"]) and live.response is not None:
        return live.response
    if req["on_wait_timeout"] == "CANCEL":
        live.cancel.set()
        if live.done.wait(CANCEL_WAIT_S) and live.response is not None:
            return live.response
    return live.status()


def _execute(state: EmulatorState, caller: Principal, req: dict[str, Any], called: list[dict[str, Any]],
             statement_id: str, cancel: threading.Event) -> dict[str, Any]:
    """Run the statement on a worker; its final response, saved for GET (it never raises)."""
    access = caller_access(state, caller, timeout_s=running.STATEMENT_TIMEOUT_S, cancel=cancel)
    try:
        columns, rows, truncated = run_statement(state, caller, req, called, access)
    except StatementFailed as f:
        if f.error_code == "CANCELLED":
            response: dict[str, Any] = {"statement_id": statement_id, "status": {"state": "CANCELED"}}
        else:
            status: dict[str, Any] = {"state": "FAILED",
                                      "error": {"error_code": f.error_code, "message": f.message}}
            if f.sql_state:
                status["sql_state"] = f.sql_state
            response = {"statement_id": statement_id, "status": status}
        _save(state, caller, statement_id, response, [])
        return response
    except Exception as exc:  # a fault of the emulator: a FAILED statement, never a lost one
        log.exception("statement %s failed inside the emulator", statement_id)
        response = {"statement_id": statement_id, "status": {"state": "FAILED", "error": {
            "error_code": "INTERNAL_ERROR", "message": f"The emulated warehouse failed: {type(exc).__name__}"}}}
        _save(state, caller, statement_id, response, [])
        return response
    data = [[_cell(v, c["type_text"]) for v, c in zip(r, columns, strict=False)] for r in rows]
    chunks = [data[i:i + CHUNK_ROWS] for i in range(0, len(data), CHUNK_ROWS)] or [[]]
    manifest = {"format": "JSON_ARRAY",
                "schema": {"column_count": len(columns), "columns": columns},
                "total_chunk_count": len(chunks),
                "chunks": [{"chunk_index": i, "row_offset": i * CHUNK_ROWS, "row_count": len(c)}
                           for i, c in enumerate(chunks)],
                "total_row_count": len(data), "truncated": truncated}
    response = {"statement_id": statement_id, "status": {"state": "SUCCEEDED"},
                "manifest": manifest, "result": _chunk(statement_id, chunks, 0)}
    _save(state, caller, statement_id, response, chunks)
    return response


def _chunk(statement_id: str, chunks: list[list[list[Any]]], index: int) -> dict[str, Any]:
    rows = chunks[index]
    out: dict[str, Any] = {"chunk_index": index, "row_offset": index * CHUNK_ROWS, "row_count": len(rows)}
    if rows:
        out["data_array"] = rows
    if index + 1 < len(chunks):
        out["next_chunk_index"] = index + 1
        out["next_chunk_internal_link"] = f"/api/2.0/sql/statements/{statement_id}/result/chunks/{index + 1}"
    return out


def _save(state: EmulatorState, caller: Principal, statement_id: str, response: dict[str, Any],
          chunks: list[list[list[Any]]]) -> None:
    doc = {"owner_id": caller.id, "response": {k: v for k, v in response.items() if k != "result"},
           "chunks": chunks}
    with state.store.transaction():
        state.store.put(STATEMENT, statement_id, doc)
        keys = state.store.keys(STATEMENT)
        for key in keys[:max(0, len(keys) - KEEP_STATEMENTS)]:
            state.store.delete(STATEMENT, key)


def _cell(value: Any, type_text: str) -> str | None:
    if value is None:
        return None
    if type_text == "BOOLEAN" or isinstance(value, bool):
        return "true" if value in (True, 1, "1", "true") else "false"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, bytes):
        import base64

        return base64.b64encode(value).decode()
    return str(value)


def _owner_check(caller: Principal, owner_id: str, statement_id: str) -> None:
    if owner_id != caller.id and not caller.admin:
        raise permission_denied(f"User {caller.name} cannot access statement '{statement_id}'.")


def _statement(state: EmulatorState, caller: Principal, statement_id: str) -> dict[str, Any]:
    doc = state.store.get(STATEMENT, statement_id)
    if doc is None:
        raise not_found(f"Statement '{statement_id}' does not exist or has expired.")
    _owner_check(caller, doc["owner_id"], statement_id)
    return doc


def get_statement(state: EmulatorState, caller: Principal, statement_id: str) -> dict[str, Any]:
    live = running.find(state, statement_id)
    if live is not None:
        _owner_check(caller, live.owner_id, statement_id)
        return live.status()
    doc = _statement(state, caller, statement_id)
    response = dict(doc["response"])
    if response["status"]["state"] == "SUCCEEDED":
        response["result"] = _chunk(statement_id, doc["chunks"], 0)
    return response


def get_chunk(state: EmulatorState, caller: Principal, statement_id: str, chunk_index: int) -> dict[str, Any]:
    live = running.find(state, statement_id)
    if live is not None:
        _owner_check(caller, live.owner_id, statement_id)
        raise invalid(f"Statement '{statement_id}' has no result yet: its state is {live.state}.")
    doc = _statement(state, caller, statement_id)
    if doc["response"]["status"]["state"] != "SUCCEEDED":
        raise invalid(f"Statement '{statement_id}' has no result: its state is "
                      f"{doc['response']['status']['state']}.")
    if not 0 <= chunk_index < len(doc["chunks"]):
        raise invalid(f"Invalid chunk_index {chunk_index}: the result has {len(doc['chunks'])} "
                      "chunk(s).")
    return _chunk(statement_id, doc["chunks"], chunk_index)


def cancel_statement(state: EmulatorState, caller: Principal, statement_id: str) -> None:
    """Stop a running statement (it ends CANCELED); cancelling a finished one changes nothing."""
    live = running.find(state, statement_id)
    if live is not None:
        _owner_check(caller, live.owner_id, statement_id)
        live.cancel.set()
        return
    _statement(state, caller, statement_id)


__all__ = [
    "cancel_statement",
    "execute_statement",
    "get_chunk",
    "get_statement",
    "get_warehouse",
    "list_warehouses",
    "warehouse_info",
]
