"""Apps and their deployments as documents, and the rules around them (no HTTP, no processes here).

Kinds in the store:

* `app`             key: name. The App as the API shows it, plus private fields (`_sp_principal_id`,
                    `_granted`, `_proxy_port`) that `render` strips.
* `app_deployment`  key: `<app>/<deployment_id>`. An `AppDeployment`.
* `app_snapshot`    key: `<app>/<deployment_id>`. The source files at deploy time (SNAPSHOT mode),
                    base64, so a restart can relaunch the same code.
* `app_update`      key: name. The last `AppUpdate` (`POST /apps/{name}/update`).

States follow the SDK's enums: `compute_status.state` ACTIVE/STOPPED, `app_status.state`
UNAVAILABLE/DEPLOYING/RUNNING/CRASHED, deployment `status.state` IN_PROGRESS/SUCCEEDED/FAILED.
Compute starts instantly here, so `create_and_wait` / `start_and_wait` / `stop_and_wait` return
after one poll; a deployment finishes as soon as its process answers.

Declared resources grant the App's service principal what they name, as Databricks does:
workspace ACLs keyed `service_principal:<application id>`, UC privileges to the application id.
"""

from __future__ import annotations

import base64
import re
import uuid
from datetime import datetime, timezone
from typing import Any

from ..core.access import principal_key
from ..core.errors import ApiError, invalid, not_found
from ..core.identity import Principal
from ..core.state import EmulatorState

APPS = "app"
DEPLOYMENTS = "app_deployment"
SNAPSHOTS = "app_snapshot"
UPDATES = "app_update"

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


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _public(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if not k.startswith("_") and v is not None}


# -- validation -----------------------------------------------------------------------------------
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


def _validate_scopes(scopes: Any) -> list[str]:
    if scopes is None:
        return []
    if not isinstance(scopes, list) or not all(isinstance(s, str) and s.strip() for s in scopes):
        raise invalid("Invalid value for field 'user_api_scopes': expected a list of scope names.")
    return list(dict.fromkeys(s.strip() for s in scopes))


def _check_fields(body: dict[str, Any], allowed: set[str], ignored: set[str]) -> None:
    for key in body:
        if key not in allowed and key not in ignored:
            raise invalid(f"Unknown field: {key}")


def _apply_inputs(doc: dict[str, Any], body: dict[str, Any], fields: set[str] | None = None) -> None:
    """Copy input fields from `body` (only `fields` when given: absent ones are then cleared)."""
    keys = (fields if fields is not None else set(body)) & (INPUT_FIELDS - {"name"})
    for key in keys:
        value = body.get(key)
        if key == "resources":
            value = validate_resources(value) or None
        elif key == "user_api_scopes":
            value = _validate_scopes(value) or None
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


# -- lookup and access ----------------------------------------------------------------------------
def load(state: EmulatorState, name: str) -> dict[str, Any]:
    doc = state.store.get(APPS, name)
    if doc is None:
        raise not_found(f"App with name {name} does not exist or is deleted.")
    return doc


def require(state: EmulatorState, caller: Principal, name: str, level: str = "CAN_USE") -> dict[str, Any]:
    """The App, if it exists (404) and the caller holds `level` on it (403)."""
    doc = load(state, name)
    state.acls.require(caller, "apps", name, level, label=name)
    return doc


def exists(state: EmulatorState, name: str) -> bool:
    return state.store.get(APPS, name) is not None


def sp_key(doc: dict[str, Any]) -> str:
    return principal_key("service_principal", doc["service_principal_client_id"])


# -- rendering ------------------------------------------------------------------------------------
def render(state: EmulatorState, doc: dict[str, Any], *, with_url: bool = True) -> dict[str, Any]:
    """The App as `App.as_dict()` would show it: live process state and the proxy URL included."""
    out = _public(doc)
    if with_url:
        from .proxy import ensure_listener

        try:
            out["url"] = ensure_listener(state, doc["name"])
        except OSError:  # no port to bind: leave the URL out rather than fail the read
            pass
    from .runner import live_status

    status = live_status(state, doc)
    if status is not None:
        out["app_status"] = status
    return out


