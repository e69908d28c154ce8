"""What a client may send for an App: the field sets, names, resources and user API scopes.

Create, update and `POST /apps/{name}/update` all copy input fields through `apply_inputs`, so the
three accept and reject exactly the same things, with a 400 that names the field.
"""

from __future__ import annotations

import re
from typing import Any

from ..core.errors import invalid

NAME_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,28}[a-z0-9]$")
COMPUTE_SIZES = ("MEDIUM", "LARGE", "XLARGE")
DEFAULT_USER_SCOPES = ("iam.access-control:read", "iam.current-user:read")

# Input fields of an App (create / update); output-only fields sent back by a client are ignored.
INPUT_FIELDS = {
    "name", "description", "resources", "user_api_scopes", "budget_policy_id", "usage_policy_id",
    "compute_size", "compute_min_instances", "compute_max_instances", "git_repository",
    "forward_user_access_token", "telemetry_export_destinations", "space", "source_code_path",
    "default_git_source",
}
OUTPUT_FIELDS = {
    "active_deployment", "app_status", "compute_status", "create_time", "creator",
    "default_source_code_path", "effective_budget_policy_id", "effective_usage_policy_id",
    "effective_user_api_scopes", "id", "pending_deployment", "service_principal_client_id",
    "service_principal_id", "service_principal_name", "thumbnail_url", "update_time", "updater", "url",
    "oauth2_app_client_id", "oauth2_app_integration_id", "git_source",
}
DEPLOYMENT_FIELDS = {"source_code_path", "mode", "command", "env_vars", "git_source", "health_check",
                     "deployment_id", "status", "create_time", "creator", "update_time",
                     "deployment_artifacts"}

# resource type -> (required fields, permission enum)
RESOURCE_TYPES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "serving_endpoint": (("name", "permission"), ("CAN_QUERY", "CAN_MANAGE", "CAN_VIEW")),
    "genie_space": (("name", "space_id", "permission"), ("CAN_RUN", "CAN_VIEW", "CAN_EDIT", "CAN_MANAGE")),
    "experiment": (("experiment_id", "permission"), ("CAN_READ", "CAN_EDIT", "CAN_MANAGE")),
    "sql_warehouse": (("id", "permission"), ("CAN_USE", "CAN_MANAGE", "IS_OWNER")),
    "secret": (("scope", "key", "permission"), ("READ", "WRITE", "MANAGE")),
    "uc_securable": (("securable_full_name", "securable_type", "permission"),
                     ("SELECT", "EXECUTE", "READ_VOLUME", "WRITE_VOLUME", "USE_CONNECTION", "MODIFY")),
    "database": (("instance_name", "database_name", "permission"), ("CAN_CONNECT_AND_CREATE",)),
    "postgres": ((), ("CAN_CONNECT_AND_CREATE",)),
    "job": (("id", "permission"), ("CAN_MANAGE", "CAN_MANAGE_RUN", "CAN_VIEW", "IS_OWNER")),
    "app": ((), ("CAN_USE",)),
}
UC_TYPES = ("CONNECTION", "FUNCTION", "MODEL_SERVICE", "TABLE", "VOLUME")


def validate_name(name: Any) -> str:
    if not isinstance(name, str) or not name:
        raise invalid("Missing required field: name")
    if not NAME_RE.match(name):
        raise invalid(f"Invalid value for field 'name': {name!r}. App names must contain only lowercase "
                      "letters, numbers and hyphens, start and end with a letter or number, and be "
                      "2-30 characters long.")
    return name


def validate_resources(resources: Any) -> list[dict[str, Any]]:
    """Each resource: a `name` (the key app.yaml's `valueFrom` uses) and exactly one typed block."""
    if resources is None:
        return []
    if not isinstance(resources, list):
        raise invalid("Invalid value for field 'resources': expected a list.")
    out, seen = [], set()
    for i, res in enumerate(resources):
        where = f"resources[{i}]"
        if not isinstance(res, dict):
            raise invalid(f"Invalid value for field '{where}': expected an object.")
        name = res.get("name")
        if not isinstance(name, str) or not name:
            raise invalid(f"Missing required field: {where}.name")
        if name in seen:
            raise invalid(f"Invalid value for field '{where}.name': duplicate resource name {name!r}.")
        seen.add(name)
        unknown = set(res) - set(RESOURCE_TYPES) - {"name", "description"}
        if unknown:
            raise invalid(f"Unknown field: {where}.{sorted(unknown)[0]}")
        kinds = [k for k in RESOURCE_TYPES if k in res]
        if len(kinds) != 1:
            raise invalid(f"Invalid value for field '{where}': exactly one of {', '.join(RESOURCE_TYPES)} "
                          f"must be set (got {', '.join(kinds) or 'none'}).")
        kind = kinds[0]
        block = res[kind]
        if not isinstance(block, dict):
            raise invalid(f"Invalid value for field '{where}.{kind}': expected an object.")
        required, permissions = RESOURCE_TYPES[kind]
        for f in required:
            if block.get(f) in (None, ""):
                raise invalid(f"Missing required field: {where}.{kind}.{f}")
        perm = block.get("permission")
        if perm is not None and perm not in permissions:
            raise invalid(f"Invalid value for field '{where}.{kind}.permission': {perm!r} "
                          f"(one of {', '.join(permissions)}).")
        if kind == "uc_securable" and block["securable_type"] not in UC_TYPES:
            raise invalid(f"Invalid value for field '{where}.uc_securable.securable_type': "
                          f"{block['securable_type']!r} (one of {', '.join(UC_TYPES)}).")
        if kind == "app" and not block.get("name"):
            raise invalid(f"Missing required field: {where}.app.name")
        out.append(res)
    return out


def validate_scopes(scopes: Any) -> list[str]:
    if scopes is None:
        return []
    if not isinstance(scopes, list) or not all(isinstance(s, str) and s.strip() for s in scopes):
        raise invalid("Invalid value for field 'user_api_scopes': expected a list of scope names.")
    return list(dict.fromkeys(s.strip() for s in scopes))


def check_fields(body: dict[str, Any], allowed: set[str], ignored: set[str]) -> None:
    for key in body:
        if key not in allowed and key not in ignored:
            raise invalid(f"Unknown field: {key}")


def apply_inputs(doc: dict[str, Any], body: dict[str, Any], fields: set[str] | None = None) -> None:
    """Copy input fields from `body` (only `fields` when given: absent ones are then cleared)."""
    keys = (fields if fields is not None else set(body)) & (INPUT_FIELDS - {"name"})
    for key in keys:
        value = body.get(key)
        if key == "resources":
            value = validate_resources(value) or None
        elif key == "user_api_scopes":
            value = validate_scopes(value) or None
        elif key == "compute_size" and value is not None and value not in COMPUTE_SIZES:
            raise invalid(f"Invalid value for field 'compute_size': {value!r} "
                          f"(one of {', '.join(COMPUTE_SIZES)}).")
        elif key == "description" and value is not None and not isinstance(value, str):
            raise invalid("Invalid value for field 'description': expected a string.")
        if value is None:
            doc.pop(key, None)
        else:
            doc[key] = value
    scopes = doc.get("user_api_scopes")
    if scopes:
        doc["effective_user_api_scopes"] = list(dict.fromkeys([*scopes, *DEFAULT_USER_SCOPES]))
    else:
        doc.pop("effective_user_api_scopes", None)
