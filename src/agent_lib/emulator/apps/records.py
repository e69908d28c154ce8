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
