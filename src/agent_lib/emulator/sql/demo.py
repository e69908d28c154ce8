"""The demo's SQL warehouse: owned by the admin, usable by every workspace user."""

from __future__ import annotations

from ..core.demo_ids import WAREHOUSE_ID
from ..core.state import ADMIN_USER, EmulatorState


def seed(state: EmulatorState) -> None:
    state.acls.put("warehouses", WAREHOUSE_ID,
                   {"owner": f"user:{ADMIN_USER}", "entries": {"group:users": ["CAN_USE"]}})
