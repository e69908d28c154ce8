"""An App's declared resources: the values app.yaml's `valueFrom` injects, and the grants they imply.

Declared resources grant the App's service principal what they name, as Databricks does:
workspace ACLs keyed `service_principal:<application id>`, UC privileges to the application id.
Both the injected value and the ACL target come from one table (`_TARGET_FIELD`), so what an App
is told about a resource and what it is allowed on it cannot drift apart.
"""

from __future__ import annotations

import base64
from typing import Any

from ..core.state import EmulatorState
from ..serving.models import endpoint_id
from .records import sp_key
from .validation import RESOURCE_TYPES

# resource type -> the field of its block naming what it points at (the value `valueFrom` injects)
_TARGET_FIELD = {
    "serving_endpoint": "name", "genie_space": "space_id", "experiment": "experiment_id",
    "sql_warehouse": "id", "job": "id", "uc_securable": "securable_full_name", "app": "name",
    "database": "instance_name", "postgres": "database",
}
# resource type -> the workspace-ACL object type its permission is granted on
_ACL_TYPES = {
    "serving_endpoint": "serving-endpoints", "genie_space": "genie", "experiment": "experiments",
    "sql_warehouse": "warehouses", "job": "jobs", "app": "apps",
}


def _kind(resource: dict[str, Any]) -> str | None:
    """The resource's one typed block (validation guarantees exactly one)."""
    return next((k for k in RESOURCE_TYPES if k in resource), None)


def resource_value(state: EmulatorState, resource: dict[str, Any]) -> str | None:
    """What `valueFrom: <resource name>` injects: endpoint name, space id, experiment id, ..."""
    kind = _kind(resource)
    if kind == "secret":
        return _secret_value(state, resource["secret"])
    if kind in _TARGET_FIELD:
        return resource[kind].get(_TARGET_FIELD[kind])
    return None


def _secret_value(state: EmulatorState, block: dict[str, Any]) -> str | None:
    stored = state.store.get("secret", f"{block['scope']}/{block['key']}")
    if stored is None:
        return None
    value = stored.get("string_value") or stored.get("value")
    if value is None and stored.get("bytes_value"):
        value = base64.b64decode(stored["bytes_value"]).decode("utf-8", "replace")
    return value


def serving_endpoint_acl_id(state: EmulatorState, name: str) -> str:
    """Serving-endpoint ACLs are keyed by the endpoint's id (a stable hash of its name)."""
    return endpoint_id(name)


def desired_grants(state: EmulatorState, doc: dict[str, Any]) -> list[list[str]]:
    """[["acl", object type, object id, level] | ["uc", securable type, full name, privilege]]."""
    out: list[list[str]] = []
    for res in doc.get("resources") or []:
        kind = _kind(res)
        if kind in _ACL_TYPES:
            block = res[kind]
            target = block[_TARGET_FIELD[kind]]
            if kind == "serving_endpoint":
                target = serving_endpoint_acl_id(state, target)
            out.append(["acl", _ACL_TYPES[kind], target, block.get("permission") or "CAN_USE"])
        elif kind == "uc_securable":
            b = res["uc_securable"]
            securable, full = b["securable_type"].lower(), b["securable_full_name"]
            if securable == "model_service":
                continue
            out.append(["uc", securable, full, b["permission"]])
            parts = full.split(".")
            if securable in ("function", "table", "volume") and len(parts) == 3:
                out.append(["uc", "catalog", parts[0], "USE_CATALOG"])
                out.append(["uc", "schema", ".".join(parts[:2]), "USE_SCHEMA"])
    unique: list[list[str]] = []
    for g in out:
        if g not in unique:
            unique.append(g)
    return unique


def sync_grants(state: EmulatorState, doc: dict[str, Any]) -> None:
    """Grant what the resources name, revoke what earlier resources granted and no longer do."""
    want = desired_grants(state, doc)
    had = [g for g in doc.get("_granted", [])]
    key, app_id = sp_key(doc), doc["service_principal_client_id"]
    for g in want:
        if g in had:
            continue
        if g[0] == "acl":
            state.acls.grant(g[1], g[2], key, g[3])
        else:
            state.grants.update(g[1], g[2], app_id, add=[g[3]])
    for g in had:
        if g in want:
            continue
        if g[0] == "acl":
            acl = state.acls.get(g[1], g[2])
            levels = [lvl for lvl in acl["entries"].get(key, []) if lvl != g[3]]
            if levels:
                acl["entries"][key] = levels
            else:
                acl["entries"].pop(key, None)
            state.acls.put(g[1], g[2], acl)
        else:
            state.grants.update(g[1], g[2], app_id, remove=[g[3]])
    doc["_granted"] = want
