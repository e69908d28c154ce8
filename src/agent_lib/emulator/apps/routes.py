"""`/api/2.0/apps`: create, list, get, update, delete, deployments, start, stop, app updates.

Also `GET /login`, where the Apps front proxy sends PAT callers (as Databricks does): a sign-in page
saying that Apps need OAuth, so a client that follows the redirect ends on HTML, not a 404.
"""

from __future__ import annotations

from html import escape
from typing import Any

from fastapi import APIRouter, Body
from fastapi.responses import HTMLResponse

from ..core.deps import Caller, State
from ..core.errors import invalid
from ..core.identity import Principal, require_scope
from . import deployments, models
from .records import require

router = APIRouter()
apps = APIRouter(prefix="/api/2.0/apps", tags=["apps"])

DEPLOYMENT_LONG_POLL_SECONDS = 10.0  # GET of an IN_PROGRESS deployment waits this long for it to end


def _scope(caller: Principal) -> None:
    require_scope(caller, "apps")


def _page(items: list[dict[str, Any]], page_size: int | None,
          page_token: str | None) -> tuple[list[dict[str, Any]], str | None]:
    try:
        start = int(page_token) if page_token else 0
    except ValueError:
        raise invalid(f"Invalid value for field 'page_token': {page_token!r}.") from None
    if page_size is not None and page_size < 0:
        raise invalid("Invalid value for field 'page_size': must not be negative.")
    size = page_size or 100
    chunk = items[start:start + size]
    return chunk, (str(start + size) if start + size < len(items) else None)


@apps.post("")
def create(state: State, caller: Caller, body: dict[str, Any] = Body(...),
           no_compute: bool = False) -> dict[str, Any]:
    _scope(caller)
    doc = models.create_app(state, caller, body, no_compute=no_compute)
    return models.render(state, doc)


@apps.get("")
def list_(state: State, caller: Caller, page_size: int | None = None,
          page_token: str | None = None, space: str | None = None) -> dict[str, Any]:
    _scope(caller)
    apps = [d for d in models.list_apps(state, caller) if space is None or d.get("space") == space]
    chunk, nxt = _page(apps, page_size, page_token)
    out: dict[str, Any] = {"apps": [models.render(state, d) for d in chunk]} if chunk else {}
    if nxt:
        out["next_page_token"] = nxt
    return out


@apps.get("/{name}")
def get(name: str, state: State, caller: Caller) -> dict[str, Any]:
    _scope(caller)
    return models.render(state, require(state, caller, name, "CAN_USE"))


@apps.patch("/{name}")
def update(name: str, state: State, caller: Caller, body: dict[str, Any] = Body(...)) -> dict[str, Any]:
    _scope(caller)
    return models.render(state, models.update_app(state, caller, name, body))


@apps.delete("/{name}")
def delete(name: str, state: State, caller: Caller) -> dict[str, Any]:
    _scope(caller)
    return models.render(state, models.delete_app(state, caller, name), with_url=False)


@apps.post("/{name}/update")
def create_update(name: str, state: State, caller: Caller,
                  body: dict[str, Any] = Body(...)) -> dict[str, Any]:
    _scope(caller)
    unknown = set(body) - {"app", "update_mask"}
    if unknown:
        raise invalid(f"Unknown field: {sorted(unknown)[0]}")
    return models.create_update(state, caller, name, body.get("app"), body.get("update_mask"))


@apps.get("/{name}/update")
def get_update(name: str, state: State, caller: Caller) -> dict[str, Any]:
    _scope(caller)
    return models.get_update(state, caller, name)


@apps.post("/{name}/deployments")
def deploy(name: str, state: State, caller: Caller,
           body: dict[str, Any] | None = Body(None)) -> dict[str, Any]:
    _scope(caller)
    return deployments.render_deployment(deployments.create_deployment(state, caller, name, body or {}))


@apps.get("/{name}/deployments")
def list_deployments(name: str, state: State, caller: Caller, page_size: int | None = None,
                     page_token: str | None = None) -> dict[str, Any]:
    _scope(caller)
    deps = deployments.list_deployments(state, caller, name)
    chunk, nxt = _page(deps, page_size, page_token)
    out: dict[str, Any] = {"app_deployments": [deployments.render_deployment(d) for d in chunk]} if chunk else {}
    if nxt:
        out["next_page_token"] = nxt
    return out


@apps.get("/{name}/deployments/{deployment_id}")
def get_deployment(name: str, deployment_id: str, state: State, caller: Caller) -> dict[str, Any]:
    _scope(caller)
    dep = deployments.get_deployment(state, caller, name, deployment_id, DEPLOYMENT_LONG_POLL_SECONDS)
    return deployments.render_deployment(dep)


@apps.post("/{name}/start")
def start(name: str, state: State, caller: Caller) -> dict[str, Any]:
    _scope(caller)
    return models.render(state, models.start_app(state, caller, name))


@apps.post("/{name}/stop")
def stop(name: str, state: State, caller: Caller) -> dict[str, Any]:
    _scope(caller)
    return models.render(state, models.stop_app(state, caller, name))


router.include_router(apps)


@router.get("/login", include_in_schema=False)
def login(next: str | None = None) -> HTMLResponse:
    """The sign-in page a PAT caller of an App is redirected to (no API behind it)."""
    target = f"<p>Requested: <code>{escape(next)}</code></p>" if next else ""
    return HTMLResponse(
        "<!doctype html><html><head><title>Sign in - Databricks</title></head><body>"
        "<h1>Sign in to the emulated Databricks workspace</h1>"
        "<p>Databricks Apps accept OAuth access tokens only; personal access tokens are redirected "
        "here. Use an OAuth token (for example <code>databricks auth token</code>, or a service "
        f"principal's client credentials).</p>{target}</body></html>")
