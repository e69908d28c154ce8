"""The SQL warehouse's permissions through `w.warehouses.*_permissions`, enforced by statement execution."""

from __future__ import annotations

import pytest
from databricks.sdk.errors import BadRequest, NotFound, PermissionDenied
from databricks.sdk.service import iam, sql

from agent_lib.emulator.core.demo_ids import WAREHOUSE_ID

BOB = "bob@example.com"


def _levels(perms: sql.WarehousePermissions) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for entry in perms.access_control_list or []:
        who = entry.user_name or entry.group_name or entry.service_principal_name or ""
        out[who] = {p.permission_level.value for p in entry.all_permissions or []}
    return out


def _state_of(client, statement: str = "SELECT 1") -> sql.StatementState:
    response = client.statement_execution.execute_statement(statement, WAREHOUSE_ID, wait_timeout="10s")
    return response.status.state


@pytest.fixture
def restricted(admin):
    """The warehouse with its demo ACL replaced by none (so only admins may use it), then restored."""
    admin.warehouses.set_permissions(WAREHOUSE_ID, access_control_list=[])
    yield admin
    admin.warehouses.set_permissions(WAREHOUSE_ID, access_control_list=[sql.WarehouseAccessControlRequest(
        group_name="users", permission_level=sql.WarehousePermissionLevel.CAN_USE)])


def test_the_demo_warehouse_is_usable_by_every_user(admin):
    levels = _levels(admin.warehouses.get_permissions(WAREHOUSE_ID))
    assert levels["users"] == {"CAN_USE"}
    assert "CAN_MANAGE" in levels["admins"]
    names = [lvl.permission_level.value
             for lvl in admin.warehouses.get_permission_levels(WAREHOUSE_ID).permission_levels]
    assert names[:2] == ["IS_OWNER", "CAN_MANAGE"] and "CAN_USE" in names


def test_can_use_granted_by_patch_is_what_statement_execution_checks(emulator, restricted):
    bob = emulator.client(emulator.token_for(BOB))
    with pytest.raises(PermissionDenied, match="CAN_USE"):
        _state_of(bob)
    restricted.warehouses.update_permissions(WAREHOUSE_ID, access_control_list=[
        sql.WarehouseAccessControlRequest(user_name=BOB, permission_level=sql.WarehousePermissionLevel.CAN_USE)])
    assert _state_of(bob) == sql.StatementState.SUCCEEDED
    levels = _levels(restricted.warehouses.get_permissions(WAREHOUSE_ID))
    assert levels[BOB] == {"CAN_USE"} and "users" not in levels


def test_bad_warehouse_permission_requests_are_4xx_naming_the_problem(admin):
    with pytest.raises(NotFound, match="does not exist"):
        admin.warehouses.get_permissions("no-such-warehouse")
    with pytest.raises(BadRequest, match="CAN_RUN is not supported"):
        admin.permissions.update("warehouses", WAREHOUSE_ID, access_control_list=[
            iam.AccessControlRequest(user_name=BOB, permission_level=iam.PermissionLevel.CAN_RUN)])
