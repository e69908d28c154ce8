"""The one SQL warehouse of the emulated workspace, as `/api/2.0/sql/warehouses` shows it.

Always RUNNING (statements run on `state.warehouse`, SQLite); who may see and use it is the
warehouse's workspace ACL (`warehouses`, CAN_VIEW / CAN_USE), which the demo grants to all users.
"""

from __future__ import annotations

from typing import Any

from ..core.demo_ids import WAREHOUSE_ID
from ..core.errors import not_found
from ..core.identity import Principal
from ..core.state import ADMIN_USER, EmulatorState

WAREHOUSE_NAME = "Emulated Serverless Warehouse"


def warehouse_info(state: EmulatorState) -> dict[str, Any]:
    host = state.host.split("://", 1)[-1]
    return {"id": WAREHOUSE_ID, "name": WAREHOUSE_NAME, "state": "RUNNING", "cluster_size": "2X-Small",
            "warehouse_type": "PRO", "enable_serverless_compute": True, "enable_photon": True,
            "auto_stop_mins": 10, "min_num_clusters": 1, "max_num_clusters": 1, "num_clusters": 1,
            "num_active_sessions": 0, "creator_name": ADMIN_USER, "health": {"status": "HEALTHY"},
            "odbc_params": {"hostname": host, "path": f"/sql/1.0/warehouses/{WAREHOUSE_ID}",
                            "port": 443, "protocol": "https"}}


def _can(state: EmulatorState, caller: Principal, level: str) -> bool:
    return state.acls.allows(caller, "warehouses", WAREHOUSE_ID, level)


def list_warehouses(state: EmulatorState, caller: Principal) -> list[dict[str, Any]]:
    return [warehouse_info(state)] if _can(state, caller, "CAN_VIEW") else []


def get_warehouse(state: EmulatorState, caller: Principal, warehouse_id: str) -> dict[str, Any]:
    if warehouse_id != WAREHOUSE_ID:
        raise not_found(f"Warehouse '{warehouse_id}' does not exist.")
    state.acls.require(caller, "warehouses", WAREHOUSE_ID, "CAN_VIEW", label=WAREHOUSE_NAME)
    return warehouse_info(state)


def exists(state: EmulatorState, warehouse_id: str) -> bool:
    """The permissions API's `warehouses` object type (`w.warehouses.*_permissions`): the one warehouse,
    so its CAN_USE can be granted like any other object's (statement execution checks it)."""
    return warehouse_id == WAREHOUSE_ID
