"""Workspace object permissions (`/api/2.0/permissions/{type}/{id}`) over `state.acls`.

The permissions service cannot know every service's objects, so each service declares the object
types it owns in `emulator.services.SERVICES` (`object_types`), and the server registers them:

    register_object_type("apps", lambda state, name: state.store.get("app", name) is not None)

An unregistered type or a missing object answers 404
RESOURCE_DOES_NOT_EXIST. The ids are what Databricks uses in these paths: an App's name, a serving
endpoint's **id** (not its name), a Genie space id, an experiment id, a job id, a Knowledge
Assistant id.

Stored data (core/access.py): `{owner: "user:<name>" | "service_principal:<app id>" | None,
entries: {principal_key: [levels]}}`. The owner shows as CAN_MANAGE (IS_OWNER for types that have
it, e.g. jobs); the `admins` group shows CAN_MANAGE inherited from the type's root, as on Databricks.
PATCH sets each named principal's direct level (one direct level per principal); PUT replaces all
direct permissions (the owner stays).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from ..core.access import LEVELS, noun, principal_key
from ..core.errors import invalid, not_found, permission_denied
from ..core.identity import Principal
from ..core.state import EmulatorState
from ..iam.groups import find_group

ExistsFn = Callable[[EmulatorState, str], bool]

_REGISTRY: dict[str, ExistsFn] = {}
_REGISTRY_LOCK = threading.Lock()

# `object_type` in responses, as Databricks names them (the request type where it differs).
_RESPONSE_TYPE = {
    "serving-endpoints": "serving-endpoint", "experiments": "mlflowExperiment", "jobs": "job",
    "knowledge-assistants": "knowledge-assistant", "supervisor-agents": "supervisor-agent",
}

_DESCRIPTIONS = {
    "CAN_VIEW": "Can view the {noun}",
    "CAN_READ": "Can read the {noun}",
    "CAN_RUN": "Can run the {noun}",
    "CAN_QUERY": "Can query the {noun}",
    "CAN_USE": "Can use the {noun}",
    "CAN_MONITOR": "Can monitor the {noun}",
    "CAN_EDIT": "Can edit the {noun}",
    "CAN_MANAGE_RUN": "Can manage runs of the {noun}",
    "CAN_MANAGE": "Can manage the {noun} and its permissions",
    "IS_OWNER": "Owns the {noun}",
}

# Serving endpoint permissions are keyed by the endpoint's id; its name is the usual mistake.
_NOT_FOUND_HINT = {"serving-endpoints": " Serving endpoint permissions take the endpoint id "
                                        "(serving_endpoints.get(name).id), not its name."}

_PRINCIPAL_FIELDS = (("user_name", "user", "UserName"),
                     ("service_principal_name", "service_principal", "ServicePrincipalName"),
                     ("group_name", "group", "GroupName"))


# -- the registry -----------------------------------------------------------------------------

def register_object_type(object_type: str, exists: ExistsFn, *,
                         levels: tuple[str, ...] | None = None) -> None:
    """Let the permissions API serve `object_type`; `exists(state, object_id)` says if an object exists.

    `levels` (low -> high) is needed only for a type core/access.py does not list yet.
    Registering again replaces the earlier `exists` (tests stub types whose services are not built).
    """
    if levels is not None:
        LEVELS.setdefault(object_type, tuple(levels))
    if object_type not in LEVELS:
        raise ValueError(f"permission levels of {object_type!r} are unknown; pass levels=(low, ..., high)")
    with _REGISTRY_LOCK:
        _REGISTRY[object_type] = exists


def unregister_object_type(object_type: str) -> ExistsFn | None:
    """Remove a registration (tests); returns what was registered."""
    with _REGISTRY_LOCK:
        return _REGISTRY.pop(object_type, None)


def registered(object_type: str) -> ExistsFn | None:
    with _REGISTRY_LOCK:
        return _REGISTRY.get(object_type)


def _check_object(state: EmulatorState, object_type: str, object_id: str) -> None:
    if object_type not in LEVELS:
        raise invalid(f"'{object_type}' is not a supported request_object_type; supported: "
                      f"{', '.join(sorted(LEVELS))}.")
    exists = registered(object_type)
    if exists is None or not exists(state, object_id):
        what = noun(object_type)
        hint = _NOT_FOUND_HINT.get(object_type, "")
        raise not_found(f"{what[:1].upper()}{what[1:]} '{object_id}' does not exist.{hint}")


# -- rendering --------------------------------------------------------------------------------

def _owner_level(object_type: str) -> str:
    return "IS_OWNER" if "IS_OWNER" in LEVELS[object_type] else "CAN_MANAGE"


def _acl_entry(state: EmulatorState, key: str) -> dict[str, Any]:
    kind, _, name = key.partition(":")
    if kind == "group":
        return {"group_name": name}
    field = "user_name" if kind == "user" else "service_principal_name"
    out: dict[str, Any] = {field: name}
    doc = state.identities.find("user" if kind == "user" else "service_principal", name)
    if doc is not None:
        out["display_name"] = doc["display_name"]
    return out


def object_permissions(state: EmulatorState, object_type: str, object_id: str) -> dict[str, Any]:
    """The object's ACL as the SDK's `ObjectPermissions` (no access check: callers check)."""
    doc = state.acls.get(object_type, object_id)
    rows: dict[str, list[dict[str, Any]]] = {}

    def add(key: str, perm: dict[str, Any]) -> None:
        perms = rows.setdefault(key, [])
        if perm not in perms:
            perms.append(perm)

    if doc.get("owner"):
        add(doc["owner"], {"permission_level": _owner_level(object_type), "inherited": False})
    for key, levels in doc.get("entries", {}).items():
        for level in levels:
            add(key, {"permission_level": level, "inherited": False})
    add("group:admins", {"permission_level": "CAN_MANAGE", "inherited": True,
                         "inherited_from_object": [f"/{object_type}/"]})
    return {
        "object_id": f"/{object_type}/{object_id}",
        "object_type": _RESPONSE_TYPE.get(object_type, object_type),
        "access_control_list": [{**_acl_entry(state, key), "all_permissions": perms}
                                for key, perms in rows.items()],
    }


# -- reads ------------------------------------------------------------------------------------

def _require_any_level(state: EmulatorState, caller: Principal, object_type: str, object_id: str) -> None:
    if state.acls.effective_level(caller, object_type, object_id) is None:
        raise permission_denied(
            f"User {caller.name} does not have permission to view the permissions of "
            f"{noun(object_type)} '{object_id}'.")


def get_permissions(state: EmulatorState, caller: Principal, object_type: str,
                    object_id: str) -> dict[str, Any]:
    _check_object(state, object_type, object_id)
    _require_any_level(state, caller, object_type, object_id)
    return object_permissions(state, object_type, object_id)


def permission_levels(state: EmulatorState, caller: Principal, object_type: str,
                      object_id: str) -> dict[str, Any]:
    _check_object(state, object_type, object_id)
    _require_any_level(state, caller, object_type, object_id)
    what = noun(object_type)
    return {"permission_levels": [
        {"permission_level": lvl, "description": _DESCRIPTIONS.get(lvl, "{noun}").format(noun=what)}
        for lvl in reversed(LEVELS[object_type])]}


# -- writes -----------------------------------------------------------------------------------

def _resolve_entry(state: EmulatorState, object_type: str, index: int,
                   entry: dict[str, Any]) -> tuple[str, str]:
    """One `AccessControlRequest` as (principal key, level), or the error Databricks answers."""
    where = f"access_control_list[{index}]"
    named = [(f, kind, label) for f, kind, label in _PRINCIPAL_FIELDS if entry.get(f)]
    if len(named) != 1:
        raise invalid(f"{where}: exactly one of user_name, service_principal_name or group_name "
                      f"must be set (got {len(named) or 'none'}).")
    field, kind, label = named[0]
    name = str(entry[field])
    level = entry.get("permission_level")
    valid = LEVELS[object_type]
    if not level:
        raise invalid(f"Missing required field: {where}.permission_level")
    if level not in valid:
        raise invalid(f"Permission level {level} is not supported for {noun(object_type)}s "
                      f"({object_type}); valid permission levels: {', '.join(reversed(valid))}.")
    if kind == "group":
        canonical = find_group(state, name)
        if canonical is None:
            raise not_found(f"Principal: {label}({name}) does not exist")
        if canonical.lower() == "admins":
            raise invalid(f"{where}: the permissions of the admins group cannot be changed; "
                          "workspace admins always have CAN_MANAGE.")
        if level == "IS_OWNER":
            raise invalid(f"{where}: a group cannot be the owner of a {noun(object_type)}; "
                          "IS_OWNER must name a user or a service principal.")
        return principal_key("group", canonical), level
    doc = state.identities.find(kind, name)  # type: ignore[arg-type]
    if doc is None or not doc.get("active", True):
        raise not_found(f"Principal: {label}({name}) does not exist")
    return principal_key(kind, doc["name"]), level


def update_permissions(state: EmulatorState, caller: Principal, object_type: str, object_id: str,
                       access_control_list: list[dict[str, Any]], *, replace: bool) -> dict[str, Any]:
    """PATCH (`replace=False`: set the named principals' levels) or PUT (`replace=True`: these only)."""
    _check_object(state, object_type, object_id)
    order = LEVELS[object_type]
    with state.store.transaction():
        state.acls.require(caller, object_type, object_id, "CAN_MANAGE")
        wanted: dict[str, str] = {}
        new_owner: str | None = None
        for i, entry in enumerate(access_control_list):
            key, level = _resolve_entry(state, object_type, i, entry)
            if level == "IS_OWNER":
                new_owner = key
                continue
            # The same principal twice in one request: the higher level wins.
            if key not in wanted or order.index(level) > order.index(wanted[key]):
                wanted[key] = level
        doc = state.acls.get(object_type, object_id)
        entries: dict[str, list[str]] = {} if replace else dict(doc.get("entries", {}))
        for key, level in wanted.items():
            entries[key] = [level]
        if new_owner is not None:
            doc["owner"] = new_owner
            entries.pop(new_owner, None)
        doc["entries"] = entries
        state.acls.put(object_type, object_id, doc)
    return object_permissions(state, object_type, object_id)
