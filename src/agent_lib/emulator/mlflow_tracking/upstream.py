"""Talking to the workspace's tracking server: one pooled client, and the lookups access checks need.

A run, trace or logged model belongs to one experiment for life, so the experiment a request
touches is looked up once per object and remembered (per server: a reset forgets it).
"""

from __future__ import annotations

import secrets
from typing import Any

import httpx
from starlette.concurrency import run_in_threadpool

from ..core.errors import ApiError
from ..core.state import EmulatorState
from . import process
from .locations import Locations, Signer

_KEY = "mlflow.upstream"


class Upstream:
    """The running tracking server as the routes use it (created with the server, dropped with it)."""

    def __init__(self, server: process.TrackingServer) -> None:
        self.server = server
        self.url = server.url
        self.locations = Locations(server.data.artifact_root)
        self.signer = Signer(secrets.token_bytes(32))
        self.client = httpx.AsyncClient(base_url=server.url, trust_env=False,
                                        timeout=httpx.Timeout(120.0, connect=5.0))
        self._owner: dict[tuple[str, str], str] = {}  # (kind, id) -> experiment id

    async def call(self, method: str, path: str, *, params: Any = None, json: Any = None) -> httpx.Response:
        try:
            return await self.client.request(method, path, params=params, json=json)
        except httpx.HTTPError as exc:
            raise ApiError(503, "TEMPORARILY_UNAVAILABLE",
                           f"The workspace's MLflow tracking server did not answer ({type(exc).__name__}); "
                           "retry, or restart the emulated workspace.") from None

    async def get_json(self, path: str, params: dict[str, Any]) -> dict[str, Any]:
        """GET a tracking-server path; its error (404 for a missing object, ...) becomes ours."""
        resp = await self.call("GET", path, params=params)
        body = _json(resp)
        if resp.status_code != 200:
            raise ApiError(resp.status_code, body.get("error_code", "INTERNAL_ERROR"),
                           body.get("message", f"tracking server answered {resp.status_code}"))
        return body

    async def experiment_of(self, kind: str, ident: str) -> str:
        """The id of the experiment that a run / trace / logged model / experiment name belongs to."""
        if kind == "experiment":
            return ident
        key = (kind, ident)
        if key in self._owner:
            return self._owner[key]
        if kind == "experiment_name":
            body = await self.get_json("/api/2.0/mlflow/experiments/get-by-name", {"experiment_name": ident})
            return body["experiment"]["experiment_id"]  # names can move: not remembered
        if kind == "run":
            body = await self.get_json("/api/2.0/mlflow/runs/get", {"run_id": ident})
            exp = body["run"]["info"]["experiment_id"]
        elif kind == "trace":
            info = await self.trace_info(ident)
            exp = info["trace_location"]["mlflow_experiment"]["experiment_id"]
        elif kind == "model":
            body = await self.get_json(f"/api/2.0/mlflow/logged-models/{ident}", {})
            exp = body["model"]["info"]["experiment_id"]
        else:
            raise ValueError(kind)
        self._owner[key] = exp
        return exp

    async def trace_info(self, trace_id: str) -> dict[str, Any]:
        body = await self.get_json(f"/api/3.0/mlflow/traces/{trace_id}", {})
        return body["trace"]["trace_info"]

    async def run_info(self, run_id: str) -> dict[str, Any]:
        return (await self.get_json("/api/2.0/mlflow/runs/get", {"run_id": run_id}))["run"]["info"]

    async def experiment_exists(self, experiment_id: str) -> bool:
        resp = await self.call("GET", "/api/2.0/mlflow/experiments/get",
                               params={"experiment_id": experiment_id})
        return resp.status_code == 200

    async def aclose(self) -> None:
        await self.client.aclose()


def _json(resp: httpx.Response) -> dict[str, Any]:
    try:
        body = resp.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def current(state: EmulatorState) -> Upstream | None:
    """The upstream if the tracking server runs now (never starts it)."""
    up: Upstream | None = state.runtime.get(_KEY)
    server = process.running(state)
    return up if up is not None and server is not None and up.server is server else None


async def get(state: EmulatorState) -> Upstream:
    """The upstream, starting the tracking server first (off the event loop) when it is not running."""
    up = current(state)
    if up is not None:
        return up
    server = await run_in_threadpool(process.upstream, state)
    up = current(state)
    if up is None:
        up = state.runtime[_KEY] = Upstream(server)
    return up


def experiment_exists(state: EmulatorState, experiment_id: str) -> bool:
    """Whether the tracking server knows the experiment (sync: the permissions routes run in threads)."""
    if not experiment_id.isdigit():
        return False
    server = process.upstream(state)
    with httpx.Client(base_url=server.url, trust_env=False, timeout=30.0) as client:
        resp = client.get("/api/2.0/mlflow/experiments/get", params={"experiment_id": experiment_id})
    return resp.status_code == 200
