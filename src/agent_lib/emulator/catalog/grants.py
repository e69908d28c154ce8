"""Unity Catalog permissions: `GET|PATCH /permissions/{type}/{name}` and effective permissions.

Privileges are stored by `state.grants` (core.access.Grants). This module adds what the API needs
on top: which securable types exist, which privileges apply to each, who may grant, principal
checks, and the effective view (privileges inherited from the catalog and schema).
"""

from __future__ import annotations

from typing import Any

from ..core.errors import invalid, not_found, permission_denied
from ..core.identity import Principal
from ..core.state import EmulatorState
from . import connections
from .models import catalog_doc, function_doc, schema_doc
from .securables import METASTORE_ID

PRIVILEGES = frozenset(
    "ACCESS ALL_PRIVILEGES APPLY_TAG BROWSE CREATE CREATE_CATALOG CREATE_CLEAN_ROOM CREATE_CONNECTION "
    "CREATE_EXTERNAL_LOCATION CREATE_EXTERNAL_TABLE CREATE_EXTERNAL_VOLUME CREATE_FEATURE "
    "CREATE_FOREIGN_CATALOG CREATE_FOREIGN_SECURABLE CREATE_FUNCTION CREATE_MANAGED_STORAGE "
    "CREATE_MATERIALIZED_VIEW CREATE_MODEL CREATE_PROVIDER CREATE_RECIPIENT CREATE_SCHEMA "
    "CREATE_SERVICE_CREDENTIAL CREATE_SHARE CREATE_STORAGE_CREDENTIAL CREATE_TABLE CREATE_VIEW "
    "CREATE_VOLUME EXECUTE EXECUTE_CLEAN_ROOM_TASK EXTERNAL_USE_LOCATION EXTERNAL_USE_SCHEMA MANAGE "
    "MANAGE_ALLOWLIST MODIFY MODIFY_CLEAN_ROOM READ_FEATURE READ_FILES READ_METADATA "
    "READ_PRIVATE_FILES READ_VOLUME REFRESH SELECT SET_SHARE_PERMISSION USAGE USE_CATALOG "
    "USE_CONNECTION USE_MARKETPLACE_ASSETS USE_PROVIDER USE_RECIPIENT USE_SCHEMA USE_SHARE "
    "WRITE_FILES WRITE_PRIVATE_FILES WRITE_VOLUME".split()
)

_SCHEMA_LEVEL = {"ALL_PRIVILEGES", "APPLY_TAG", "CREATE_FUNCTION", "CREATE_MATERIALIZED_VIEW",
                 "CREATE_MODEL", "CREATE_TABLE", "CREATE_VOLUME", "EXECUTE", "EXTERNAL_USE_SCHEMA",
                 "MANAGE", "MODIFY", "READ_VOLUME", "REFRESH", "SELECT", "USE_SCHEMA", "WRITE_VOLUME"}
APPLICABLE: dict[str, frozenset[str]] = {
    "metastore": frozenset({"CREATE_CATALOG", "CREATE_CONNECTION", "CREATE_EXTERNAL_LOCATION",
                            "CREATE_STORAGE_CREDENTIAL", "CREATE_SERVICE_CREDENTIAL", "CREATE_SHARE",
                            "CREATE_RECIPIENT", "CREATE_PROVIDER", "CREATE_CLEAN_ROOM",
                            "MANAGE_ALLOWLIST", "SET_SHARE_PERMISSION", "USE_MARKETPLACE_ASSETS",
                            "USE_PROVIDER", "USE_RECIPIENT", "USE_SHARE"}),
    "catalog": frozenset(_SCHEMA_LEVEL | {"BROWSE", "CREATE_SCHEMA", "USE_CATALOG"}),
    "schema": frozenset(_SCHEMA_LEVEL),
    "function": frozenset({"ALL_PRIVILEGES", "EXECUTE", "MANAGE"}),
    "table": frozenset({"ALL_PRIVILEGES", "APPLY_TAG", "MANAGE", "MODIFY", "SELECT"}),
    "connection": frozenset({"ALL_PRIVILEGES", "CREATE_FOREIGN_CATALOG", "CREATE_FOREIGN_SECURABLE",
                             "MANAGE", "USE_CONNECTION"}),
}
SECURABLE_TYPES = tuple(APPLICABLE)