def render_deployment(doc: dict[str, Any]) -> dict[str, Any]:
    return _public(doc)


# -- apps -----------------------------------------------------------------------------------------
def create_app(state: EmulatorState, caller: Principal, body: dict[str, Any], *,
               no_compute: bool = False) -> dict[str, Any]:
    """`POST /api/2.0/apps`: the App, its own service principal, the creator as owner."""
    if not isinstance(body, dict):
        raise invalid("Malformed request: expected a JSON object.")
    _check_fields(body, INPUT_FIELDS, OUTPUT_FIELDS)
    name = validate_name(body.get("name"))
    now = _now()
    doc: dict[str, Any] = {"name": name, "id": str(uuid.uuid4()), "compute_size": "MEDIUM"}
    _apply_inputs(doc, body)
    with state.store.transaction():
        if exists(state, name):
            raise ApiError(409, "RESOURCE_ALREADY_EXISTS",
                           f"An app with the same name ({name}) already exists.")
        sp = state.identities.add_service_principal(f"app-{name}")
        doc.update({
            "service_principal_client_id": sp["name"],
            "service_principal_id": int(sp["id"]),
            "service_principal_name": sp["display_name"],
            "oauth2_app_client_id": str(uuid.uuid4()),
            "oauth2_app_integration_id": str(uuid.uuid4()),
            "creator": caller.name, "updater": caller.name,
            "create_time": now, "update_time": now,
            "compute_status": _compute("STOPPED" if no_compute else "ACTIVE"),
            "app_status": _status("UNAVAILABLE", "App has not been deployed yet. Run your app by "
                                                 "deploying code to it."),
            "_sp_principal_id": sp["id"], "_granted": [],
        })
        state.acls.create("apps", name, caller)
        _sync_grants(state, doc)
        state.store.put(APPS, name, doc)
    return doc


def list_apps(state: EmulatorState, caller: Principal) -> list[dict[str, Any]]:
    return [d for d in state.store.list(APPS) if state.acls.allows(caller, "apps", d["name"], "CAN_USE")]


def update_app(state: EmulatorState, caller: Principal, name: str, body: dict[str, Any]) -> dict[str, Any]:
    """`PATCH /api/2.0/apps/{name}`: the fields present replace the App's; the name cannot change."""
    if not isinstance(body, dict):
        raise invalid("Malformed request: expected a JSON object.")
    _check_fields(body, INPUT_FIELDS, OUTPUT_FIELDS)
    with state.store.transaction():
        doc = require(state, caller, name, "CAN_MANAGE")
        if body.get("name") not in (None, name):
            raise invalid(f"Invalid value for field 'name': an App cannot be renamed ({name!r} -> "
                          f"{body['name']!r}); create a new App instead.")
        _apply_inputs(doc, body)
        doc.update({"updater": caller.name, "update_time": _now()})
        _sync_grants(state, doc)
        state.store.put(APPS, name, doc)
    return doc


def create_update(state: EmulatorState, caller: Principal, name: str, app: dict[str, Any] | None,
                  update_mask: str | None) -> dict[str, Any]:
    """`POST /api/2.0/apps/{name}/update`: fields named in `update_mask` (or `*`) are replaced."""
    if not update_mask:
        raise invalid("Missing required field: update_mask")
    app = app or {}
    if not isinstance(app, dict):
        raise invalid("Invalid value for field 'app': expected an object.")
    _check_fields(app, INPUT_FIELDS, OUTPUT_FIELDS)
    fields = {f.strip() for f in update_mask.split(",") if f.strip()}
    if "*" in fields:
        fields = INPUT_FIELDS - {"name"}
    unknown = fields - INPUT_FIELDS
    if unknown:
        raise invalid(f"Invalid value for field 'update_mask': unknown field {sorted(unknown)[0]!r}.")
    with state.store.transaction():
        doc = require(state, caller, name, "CAN_MANAGE")
        _apply_inputs(doc, app, fields)
        doc.update({"updater": caller.name, "update_time": _now()})
        _sync_grants(state, doc)
        state.store.put(APPS, name, doc)
        update = {k: doc[k] for k in ("description", "resources", "user_api_scopes", "budget_policy_id",
                                      "usage_policy_id", "compute_size") if k in doc}
        update["status"] = {"state": "SUCCEEDED", "message": "App update succeeded."}
        state.store.put(UPDATES, name, update)
    return update


