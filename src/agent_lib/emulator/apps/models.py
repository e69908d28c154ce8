"""Apps as objects: create, update, delete, start and stop them, and render them (no HTTP, no processes).

States follow the SDK's enums: `compute_status.state` ACTIVE/STOPPED, `app_status.state`
UNAVAILABLE/DEPLOYING/RUNNING/CRASHED. Compute starts instantly here, so `create_and_wait` /
`start_and_wait` / `stop_and_wait` return after one poll.

The rest of the rules live beside this module; callers import each from the module that defines it:

* `records.py`      the store kinds, lookup and access check, status blocks
* `validation.py`   the input fields, names, resources and scopes a client may send
* `resources.py`    what declared resources inject (`valueFrom`) and grant the App's service principal
* `deployments.py`  deployments, their source snapshots and outcomes
"""

from __future__ import annotations

import uuid
from typing import Any

from ..core.errors import ApiError, invalid
from ..core.identity import Principal
from ..core.state import EmulatorState
from ..oauth.models import revoke_client_secrets
from . import proxy, runner
from .deployments import drop_all as _drop_deployments
from .records import APPS, UPDATES, app_status, compute_status, exists, load, now, public, require
from .resources import sync_grants
from .validation import INPUT_FIELDS, OUTPUT_FIELDS, apply_inputs, check_fields, validate_name


def render(state: EmulatorState, doc: dict[str, Any], *, with_url: bool = True) -> dict[str, Any]:
    """The App as `App.as_dict()` would show it: live process state and the proxy URL included."""
    out = public(doc)
    if with_url:
        try:
            out["url"] = proxy.ensure_listener(state, doc["name"])
        except OSError:  # no port to bind: leave the URL out rather than fail the read
            pass
    status = runner.live_status(state, doc)
    if status is not None:
        out["app_status"] = status
    return out


def create_app(state: EmulatorState, caller: Principal, body: dict[str, Any], *,
               no_compute: bool = False) -> dict[str, Any]:
    """`POST /api/2.0/apps`: the App, its own service principal, the creator as owner."""
    if not isinstance(body, dict):
        raise invalid("Malformed request: expected a JSON object.")
    check_fields(body, INPUT_FIELDS, OUTPUT_FIELDS)
    name = validate_name(body.get("name"))
    created = now()
    doc: dict[str, Any] = {"name": name, "id": str(uuid.uuid4()), "compute_size": "MEDIUM"}
    apply_inputs(doc, body)
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
            "create_time": created, "update_time": created,
            "compute_status": compute_status("STOPPED" if no_compute else "ACTIVE"),
            "app_status": app_status("UNAVAILABLE", "App has not been deployed yet. Run your app by "
                                                    "deploying code to it."),
            "_sp_principal_id": sp["id"], "_granted": [],
        })
        state.acls.create("apps", name, caller)
        sync_grants(state, doc)
        state.store.put(APPS, name, doc)
    return doc


def list_apps(state: EmulatorState, caller: Principal) -> list[dict[str, Any]]:
    return [d for d in state.store.list(APPS) if state.acls.allows(caller, "apps", d["name"], "CAN_USE")]


def _save_inputs(state: EmulatorState, caller: Principal, doc: dict[str, Any], body: dict[str, Any],
                 fields: set[str] | None = None) -> None:
    """Apply input fields to the App, stamp the updater, re-sync its grants, store it."""
    apply_inputs(doc, body, fields)
    doc.update({"updater": caller.name, "update_time": now()})
    sync_grants(state, doc)
    state.store.put(APPS, doc["name"], doc)


def update_app(state: EmulatorState, caller: Principal, name: str, body: dict[str, Any]) -> dict[str, Any]:
    """`PATCH /api/2.0/apps/{name}`: the fields present replace the App's; the name cannot change."""
    if not isinstance(body, dict):
        raise invalid("Malformed request: expected a JSON object.")
    check_fields(body, INPUT_FIELDS, OUTPUT_FIELDS)
    with state.store.transaction():
        doc = require(state, caller, name, "CAN_MANAGE")
        if body.get("name") not in (None, name):
            raise invalid(f"Invalid value for field 'name': an App cannot be renamed ({name!r} -> "
                          f"{body['name']!r}); create a new App instead.")
        _save_inputs(state, caller, doc, body)
    return doc


def create_update(state: EmulatorState, caller: Principal, name: str, app: dict[str, Any] | None,
                  update_mask: str | None) -> dict[str, Any]:
    """`POST /api/2.0/apps/{name}/update`: fields named in `update_mask` (or `*`) are replaced."""
    if not update_mask:
        raise invalid("Missing required field: update_mask")
    app = app or {}
    if not isinstance(app, dict):
        raise invalid("Invalid value for field 'app': expected an object.")
    check_fields(app, INPUT_FIELDS, OUTPUT_FIELDS)
    fields = {f.strip() for f in update_mask.split(",") if f.strip()}
    if "*" in fields:
        fields = INPUT_FIELDS - {"name"}
    unknown = fields - INPUT_FIELDS
    if unknown:
        raise invalid(f"Invalid value for field 'update_mask': unknown field {sorted(unknown)[0]!r}.")
    with state.store.transaction():
        doc = require(state, caller, name, "CAN_MANAGE")
        _save_inputs(state, caller, doc, app, fields)
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
    doc = require(state, caller, name, "CAN_MANAGE")
    runner.stop(state, name)
    proxy.stop_listener(state, name)
    with state.store.transaction():
        doc["resources"] = []
        sync_grants(state, doc)
        _drop_deployments(state, name)
        state.store.delete(UPDATES, name)
        state.store.delete(APPS, name)
        state.acls.drop("apps", name)
        _revoke_secrets(state, doc["_sp_principal_id"])
        state.store.delete("principal", doc["_sp_principal_id"])
    doc.pop("resources", None)
    doc["compute_status"] = compute_status("DELETING")
    return doc


def _revoke_secrets(state: EmulatorState, principal_id: str) -> None:
    revoke_client_secrets(state, principal_id)


def start_app(state: EmulatorState, caller: Principal, name: str) -> dict[str, Any]:
    """`POST /apps/{name}/start`: compute ACTIVE at once; the active deployment relaunches."""
    with state.store.transaction():
        doc = require(state, caller, name, "CAN_MANAGE")
        doc["compute_status"] = compute_status("ACTIVE")
        if doc.get("active_deployment"):
            doc["app_status"] = app_status("DEPLOYING", "App is starting.")
        doc.update({"update_time": now()})
        state.store.put(APPS, name, doc)
    if doc.get("active_deployment"):
        runner.start_in_background(state, name)
    return doc


def stop_app(state: EmulatorState, caller: Principal, name: str) -> dict[str, Any]:
    """`POST /apps/{name}/stop`: the process group is terminated before this returns."""
    require(state, caller, name, "CAN_MANAGE")
    runner.stop(state, name)
    with state.store.transaction():
        doc = load(state, name)
        doc["compute_status"] = compute_status("STOPPED")
        doc["app_status"] = app_status("UNAVAILABLE", "App is not running. Start the app compute to run it.")
        doc.update({"update_time": now()})
        state.store.put(APPS, name, doc)
    return doc