def securable_type(raw: str) -> str:
    """The path's securable type (`function` or `FUNCTION`, as the SDK passes it) -> `function`."""
    t = raw.strip().lower()
    if t.startswith("securabletype."):
        raise invalid(f"Invalid securable type '{raw}': pass the type's value, e.g. \"function\" "
                      "(or SecurableType.FUNCTION.value).")
    if t not in APPLICABLE:
        raise invalid(f"Invalid securable type '{raw}'. Expected one of: {', '.join(SECURABLE_TYPES)}.")
    return t


def resolve(state: EmulatorState, kind: str, full_name: str) -> str:
    """The canonical (lower-case) full name of an existing securable, or the 404."""
    if kind == "catalog":
        return catalog_doc(state, full_name)["name"]
    if kind == "schema":
        return schema_doc(state, full_name)["full_name"]
    if kind == "function":
        return function_doc(state, full_name)["full_name"]
    if kind == "connection":
        return connections.connection_doc(state, full_name)["name"]
    if kind == "table":
        if len(full_name.split(".")) != 3 or not state.warehouse.has_table(full_name):
            raise not_found(f"Table '{full_name}' does not exist.")
        return full_name.lower()
    if full_name.lower() != METASTORE_ID:
        raise not_found(f"Metastore '{full_name}' does not exist.")
    return METASTORE_ID


def _label(kind: str, name: str) -> str:
    return f"{kind.title()} '{name}'"


def normalize_privilege(raw: Any, kind: str, name: str, where: str) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise invalid(f"Invalid value for field '{where}': expected a privilege name.")
    priv = raw.strip().upper().replace(" ", "_")
    if priv not in PRIVILEGES:
        raise invalid(f"Invalid privilege '{raw}' in {where}: not a Unity Catalog privilege.")
    if priv not in APPLICABLE[kind]:
        allowed = ", ".join(sorted(APPLICABLE[kind]))
        raise invalid(f"Privilege {priv} is not applicable to {_label(kind, name)}. "
                      f"Privileges that apply to a {kind}: {allowed}.")
    return priv


def principal_exists(state: EmulatorState, principal: str) -> bool:
    p = principal.strip().lower()
    if p in ("account users", "users", "admins"):
        return True
    for doc in state.identities.all():
        if doc.get("name", "").lower() == p or p in (g.lower() for g in doc.get("groups", [])):
            return True
    for doc in state.store.list("group"):
        names = {str(doc.get(k, "")).lower() for k in ("displayName", "display_name", "name")}
        if p in names:
            return True
    return False


def can_manage(state: EmulatorState, caller: Principal, kind: str, name: str) -> bool:
    if kind == "metastore":
        return caller.admin
    return state.grants.has(caller, kind, name, "MANAGE")


def _can_read(state: EmulatorState, caller: Principal, kind: str, name: str) -> bool:
    if caller.admin or can_manage(state, caller, kind, name):
        return True
    return any(state.grants.has(caller, kind, name, p) for p in APPLICABLE[kind] | {"BROWSE"}
               if p != "MANAGE")


def _readable(state: EmulatorState, caller: Principal, raw_type: str, full_name: str) -> tuple[str, str]:
    """(securable type, resolved name) of a securable whose grants the caller may read (403 if not)."""
    kind = securable_type(raw_type)
    name = resolve(state, kind, full_name)
    if not _can_read(state, caller, kind, name):
        raise permission_denied(f"User does not have any privilege on {_label(kind, name)}.")
    return kind, name