def get_update(state: EmulatorState, caller: Principal, name: str) -> dict[str, Any]:
    require(state, caller, name, "CAN_USE")
    return state.store.get(UPDATES, name) or {"status": {"state": "NOT_UPDATED",
                                                         "message": "App has not been updated."}}


def delete_app(state: EmulatorState, caller: Principal, name: str) -> dict[str, Any]:
    """`DELETE /api/2.0/apps/{name}`: processes, proxy, grants, deployments and the SP go too."""
    from . import proxy, runner

    doc = require(state, caller, name, "CAN_MANAGE")
    runner.stop(state, name)
    proxy.stop_listener(state, name)
    with state.store.transaction():
        doc["resources"] = []
        _sync_grants(state, doc)
        for key in state.store.keys(DEPLOYMENTS, f"{name}/"):
            state.store.delete(DEPLOYMENTS, key)
        for key in state.store.keys(SNAPSHOTS, f"{name}/"):
            state.store.delete(SNAPSHOTS, key)
        state.store.delete(UPDATES, name)
        state.store.delete(APPS, name)
        state.acls.drop("apps", name)
        _revoke_secrets(state, doc["_sp_principal_id"])
        state.store.delete("principal", doc["_sp_principal_id"])
    doc.pop("resources", None)
    doc["compute_status"] = _compute("DELETING")
    return doc


def app_credentials(state: EmulatorState, doc: dict[str, Any]) -> tuple[str, str]:
    """(client id, client secret) for the App's service principal: a new secret per launch."""
    try:
        from ..oauth.models import issue_app_credentials
    except ImportError:
        return doc["service_principal_client_id"], state.identities.set_client_secret(doc["_sp_principal_id"])
    return issue_app_credentials(state, doc["_sp_principal_id"])


def _revoke_secrets(state: EmulatorState, principal_id: str) -> None:
    try:
        from ..oauth.models import revoke_client_secrets
    except ImportError:
        return
    revoke_client_secrets(state, principal_id)


def _compute(state_: str) -> dict[str, Any]:
    messages = {"ACTIVE": "App compute is active.", "STOPPED": "App compute is stopped.",
                "STARTING": "App compute is starting.", "DELETING": "App compute is being deleted."}
    return {"state": state_, "message": messages.get(state_, "")}


def _status(state_: str, message: str) -> dict[str, Any]:
    return {"state": state_, "message": message}


def set_app_status(state: EmulatorState, name: str, state_: str, message: str) -> None:
    with state.store.transaction():
        doc = state.store.get(APPS, name)
        if doc is not None:
            doc["app_status"] = _status(state_, message)
            state.store.put(APPS, name, doc)


def start_app(state: EmulatorState, caller: Principal, name: str) -> dict[str, Any]:
    """`POST /apps/{name}/start`: compute ACTIVE at once; the active deployment relaunches."""
    from . import runner

    with state.store.transaction():
        doc = require(state, caller, name, "CAN_MANAGE")
        doc["compute_status"] = _compute("ACTIVE")
        if doc.get("active_deployment"):
            doc["app_status"] = _status("DEPLOYING", "App is starting.")
        doc.update({"update_time": _now()})
        state.store.put(APPS, name, doc)
    if doc.get("active_deployment"):
        runner.start_in_background(state, name)
    return doc


