"""Unity Catalog tables, read-only: the warehouse's tables as `TableInfo` (list, get, exists).

Tables are created by the warehouse (`state.warehouse.create_table`, e.g. the demo's sales data),
not through this API; comments come from the demo data's descriptions when it has them.
"""

from __future__ import annotations

import uuid
from typing import Any

from ..core.errors import not_found, permission_denied
from ..core.identity import Principal
from ..core.state import ADMIN_USER, EmulatorState
from ..warehouse import sales
from .models import schema_doc
from .securables import METASTORE_ID, clean

_TYPE_NAME = {"BIGINT": "LONG", "SMALLINT": "SHORT", "TINYINT": "BYTE", "INTEGER": "INT"}


def _comments() -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    return sales.TABLE_COMMENTS, sales.COLUMN_COMMENTS


def table_info(state: EmulatorState, full_name: str) -> dict[str, Any]:
    catalog, schema, name = full_name.lower().split(".")
    table_comments, column_comments = _comments()
    owner = state.grants.get("table", full_name).get("owner") or ADMIN_USER
    columns = []
    for i, c in enumerate(state.warehouse.columns(full_name)):
        t = c.type_text.upper()
        base = t.split("(", 1)[0]
        columns.append(clean({"name": c.name, "type_text": t.lower(), "type_name": _TYPE_NAME.get(base, base),
                              "position": i, "nullable": True,
                              "comment": column_comments.get(full_name.lower(), {}).get(c.name)}))
    return clean({"name": name, "catalog_name": catalog, "schema_name": schema,
                  "full_name": full_name.lower(), "table_type": "MANAGED", "data_source_format": "DELTA",
                  "columns": columns, "comment": table_comments.get(full_name.lower()), "owner": owner,
                  "metastore_id": METASTORE_ID,
                  "table_id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"uc-table:{full_name.lower()}"))})


def _require_schema(state: EmulatorState, caller: Principal, schema: str) -> str:
    full = schema_doc(state, schema)["full_name"]
    if not state.grants.has(caller, "schema", full, "USE_SCHEMA"):
        raise permission_denied(f"User does not have USE CATALOG / USE SCHEMA on Schema '{full}'.")
    return full


def list_tables(state: EmulatorState, caller: Principal, catalog_name: str,
                schema_name: str) -> list[dict[str, Any]]:
    full = _require_schema(state, caller, f"{catalog_name}.{schema_name}")
    return [table_info(state, t) for t in state.warehouse.tables(full)]


def get_table(state: EmulatorState, caller: Principal, full_name: str) -> dict[str, Any]:
    parts = full_name.split(".")
    if len(parts) != 3 or not state.warehouse.has_table(full_name):
        raise not_found(f"Table '{full_name}' does not exist.")
    _require_schema(state, caller, ".".join(parts[:2]))
    return table_info(state, full_name)


def table_exists(state: EmulatorState, caller: Principal, full_name: str) -> bool:
    parts = full_name.split(".")
    if len(parts) != 3 or not state.warehouse.has_table(full_name):
        return False
    _require_schema(state, caller, ".".join(parts[:2]))
    return True