def _assignments(doc: dict[str, Any], principal: str | None) -> list[dict[str, Any]]:
    out = []
    for who, privs in doc.get("privileges", {}).items():
        if principal and who.lower() != principal.lower():
            continue
        if privs:
            out.append({"principal": who, "privileges": sorted(privs)})
    return out


def get_permissions(state: EmulatorState, caller: Principal, raw_type: str, full_name: str,
                    principal: str | None = None) -> dict[str, Any]:
    kind, name = _readable(state, caller, raw_type, full_name)
    return {"privilege_assignments": _assignments(state.grants.get(kind, name), principal)}


def update_permissions(state: EmulatorState, caller: Principal, raw_type: str, full_name: str,
                       changes: Any, omit: bool = False) -> dict[str, Any]:
    """PATCH semantics: each change adds/removes privileges of one principal; all or nothing."""
    kind = securable_type(raw_type)
    name = resolve(state, kind, full_name)
    if changes is None:
        changes = []
    if not isinstance(changes, list):
        raise invalid("Invalid value for field 'changes': expected a list.")
    parsed = []
    for i, ch in enumerate(changes):
        if not isinstance(ch, dict):
            raise invalid(f"Invalid value for field 'changes[{i}]': expected an object.")
        who = ch.get("principal")
        if not isinstance(who, str) or not who.strip():
            raise invalid(f"Missing required field: changes[{i}].principal")
        unknown = set(ch) - {"principal", "add", "remove", "principal_id"}
        if unknown:
            raise invalid(f"Unknown field: changes[{i}].{sorted(unknown)[0]}")
        lists = {}
        for op in ("add", "remove"):
            vals = ch.get(op) or []
            if not isinstance(vals, list):
                raise invalid(f"Invalid value for field 'changes[{i}].{op}': expected a list.")
            lists[op] = [normalize_privilege(v, kind, name, f"changes[{i}].{op}") for v in vals]
        if not principal_exists(state, who):
            raise invalid(f"Could not find principal with name '{who}' (changes[{i}].principal).")
        parsed.append((who.strip(), lists["add"], lists["remove"]))
    if not can_manage(state, caller, kind, name):
        raise permission_denied(f"User does not have MANAGE on {_label(kind, name)} and is not "
                                "its owner; only owners, MANAGE holders and admins can grant.")
    with state.store.transaction():
        for who, add, remove in parsed:
            state.grants.update(kind, name, who, add=add, remove=remove)
        doc = state.grants.get(kind, name)
    return {} if omit else {"privilege_assignments": _assignments(doc, None)}


def _parents(kind: str, name: str) -> list[tuple[str, str]]:
    parts = name.split(".")
    if kind in ("function", "table") and len(parts) == 3:
        return [("catalog", parts[0]), ("schema", ".".join(parts[:2]))]
    if kind == "schema" and len(parts) == 2:
        return [("catalog", parts[0])]
    return []


def get_effective(state: EmulatorState, caller: Principal, raw_type: str, full_name: str,
                  principal: str | None = None) -> dict[str, Any]:
    """Direct privileges plus those inherited from the catalog and schema that apply to this type."""
    kind, name = _readable(state, caller, raw_type, full_name)
    applicable = APPLICABLE[kind]
    by_principal: dict[str, list[dict[str, Any]]] = {}
    spelling: dict[str, str] = {}
    for src_kind, src_name in [*_parents(kind, name), (kind, name)]:
        inherited = (src_kind, src_name) != (kind, name)
        for who, privs in state.grants.get(src_kind, src_name).get("privileges", {}).items():
            if principal and who.lower() != principal.lower():
                continue
            key = who.lower()
            spelling.setdefault(key, who)
            for p in sorted(privs):
                if p not in applicable:
                    continue
                entry: dict[str, Any] = {"privilege": p}
                if inherited:
                    entry["inherited_from_type"] = src_kind.upper()
                    entry["inherited_from_name"] = src_name
                by_principal.setdefault(key, []).append(entry)
    return {"privilege_assignments": [{"principal": spelling[k], "privileges": v}
                                      for k, v in by_principal.items()]}