def stop_app(state: EmulatorState, caller: Principal, name: str) -> dict[str, Any]:
    """`POST /apps/{name}/stop`: the process group is terminated before this returns."""
    from . import runner

    require(state, caller, name, "CAN_MANAGE")
    runner.stop(state, name)
    with state.store.transaction():
        doc = load(state, name)
        doc["compute_status"] = _compute("STOPPED")
        doc["app_status"] = _status("UNAVAILABLE", "App is not running. Start the app compute to run it.")
        doc.update({"update_time": _now()})
        state.store.put(APPS, name, doc)
    return doc


# -- deployments ----------------------------------------------------------------------------------
def create_deployment(state: EmulatorState, caller: Principal, name: str, body: dict[str, Any], *,
                      run: bool = True) -> dict[str, Any]:
    """`POST /apps/{name}/deployments`: snapshot the source now, start the process in background.

    With `run=False` (the demo seed) the deployment is recorded as SUCCEEDED and the process starts
    lazily on the App's first proxied request.
    """
    from ..workspace_files import models as files

    if not isinstance(body, dict):
        raise invalid("Malformed request: expected a JSON object.")
    _check_fields(body, DEPLOYMENT_FIELDS, set())
    doc = require(state, caller, name, "CAN_MANAGE")
    if doc["compute_status"]["state"] != "ACTIVE":
        raise invalid(f"Cannot deploy app {name} as its compute is {doc['compute_status']['state']}. "
                      "Start the app first.")
    pending = doc.get("pending_deployment")
    if pending:
        _reap_interrupted(state, name, pending["deployment_id"])
    source = body.get("source_code_path") or doc.get("default_source_code_path")
    if body.get("git_source") and not source:
        raise invalid("Invalid value for field 'git_source': Git deployments are not supported by the "
                      "emulated workspace; upload the source and pass source_code_path.")
    if not source:
        raise invalid("Missing required field: source_code_path")
    path = files.normalize(source, "source_code_path")
    if not files.can_access(caller, path):
        raise ApiError(403, "PERMISSION_DENIED", f"User {caller.name} cannot read source code path {source}.")
    tree = files.read_tree(state, path)
    if tree is None:
        raise not_found(f"Source code path {source} does not exist or is not a directory.")
    mode = body.get("mode") or "SNAPSHOT"
    if mode not in ("SNAPSHOT", "AUTO_SYNC"):
        raise invalid(f"Invalid value for field 'mode': {mode!r} (one of SNAPSHOT, AUTO_SYNC).")
    for i, env in enumerate(body.get("env_vars") or []):
        if not isinstance(env, dict) or not env.get("name"):
            raise invalid(f"Missing required field: env_vars[{i}].name")
    command = body.get("command")
    if command is not None and (not isinstance(command, list)
                                or not all(isinstance(c, str) for c in command)):
        raise invalid("Invalid value for field 'command': expected a list of strings.")
    dep_id = uuid.uuid4().hex
    now = _now()
    sp_home = f"/Workspace/Users/{doc['service_principal_client_id']}/src/{dep_id}"
    dep: dict[str, Any] = {
        "deployment_id": dep_id, "source_code_path": source, "mode": mode,
        "status": {"state": "IN_PROGRESS", "message": "App deployment is in progress."},
        "create_time": now, "update_time": now, "creator": caller.name,
        "deployment_artifacts": {"source_code_path": sp_home},
    }
    for key in ("command", "env_vars", "health_check", "git_source"):
        if body.get(key) is not None:
            dep[key] = body[key]
    if not run:
        dep["status"] = {"state": "SUCCEEDED", "message": "App started successfully."}
    from . import runner

    if run:  # in flight from now on, so no reader mistakes it for one a restart interrupted
        runner.expect(state, dep_id)
    try:
        _record_deployment(state, name, dep, tree, source, run)
    except BaseException:
        runner.forget(state, dep_id)
        raise
    if run:
        runner.deploy_in_background(state, name, dep_id)
    return dep


