"""The App's documents in the store: their kinds, lookup, the access check, and status blocks.

Every other apps module reads and writes Apps through these, so the store keys, the 404 wording
and the shape of `compute_status` / `app_status` are decided in one place.

Kinds in the store:

* `app`             key: name. The App as the API shows it, plus private fields (`_sp_principal_id`,
                    `_granted`, `_proxy_port`) that rendering strips.
* `app_deployment`  key: `<app>/<deployment_id>`. An `AppDeployment`.
* `app_snapshot`    key: `<app>/<deployment_id>`. The source files at deploy time (SNAPSHOT mode),
                    base64, so a restart can relaunch the same code.
* `app_update`      key: name. The last `AppUpdate` (`POST /apps/{name}/update`).
"""

from __future__ import annotations

import base64
from datetime import datetime, timezone
from typing import Any

from ..core.access import principal_key
from ..core.errors import not_found
from ..core.identity import Principal
from ..core.state import EmulatorState

APPS = "app"
DEPLOYMENTS = "app_deployment"
SNAPSHOTS = "app_snapshot"
UPDATES = "app_update"

_COMPUTE_MESSAGES = {"ACTIVE": "App compute is active.", "STOPPED": "App compute is stopped.",
                     "STARTING": "App compute is starting.", "DELETING": "App compute is being deleted."}


def now() -> str:
    """Timestamps as the Apps API writes them (UTC, seconds)."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def public(doc: dict[str, Any]) -> dict[str, Any]:
    """A document without its private (`_`) fields and absent values, as the API answers."""
    return {k: v for k, v in doc.items() if not k.startswith("_") and v is not None}


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
    """The workspace-ACL principal key of the App's service principal."""
    return principal_key("service_principal", doc["service_principal_client_id"])


def compute_status(state_: str) -> dict[str, Any]:
    return {"state": state_, "message": _COMPUTE_MESSAGES.get(state_, "")}


def app_status(state_: str, message: str) -> dict[str, Any]:
    return {"state": state_, "message": message}


def set_app_status(state: EmulatorState, name: str, state_: str, message: str) -> None:
    """Record what the App's process is doing (the runner calls this; a deleted App is skipped)."""
    with state.store.transaction():
        doc = state.store.get(APPS, name)
        if doc is not None:
            doc["app_status"] = app_status(state_, message)
            state.store.put(APPS, name, doc)


# -- deployments ---------------------------------------------------------------------------------

def load_deployment(state: EmulatorState, name: str, dep_id: str) -> dict[str, Any]:
    dep = state.store.get(DEPLOYMENTS, f"{name}/{dep_id}")
    if dep is None:
        raise not_found(f"App deployment with id {dep_id} does not exist for app {name}.")
    return dep


def finish_deployment(state: EmulatorState, name: str, dep_id: str, *, ok: bool, message: str,
                      previous_alive: bool = False) -> bool:
    """Record a deployment's outcome on it and on its App; False if the App is gone meanwhile."""
    with state.store.transaction():
        doc = state.store.get(APPS, name)
        dep = state.store.get(DEPLOYMENTS, f"{name}/{dep_id}")
        if doc is None or dep is None:
            return False
        dep["status"] = {"state": "SUCCEEDED" if ok else "FAILED", "message": message}
        dep["update_time"] = now()
        state.store.put(DEPLOYMENTS, f"{name}/{dep_id}", dep)
        doc.pop("pending_deployment", None)
        if ok:
            doc["active_deployment"] = dep
            doc["app_status"] = app_status("RUNNING", "App has status: App is running")
        elif not previous_alive:
            doc["app_status"] = app_status("CRASHED" if doc.get("active_deployment") else "UNAVAILABLE",
                                           f"App deployment {dep_id} failed. See the deployment's status "
                                           "message for the last lines of the App's log.")
        doc["update_time"] = now()
        state.store.put(APPS, name, doc)
        return True


def snapshot(state: EmulatorState, name: str, dep_id: str) -> dict[str, bytes]:
    """The deployment's source files as they were when it was created."""
    raw = state.store.get(SNAPSHOTS, f"{name}/{dep_id}") or {"files": {}}
    return {k: base64.b64decode(v) for k, v in raw["files"].items()}
