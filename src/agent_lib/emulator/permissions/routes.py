"""`/api/2.0/permissions/{request_object_type}/{request_object_id}`: GET, PATCH (update), PUT (set),
and `/permissionLevels`. Every typed `*_permissions` call of the SDK lands here too."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict

from ..core.deps import Caller, State
from ..core.identity import ALL_APIS, require_scope
from . import models

router = APIRouter(prefix="/api/2.0/permissions", tags=["permissions"])

READ_SCOPE = "iam.access-control:read"


class AccessControlRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user_name: str | None = None
    group_name: str | None = None
    service_principal_name: str | None = None
    permission_level: str | None = None


class PermissionsRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    access_control_list: list[AccessControlRequest] | None = None


def _acl(body: PermissionsRequest | None) -> list[dict[str, Any]]:
    entries = (body.access_control_list if body else None) or []
    return [e.model_dump(exclude_none=True) for e in entries]


@router.get("/{request_object_type}/{request_object_id}/permissionLevels")
def get_permission_levels(request_object_type: str, request_object_id: str, state: State,
                          caller: Caller) -> dict[str, Any]:
    require_scope(caller, READ_SCOPE)
    return models.permission_levels(state, caller, request_object_type, request_object_id)


@router.get("/{request_object_type}/{request_object_id}")
def get_permissions(request_object_type: str, request_object_id: str, state: State,
                    caller: Caller) -> dict[str, Any]:
    require_scope(caller, READ_SCOPE)
    return models.get_permissions(state, caller, request_object_type, request_object_id)


@router.patch("/{request_object_type}/{request_object_id}")
def update_permissions(request_object_type: str, request_object_id: str, state: State, caller: Caller,
                       body: PermissionsRequest | None = None) -> dict[str, Any]:
    require_scope(caller, ALL_APIS)
    return models.update_permissions(state, caller, request_object_type, request_object_id, _acl(body),
                                     replace=False)


@router.put("/{request_object_type}/{request_object_id}")
def set_permissions(request_object_type: str, request_object_id: str, state: State, caller: Caller,
                    body: PermissionsRequest | None = None) -> dict[str, Any]:
    require_scope(caller, ALL_APIS)
    return models.update_permissions(state, caller, request_object_type, request_object_id, _acl(body),
                                     replace=True)
