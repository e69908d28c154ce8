"""The agent's own App: found or created (never deployed here), and its declared resources and scopes.

Its service principal exists only once the App does, so notebook 02 creates the App when it is
missing (notebook 05 deploys into it). The App's `resources` declare what the service principal may
use, as Databricks' templates do, so the workspace's view of the App and the grants agree; the
user-authorization scopes go into `user_api_scopes`. Both are merged, never replaced: entries that
someone else declared stay.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from databricks.sdk.errors import NotFound

from ..access import Principal, principal
from ..errors import ResourceError
from ..spec import app_user_scopes, bundle_app_resources

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient
    from databricks.sdk.service.apps import App

    from ..spec import AgentSpec
    from .desired import Resolved


def find_app(w: WorkspaceClient, name: str) -> App | None:
    try:
        return w.apps.get(name)
    except NotFound:
        return None


def create_app(w: WorkspaceClient, spec: AgentSpec) -> App:
    """Create the agent's App without deploying anything (its compute starts; no code runs)."""
    from databricks.sdk.service.apps import App

    description = f"{spec.name}: the agent App of agent_lib (deployed by notebook 05)"
    return w.apps.create_and_wait(App(name=spec.name, description=description))


def app_principal(w: WorkspaceClient, app: App) -> Principal:
    """The App's service principal (by application id, as ACLs and UC grants name it)."""
    if not app.service_principal_client_id:
        raise ResourceError(f"App {app.name}", "has no service principal yet",
                            "wait until the App's creation has finished (w.apps.get shows "
                            "service_principal_client_id), then run notebook 02 again")
    sp = principal(w, app.service_principal_client_id)
    return Principal(sp.kind, sp.name, app.service_principal_name or sp.display_name, sp.groups)


def desired_resources(spec: AgentSpec, resolved: Resolved, experiment_id: str | None) -> list[dict[str, Any]]:
    """The App's `resources`, from the same derivation the bundle uses (`bundle_app_resources`)."""
    return bundle_app_resources(spec, ka_endpoints=resolved.ka_endpoints, experiment_id=experiment_id,
                                warehouse_id=resolved.warehouse_id)


def desired_scopes(spec: AgentSpec) -> list[str]:
    return app_user_scopes(spec) if spec.authorization == "user" else []


def current_resources(app: App | None) -> dict[str, dict[str, Any]]:
    return {r["name"]: r for r in ((res.as_dict() for res in app.resources or []) if app else [])}


def declare(w: WorkspaceClient, name: str, resources: list[dict[str, Any]], scopes: list[str]) -> bool:
    """Merge `resources` (by resource name) and `scopes` into the App; True when it changed."""
    from databricks.sdk.service.apps import AppResource

    app = w.apps.get(name)
    have = current_resources(app)
    merged = dict(have)
    for resource in resources:
        merged[resource["name"]] = resource
    old_scopes = list(app.user_api_scopes or [])
    new_scopes = old_scopes + [s for s in scopes if s not in old_scopes]
    if merged == have and new_scopes == old_scopes:
        return False
    app.resources = [AppResource.from_dict(r) for r in merged.values()]
    app.user_api_scopes = new_scopes or None
    w.apps.update(name, app)
    return True
