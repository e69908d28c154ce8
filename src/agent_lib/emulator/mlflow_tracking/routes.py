"""`/api/2.0/mlflow/...` and `/api/3.0/mlflow/...`: MLflow's tracking API, behind the workspace's auth.

Each request is authenticated as every route is, matched against `models.OPERATIONS`, checked
against the experiment's ACL, then forwarded to the workspace's real MLflow tracking server
(started on the first request). Answers come back with artifact locations as Databricks shows them
(`dbfs:/databricks/mlflow-tracking/...`). Artifact credentials are answered here: signed URLs that
point back at `/_emulator/mlflow/files/<token>`, where the bytes are stored in the server's
artifact root. `GET /_emulator/mlflow` says where the tracking server's own UI is.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool

from ..core.deps import Caller, State
from ..core.errors import ApiError, invalid, not_found
from ..core.identity import ALL_APIS, Principal, require_scope
from ..core.state import EmulatorState
from . import models, upstream
from .locations import FILES_PREFIX

log = logging.getLogger("agent_lib.emulator.mlflow")
router = APIRouter(tags=["mlflow"])

_VERSIONS = ("2.0", "3.0")
_CREDENTIAL_TYPE = "AWS_PRESIGNED_URL"  # a plain PUT/GET URL, as MLflow uploads to S3


def _args(request: Request, raw: bytes) -> dict[str, Any]:
    """Query parameters (a repeated key becomes a list) merged with the JSON body."""
    args: dict[str, Any] = {}
    for key, value in request.query_params.multi_items():
        if key in args:
            args[key] = [*args[key], value] if isinstance(args[key], list) else [args[key], value]
        else:
            args[key] = value
    if raw.strip():
        try:
            body = json.loads(raw)
        except ValueError as exc:
            raise invalid(f"Malformed request: invalid JSON in request body ({exc})") from None
        if not isinstance(body, dict):
            raise invalid("Malformed request: the request body must be a JSON object")
        args.update(body)
    return args


async def _check(up: upstream.Upstream, state: EmulatorState, caller: Principal,
                 op: models.Operation, params: dict[str, str], args: dict[str, Any]) -> list[str]:
    """Experiments the request touches, after checking the caller holds the level on each."""
    experiments: list[str] = []
    for kind, ident in models.referenced(op, params, args):
        exp = await up.experiment_of(kind, ident)
        if op.level is not None:
            models.require(state, caller, exp, op.level)
        experiments.append(exp)
    if op.level is not None and not experiments:
        fields = ", ".join(r.field.strip("{}") for r in op.refs)
        raise invalid(f"Missing required field: {fields}")
    return experiments


@router.api_route("/api/{version}/mlflow/{path:path}", methods=["GET", "POST", "PATCH", "DELETE"])
async def mlflow_api(version: str, path: str, request: Request, state: State, caller: Caller) -> Response:
    require_scope(caller, ALL_APIS)
    found = models.find_operation(request.method, path.strip("/")) if version in _VERSIONS else None
    if found is None:
        raise ApiError(404, "ENDPOINT_NOT_FOUND",
                       f"{request.method} /api/{version}/mlflow/{path} is not served by the emulated "
                       f"workspace; served: {', '.join(models.served_paths())}.")
    op, params = found
    log.debug("mlflow %s %s -> %s", request.method, path, op.name)
    raw = await request.body()
    args = _args(request, raw)
    up = await upstream.get(state)
    await _check(up, state, caller, op, params, args)
    if op.served_by == "emulator":
        return JSONResponse(await _credentials(up, state, op, params, args))
    if op.name == "CreateExperiment" and "artifact_location" in args:
        # Databricks chooses the location (dbfs:/databricks/mlflow-tracking/<id>).
        raw = json.dumps({k: v for k, v in args.items() if k != "artifact_location"}).encode()
    resp = await up.client.request(request.method, f"/api/{version}/mlflow/{path}",
                                   params=request.query_params, content=raw,
                                   headers={"content-type": "application/json"} if raw else None)
    try:
        body = resp.json()
    except ValueError:
        return Response(resp.content, status_code=resp.status_code,
                        media_type=resp.headers.get("content-type"))
    if resp.status_code == 200:
        body = _after(state, caller, op, body)
    return JSONResponse(up.locations.rewrite(body), status_code=resp.status_code)


def _after(state: EmulatorState, caller: Principal, op: models.Operation, body: Any) -> Any:
    """What a successful call changes in the workspace: a new experiment's owner, filtered searches."""
    if op.name == "CreateExperiment":
        models.record_owner(state, str(body["experiment_id"]), caller)
    elif op.name.startswith("SearchExperiments") and isinstance(body, dict):
        body["experiments"] = [e for e in body.get("experiments", [])
                               if models.readable(state, caller, str(e.get("experiment_id")))]
    return body


