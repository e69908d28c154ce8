"""HTTP routes of Databricks SQL: statement execution and warehouses (thin: parse -> models -> JSON)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body

from ..core.deps import Caller, State
from ..core.errors import invalid
from ..core.identity import require_scope
from . import models

router = APIRouter()
SQL_SCOPES = ("sql", "mcp.functions", "unity-catalog")


@router.post("/api/2.0/sql/statements")
def execute_statement(state: State, caller: Caller, body: Any = Body(None)) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise invalid("Missing required field: statement")
    return models.execute_statement(state, caller, body)


@router.get("/api/2.0/sql/statements/{statement_id}")
def get_statement(statement_id: str, state: State, caller: Caller) -> dict[str, Any]:
    require_scope(caller, *SQL_SCOPES)
    return models.get_statement(state, caller, statement_id)


@router.get("/api/2.0/sql/statements/{statement_id}/result/chunks/{chunk_index}")
def get_chunk(statement_id: str, chunk_index: int, state: State, caller: Caller) -> dict[str, Any]:
    require_scope(caller, *SQL_SCOPES)
    return models.get_chunk(state, caller, statement_id, chunk_index)


@router.post("/api/2.0/sql/statements/{statement_id}/cancel")
def cancel_statement(statement_id: str, state: State, caller: Caller) -> dict[str, Any]:
    require_scope(caller, *SQL_SCOPES)
    models.cancel_statement(state, caller, statement_id)
    return {}


@router.get("/api/2.0/sql/warehouses")
def list_warehouses(state: State, caller: Caller) -> dict[str, Any]:
    require_scope(caller, "sql")
    return {"warehouses": models.list_warehouses(state, caller)}


@router.get("/api/2.0/sql/warehouses/{warehouse_id}")
def get_warehouse(warehouse_id: str, state: State, caller: Caller) -> dict[str, Any]:
    require_scope(caller, "sql")
    return models.get_warehouse(state, caller, warehouse_id)