def _record_deployment(state: EmulatorState, name: str, dep: dict[str, Any], tree: dict[str, bytes],
                       source: str, run: bool) -> None:
    dep_id, now = dep["deployment_id"], dep["create_time"]
    with state.store.transaction():
        doc = load(state, name)
        if doc.get("pending_deployment"):
            raise ApiError(409, "RESOURCE_CONFLICT",
                           f"Cannot deploy app {name}: deployment "
                           f"{doc['pending_deployment']['deployment_id']} is still in progress.")
        state.store.put(SNAPSHOTS, f"{name}/{dep_id}",
                        {"files": {k: base64.b64encode(v).decode() for k, v in tree.items()}})
        state.store.put(DEPLOYMENTS, f"{name}/{dep_id}", dep)
        doc["default_source_code_path"] = source
        if run:
            doc["pending_deployment"] = dep
            if not doc.get("active_deployment"):
                doc["app_status"] = _status("DEPLOYING", "App is being deployed.")
        else:
            doc["active_deployment"] = dep
            doc["app_status"] = _status("RUNNING", "App has status: App is running")
        doc["update_time"] = now
        state.store.put(APPS, name, doc)


def finish_deployment(state: EmulatorState, name: str, dep_id: str, *, ok: bool, message: str,
                      previous_alive: bool = False) -> bool:
    """Record a deployment's outcome on it and on its App; False if the App is gone meanwhile."""
    with state.store.transaction():
        doc = state.store.get(APPS, name)
        dep = state.store.get(DEPLOYMENTS, f"{name}/{dep_id}")
        if doc is None or dep is None:
            return False
        dep["status"] = {"state": "SUCCEEDED" if ok else "FAILED", "message": message}
        dep["update_time"] = _now()
        state.store.put(DEPLOYMENTS, f"{name}/{dep_id}", dep)
        doc.pop("pending_deployment", None)
        if ok:
            doc["active_deployment"] = dep
            doc["app_status"] = _status("RUNNING", "App has status: App is running")
        elif not previous_alive:
            doc["app_status"] = _status("CRASHED" if doc.get("active_deployment") else "UNAVAILABLE",
                                        f"App deployment {dep_id} failed. See the deployment's status "
                                        "message for the last lines of the App's log.")
        doc["update_time"] = _now()
        state.store.put(APPS, name, doc)
        return True


def load_deployment(state: EmulatorState, name: str, dep_id: str) -> dict[str, Any]:
    dep = state.store.get(DEPLOYMENTS, f"{name}/{dep_id}")
    if dep is None:
        raise not_found(f"App deployment with id {dep_id} does not exist for app {name}.")
    return dep


def get_deployment(state: EmulatorState, caller: Principal, name: str, dep_id: str,
                   wait_seconds: float = 0.0) -> dict[str, Any]:
    """A deployment; while IN_PROGRESS, wait up to `wait_seconds` for it to finish (long poll)."""
    require(state, caller, name, "CAN_USE")
    dep = load_deployment(state, name, dep_id)
    if dep["status"]["state"] == "IN_PROGRESS":
        from .runner import wait_deployment

        if _reap_interrupted(state, name, dep_id):
            return load_deployment(state, name, dep_id)
        if wait_seconds > 0:
            wait_deployment(state, dep_id, wait_seconds)
            dep = load_deployment(state, name, dep_id)
    return dep


def _reap_interrupted(state: EmulatorState, name: str, dep_id: str) -> bool:
    """An IN_PROGRESS deployment nobody is running (the emulator restarted meanwhile) has failed."""
    from .runner import in_flight

    if in_flight(state, dep_id):
        return False
    dep = state.store.get(DEPLOYMENTS, f"{name}/{dep_id}")
    if dep is None or dep["status"]["state"] != "IN_PROGRESS":
        return False
    return finish_deployment(state, name, dep_id, ok=False,
                             message="App deployment was interrupted by a restart of the workspace; "
                                     "deploy again.")


def list_deployments(state: EmulatorState, caller: Principal, name: str) -> list[dict[str, Any]]:
    require(state, caller, name, "CAN_USE")
    return list(reversed(state.store.list(DEPLOYMENTS, f"{name}/")))