# -- artifact credentials: signed URLs back to this workspace ---------------------------------

async def _credentials(up: upstream.Upstream, state: EmulatorState, op: models.Operation,
                       params: dict[str, str], args: dict[str, Any]) -> dict[str, Any]:
    method = "PUT" if op.level == models.EDIT else "GET"
    try:
        if op.name.startswith("GetCredentialsForTraceData"):
            info = await up.trace_info(params["trace_id"])
            location = (info.get("tags") or {}).get("mlflow.artifactLocation")
            if not location:
                raise not_found(f"Trace '{params['trace_id']}' has no artifact location.")
            base = up.locations.local(location)
            target = up.locations.child(base, args.get("path") or "traces.json")
            return {"credential_info": _credential(up, state, target, method)}
        run_id = str(args.get("run_id") or args.get("run_uuid"))
        base = up.locations.local((await up.run_info(run_id))["artifact_uri"])
        paths = args.get("path") or []
        paths = [paths] if isinstance(paths, str) else paths
        infos = []
        for rel in paths:
            info = _credential(up, state, up.locations.child(base, rel), method)
            infos.append({"run_id": run_id, "path": rel, **info})
        return {"credential_infos": infos}
    except ValueError as exc:
        raise invalid(str(exc)) from None


def _credential(up: upstream.Upstream, state: EmulatorState, target: Path, method: str) -> dict[str, Any]:
    token = up.signer.token(up.locations.relative(target), method)
    return {"signed_uri": f"{state.host}{FILES_PREFIX}{token}", "type": _CREDENTIAL_TYPE, "headers": []}


def _signed_target(state: EmulatorState, token: str, method: str) -> Path:
    up = upstream.current(state)
    if up is None:
        raise ApiError(403, "PERMISSION_DENIED", "This signed URL is no longer valid (the workspace's "
                                                 "tracking server restarted); ask for new credentials.")
    try:
        return up.locations.child(up.locations.root, up.signer.verify(token, method))
    except ValueError as exc:
        raise ApiError(403, "PERMISSION_DENIED", f"Signed URL refused: {exc}.") from None


@router.put(FILES_PREFIX + "{token}")
async def put_file(token: str, request: Request, state: State) -> Response:
    """A signed upload, as to a presigned S3 URL: no bearer token, the signature is the grant."""
    target = _signed_target(state, token, "PUT")
    data = await request.body()  # trace data and run artifacts: small enough to hold

    def write() -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)

    await run_in_threadpool(write)
    return Response(status_code=200)


@router.get(FILES_PREFIX + "{token}")
async def get_file(token: str, state: State) -> Response:
    """A signed download; 404 (as S3 answers) when nothing was uploaded there."""
    target = _signed_target(state, token, "GET")
    if not target.is_file():
        raise not_found("No file at this location.")
    return FileResponse(target)


@router.get("/_emulator/mlflow")
async def tracking_server_info(state: State, caller: Caller) -> dict[str, Any]:
    """Where the workspace's MLflow UI is (the tracking server's own, on 127.0.0.1), starting it."""
    del caller  # authenticated, nothing more
    up = await upstream.get(state)
    return {"ui_url": up.url, "start_seconds": round(up.server.start_seconds, 3),
            "served": models.served_paths()}


@router.get("/ml/{path:path}")
async def mlflow_ui(path: str, request: Request, state: State) -> Response:
    """Databricks' experiment pages (`/ml/experiments/<id>/...`, what MLflow prints after a run)
    redirect to the same page of the tracking server's UI. A browser carries no bearer token, so
    this answers without one, like Databricks' login redirect; the UI itself is on 127.0.0.1 only."""
    up = await upstream.get(state)
    query = f"?{request.url.query}" if request.url.query else ""
    return RedirectResponse(f"{up.url}/#/{path}{query}", status_code=302)


@router.api_route("/api/2.0/fs/{kind}/WorkspaceInternal/Mlflow/Artifacts/{rest:path}",
                  methods=["GET", "PUT", "POST", "DELETE"])
async def files_api_artifacts(kind: str, rest: str, caller: Caller) -> Response:
    """MLflow first tries run artifacts through the Files API, then falls back to signed URLs
    (`artifacts/credentials-for-write` / `-read`) on any error but a 404. The emulated workspace
    serves the signed-URL path only, so this answers 400 FEATURE_DISABLED for MLflow's artifact
    folders (a 4xx: no request to the emulator answers 5xx)."""
    del kind, rest, caller
    raise ApiError(400, "FEATURE_DISABLED",
                   "The emulated workspace serves MLflow artifacts through signed URLs "
                   "(POST /api/2.0/mlflow/artifacts/credentials-for-write and -read), not the Files API.")
