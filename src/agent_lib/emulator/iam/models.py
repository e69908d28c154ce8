"""SCIM identities: users, service principals and groups as the IAM endpoints serve them.

Principals live in the core (`state.identities`, kind "principal"); this module answers the SCIM
operations on them: list sources, gets (SCIM 404s), and the few things the SCIM API can create or
delete here (users, service principals; admins only). The rest lives beside it, and callers
import each name from the module that defines it:

* `scim.py`       schema URNs and `ScimError`
* `groups.py`     which groups exist, their stable ids, membership
* `resources.py`  principals rendered as `User` / `ServicePrincipal` / `Group`
* `listing.py`    SCIM filters, sorting, paging and attribute projection
"""

from __future__ import annotations

from typing import Any

from ..core.identity import Principal
from ..core.state import EmulatorState
from .groups import group_by_id, group_names, group_names_from_refs
from .resources import group_resource, service_principal_resource, user_resource
from .scim import Resource, ScimError

_LABELS = {"user": "User", "service_principal": "Service Principal"}


def _principal(state: EmulatorState, principal_id: str, kind: str) -> dict[str, Any]:
    """The core principal document of that kind; SCIM 404 naming the kind otherwise."""
    doc = state.identities.get(principal_id)
    if doc is None or doc["kind"] != kind:
        raise ScimError(404, f"{_LABELS[kind]} {principal_id} does not exist.")
    return doc


def _finish(state: EmulatorState, doc: dict[str, Any], groups: list[str], active: bool | None) -> None:
    """Add a new principal to the groups its create named, deactivate it if asked, store it."""
    doc["groups"] = [*doc["groups"], *(g for g in groups if g not in doc["groups"])]
    if active is False:
        doc["active"] = False
    state.store.put("principal", doc["id"], doc)


def users(state: EmulatorState) -> list[Resource]:
    return [user_resource(p) for p in state.identities.all() if p["kind"] == "user"]


def service_principals(state: EmulatorState) -> list[Resource]:
    return [service_principal_resource(p) for p in state.identities.all()
            if p["kind"] == "service_principal"]


def groups(state: EmulatorState) -> list[Resource]:
    return [group_resource(state, g) for g in group_names(state)]


def get_user(state: EmulatorState, user_id: str) -> Resource:
    return user_resource(_principal(state, user_id, "user"))


def get_service_principal(state: EmulatorState, sp_id: str) -> Resource:
    return service_principal_resource(_principal(state, sp_id, "service_principal"))


def get_group(state: EmulatorState, gid: str) -> Resource:
    name = group_by_id(state, gid)
    if name is None:
        raise ScimError(404, f"Group {gid} does not exist.")
    return group_resource(state, name)


def _require_admin(caller: Principal, what: str) -> None:
    if not caller.admin:
        raise ScimError(403, f"Only workspace admins can {what}.")


def create_user(state: EmulatorState, caller: Principal, user_name: str, display_name: str | None,
                active: bool | None, group_refs: list[dict[str, Any]] | None) -> Resource:
    _require_admin(caller, "add users")
    if not user_name or not user_name.strip():
        raise ScimError(400, "Missing required field: userName.", "invalidValue")
    with state.store.transaction():
        if state.identities.find("user", user_name) is not None:
            raise ScimError(409, f"User with username {user_name} already exists.", "uniqueness")
        extra = group_names_from_refs(state, group_refs)
        doc = state.identities.add_user(user_name.strip(), display_name or "")
        _finish(state, doc, extra, active)
    return user_resource(doc)


def create_service_principal(state: EmulatorState, caller: Principal, display_name: str | None,
                             application_id: str | None, active: bool | None,
                             group_refs: list[dict[str, Any]] | None) -> Resource:
    _require_admin(caller, "add service principals")
    with state.store.transaction():
        if application_id and state.identities.find("service_principal", application_id):
            raise ScimError(409, f"Service principal with application ID {application_id} already exists.",
                            "uniqueness")
        extra = group_names_from_refs(state, group_refs)
        doc = state.identities.add_service_principal(display_name or "", application_id)
        if not display_name:
            doc["display_name"] = doc["name"]
        _finish(state, doc, extra, active)
    return service_principal_resource(doc)


def delete_service_principal(state: EmulatorState, caller: Principal, sp_id: str) -> None:
    """Remove a service principal; its tokens stop resolving at once (they name a missing principal)."""
    _require_admin(caller, "delete service principals")
    with state.store.transaction():
        _principal(state, sp_id, "service_principal")
        state.store.delete("principal", sp_id)
