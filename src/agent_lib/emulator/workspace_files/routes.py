"""`/api/2.0/workspace/*`: mkdirs, import (JSON base64 or multipart), get-status, list, export, delete."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, ValidationError

from ..core.deps import Caller, State
from ..core.errors import invalid
from ..core.identity import Principal, require_scope
from . import models

router = APIRouter(prefix="/api/2.0/workspace", tags=["workspace"])

SCOPES = ("workspace", "workspace.workspace", "files.files")


class PathBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    path: str


class DeleteBody(PathBody):
    recursive: bool = False


class ImportBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    path: str
    content: str | None = None
    format: str | None = None
    language: str | None = None
    overwrite: bool = False


def _scope(caller: Principal) -> None:
    require_scope(caller, *SCOPES)


def _flag(value: Any) -> bool:
    return str(value).strip().lower() in ("1", "true", "yes")


def _parse(model: type[BaseModel], raw: Any) -> Any:
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first.get("loc", ())) or "request body"
        if first.get("type") == "missing":
            raise invalid(f"Missing required field: {field}") from None
        if first.get("type") == "extra_forbidden":
            raise invalid(f"Unknown field: {field}") from None
        raise invalid(f"Invalid value for field '{field}': {first.get('msg', 'invalid')}") from None


@router.post("/mkdirs")
def mkdirs(body: PathBody, state: State, caller: Caller) -> dict[str, Any]:
    _scope(caller)
    models.mkdirs(state, caller, body.path)
    return {}


@router.post("/import")
async def import_(request: Request, state: State, caller: Caller) -> dict[str, Any]:
    """The SDK's `upload` posts multipart (`content` file + form fields); `import_` posts JSON base64."""
    _scope(caller)
    ctype = request.headers.get("content-type", "").lower()
    if ctype.startswith("multipart/form-data"):
        form = await request.form()
        upload = form.get("content")
        if upload is None:
            raise invalid("Missing required field: content")
        content = await upload.read() if hasattr(upload, "read") else str(upload).encode()
        path = form.get("path")
        if not isinstance(path, str):
            raise invalid("Missing required field: path")
        fmt, language = form.get("format"), form.get("language")
        overwrite = _flag(form.get("overwrite", "false"))
    else:
        try:
            raw = json.loads(await request.body() or b"{}")
        except ValueError as exc:
            raise invalid(f"Malformed request: invalid JSON in request body ({exc})") from None
        body = _parse(ImportBody, raw)
        try:
            content = base64.b64decode(body.content or "", validate=True)
        except (binascii.Error, ValueError):
            raise invalid("Invalid value for field 'content': not valid base64.") from None
        if len(content) > models.MAX_JSON_CONTENT:
            raise invalid("Invalid value for field 'content': exceeds the 10 MB limit of JSON imports; "
                          "upload it as multipart instead.")
        path, fmt, language, overwrite = body.path, body.format, body.language, body.overwrite
    models.import_object(state, caller, path, content, format=fmt if isinstance(fmt, str) else None,
                         language=language if isinstance(language, str) else None, overwrite=overwrite)
    return {}


@router.get("/get-status")
def get_status(state: State, caller: Caller, path: str | None = None) -> dict[str, Any]:
    _scope(caller)
    return models.get_status(state, caller, path or "")


@router.get("/list")
def list_(state: State, caller: Caller, path: str | None = None,
          notebooks_modified_after: int | None = None) -> dict[str, Any]:
    _scope(caller)
    objects = models.list_objects(state, caller, path or "", notebooks_modified_after)
    return {"objects": objects} if objects else {}


@router.get("/export", response_model=None)
def export(state: State, caller: Caller, path: str | None = None, format: str | None = None,
           direct_download: str | None = None) -> dict[str, Any] | Response:
    _scope(caller)
    direct = _flag(direct_download)
    data, file_type = models.export(state, caller, path or "", format, direct=direct)
    if direct:
        return Response(content=data, media_type="application/octet-stream")
    out: dict[str, Any] = {"content": base64.b64encode(data).decode()}
    if file_type:
        out["file_type"] = file_type
    return out


@router.post("/delete")
def delete(body: DeleteBody, state: State, caller: Caller) -> dict[str, Any]:
    _scope(caller)
    models.delete(state, caller, body.path, body.recursive)
    return {}
