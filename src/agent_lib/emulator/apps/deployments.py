"""App deployments: recording one, its source snapshot, its outcome, and reading them back.

A deployment snapshots the source folder when it is created (so later edits of the folder do not
change what runs, and a restart relaunches the same code), then `runner` starts its process in the
background and reports back through `finish_deployment`. States follow the SDK's enum: `status.state`
IN_PROGRESS/SUCCEEDED/FAILED. A deployment left IN_PROGRESS by a restart of the workspace is
failed when next read, rather than hanging every `deploy_and_wait`.
"""

from __future__ import annotations

import base64
import uuid
from typing import Any

from ..core.errors import ApiError, invalid, not_found
from ..core.identity import Principal
from ..core.state import EmulatorState
from ..workspace_files.models import read_tree
from ..workspace_files.paths import can_access, normalize
from . import runner
from .records import (
    APPS,
    DEPLOYMENTS,
    SNAPSHOTS,
    app_status,
    finish_deployment,
    load,
    load_deployment,
    now,
    public,
    require,
)
from .validation import DEPLOYMENT_FIELDS, check_fields


def render_deployment(doc: dict[str, Any]) -> dict[str, Any]:
    """The deployment as `AppDeployment.as_dict()` would show it."""
    return public(doc)


def create_deployment(state: EmulatorState, caller: Principal, name: str, body: dict[str, Any], *,
                      run: bool = True) -> dict[str, Any]:
    """`POST /apps/{name}/deployments`: snapshot the source now, start the process in background.

    With `run=False` (the demo seed) the deployment is recorded as SUCCEEDED and the process starts
    lazily on the App's first proxied request.
    """
    if not isinstance(body, dict):
        raise invalid("Malformed request: expected a JSON object.")
    check_fields(body, DEPLOYMENT_FIELDS, set())
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
    path = normalize(source, "source_code_path")
    if not can_access(caller, path):
        raise ApiError(403, "PERMISSION_DENIED", f"User {caller.name} cannot read source code path {source}.")
    tree = read_tree(state, path)
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
    created = now()
    sp_home = f"/Workspace/Users/{doc['service_principal_client_id']}/src/{dep_id}"
    dep: dict[str, Any] = {
        "deployment_id": dep_id, "source_code_path": source, "mode": mode,
        "status": {"state": "IN_PROGRESS", "message": "App deployment is in progress."},
        "create_time": created, "update_time": created, "creator": caller.name,
        "deployment_artifacts": {"source_code_path": sp_home},
    }
    for key in ("command", "env_vars", "health_check", "git_source"):
        if body.get(key) is not None:
            dep[key] = body[key]
    if not run:
        dep["status"] = {"state": "SUCCEEDED", "message": "App started successfully."}
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
    dep_id, created = dep["deployment_id"], dep["create_time"]
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
                doc["app_status"] = app_status("DEPLOYING", "App is being deployed.")
        else:
            doc["active_deployment"] = dep
            doc["app_status"] = app_status("RUNNING", "App has status: App is running")
        doc["update_time"] = created
        state.store.put(APPS, name, doc)


def get_deployment(state: EmulatorState, caller: Principal, name: str, dep_id: str,
                   wait_seconds: float = 0.0) -> dict[str, Any]:
    """A deployment; while IN_PROGRESS, wait up to `wait_seconds` for it to finish (long poll)."""
    require(state, caller, name, "CAN_USE")
    dep = load_deployment(state, name, dep_id)
    if dep["status"]["state"] == "IN_PROGRESS":
        if _reap_interrupted(state, name, dep_id):
            return load_deployment(state, name, dep_id)
        if wait_seconds > 0:
            runner.wait_deployment(state, dep_id, wait_seconds)
            dep = load_deployment(state, name, dep_id)
    return dep


def _reap_interrupted(state: EmulatorState, name: str, dep_id: str) -> bool:
    """An IN_PROGRESS deployment nobody is running (the emulator restarted meanwhile) has failed."""
    if runner.in_flight(state, dep_id):
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


def drop_all(state: EmulatorState, name: str) -> None:
    """Forget every deployment and snapshot of an App (inside the caller's transaction)."""
    for key in state.store.keys(DEPLOYMENTS, f"{name}/"):
        state.store.delete(DEPLOYMENTS, key)
    for key in state.store.keys(SNAPSHOTS, f"{name}/"):
        state.store.delete(SNAPSHOTS, key)