def snapshot(state: EmulatorState, name: str, dep_id: str) -> dict[str, bytes]:
    raw = state.store.get(SNAPSHOTS, f"{name}/{dep_id}") or {"files": {}}
    return {k: base64.b64decode(v) for k, v in raw["files"].items()}


# -- resources: values for app.yaml and grants to the App's service principal ------------------------
def resource_value(state: EmulatorState, resource: dict[str, Any]) -> str | None:
    """What `valueFrom: <resource name>` injects: endpoint name, space id, experiment id, ..."""
    if "serving_endpoint" in resource:
        return resource["serving_endpoint"]["name"]
    if "genie_space" in resource:
        return resource["genie_space"]["space_id"]
    if "experiment" in resource:
        return resource["experiment"]["experiment_id"]
    if "sql_warehouse" in resource:
        return resource["sql_warehouse"]["id"]
    if "job" in resource:
        return resource["job"]["id"]
    if "uc_securable" in resource:
        return resource["uc_securable"]["securable_full_name"]
    if "app" in resource:
        return resource["app"].get("name")
    if "database" in resource:
        return resource["database"]["instance_name"]
    if "postgres" in resource:
        return resource["postgres"].get("database")
    if "secret" in resource:
        s = resource["secret"]
        stored = state.store.get("secret", f"{s['scope']}/{s['key']}")
        if stored is not None:
            value = stored.get("string_value") or stored.get("value")
            if value is None and stored.get("bytes_value"):
                value = base64.b64decode(stored["bytes_value"]).decode("utf-8", "replace")
            return value
        return None
    return None


def serving_endpoint_acl_id(state: EmulatorState, name: str) -> str:
    """Serving-endpoint ACLs are keyed by the endpoint's id (a stable hash of its name)."""
    try:
        from ..serving.models import endpoint_id
    except ImportError:  # the serving service is not built: key by name
        return name
    return endpoint_id(name)


def _desired_grants(state: EmulatorState, doc: dict[str, Any]) -> list[list[str]]:
    """[["acl", object type, object id, level] | ["uc", securable type, full name, privilege]]."""
    out: list[list[str]] = []
    for res in doc.get("resources") or []:
        if "serving_endpoint" in res:
            b = res["serving_endpoint"]
            endpoint = serving_endpoint_acl_id(state, b["name"])
            out.append(["acl", "serving-endpoints", endpoint, b["permission"]])
        elif "genie_space" in res:
            b = res["genie_space"]
            out.append(["acl", "genie", b["space_id"], b["permission"]])
        elif "experiment" in res:
            b = res["experiment"]
            out.append(["acl", "experiments", b["experiment_id"], b["permission"]])
        elif "sql_warehouse" in res:
            b = res["sql_warehouse"]
            out.append(["acl", "warehouses", b["id"], b["permission"]])
        elif "job" in res:
            b = res["job"]
            out.append(["acl", "jobs", b["id"], b["permission"]])
        elif "app" in res:
            out.append(["acl", "apps", res["app"]["name"], res["app"].get("permission") or "CAN_USE"])
        elif "uc_securable" in res:
            b = res["uc_securable"]
            kind, full = b["securable_type"].lower(), b["securable_full_name"]
            if kind == "model_service":
                continue
            out.append(["uc", kind, full, b["permission"]])
            parts = full.split(".")
            if kind in ("function", "table", "volume") and len(parts) == 3:
                out.append(["uc", "catalog", parts[0], "USE_CATALOG"])
                out.append(["uc", "schema", ".".join(parts[:2]), "USE_SCHEMA"])
    unique: list[list[str]] = []
    for g in out:
        if g not in unique:
            unique.append(g)
    return unique


def _sync_grants(state: EmulatorState, doc: dict[str, Any]) -> None:
    """Grant what the resources name, revoke what earlier resources granted and no longer do."""
    want = _desired_grants(state, doc)
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



def _register_permissions() -> None:
    """Let `/api/2.0/permissions/apps/{name}` serve Apps."""
    try:
        from ..permissions.models import register_object_type
    except ImportError:  # the permissions service is not built
        return
    register_object_type("apps", exists)


_register_permissions()
