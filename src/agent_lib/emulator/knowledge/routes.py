"""Knowledge Assistants API (`w.knowledge_assistants`, API 2.1, resource names
`knowledge-assistants/{id}`). Querying goes through the assistant's serving endpoint
(`serving.routes`: `/serving-endpoints/{endpoint_name}/invocations` or `/serving-endpoints/responses`).

    GET    /api/2.1/knowledge-assistants                                list (those the caller can query)
    POST   /api/2.1/knowledge-assistants                                create (the creator owns it)
    GET    /api/2.1/knowledge-assistants/{id}                           get
    PATCH  /api/2.1/knowledge-assistants/{id}?update_mask=...           update (display_name, description,
                                                                        instructions)
    DELETE /api/2.1/knowledge-assistants/{id}                           delete (and its endpoint)
    GET    /api/2.1/knowledge-assistants/{id}/knowledge-sources         list sources
    POST   /api/2.1/knowledge-assistants/{id}/knowledge-sources         add a source
    GET    /api/2.1/knowledge-assistants/{id}/knowledge-sources/{ks}    get a source
    DELETE /api/2.1/knowledge-assistants/{id}/knowledge-sources/{ks}    delete a source
    POST   /api/2.1/knowledge-assistants/{id}/knowledge-sources:sync    sync (instant)
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict

from ..core.deps import Caller, State
from ..core.errors import invalid
from ..core.identity import require_scope
from ..serving.models import SCOPES
from . import models

router = APIRouter()
BASE = "/api/2.1/knowledge-assistants"


class AssistantBody(BaseModel):
    """`KnowledgeAssistant` as the SDK sends it; output-only fields are accepted and ignored."""

    model_config = ConfigDict(extra="forbid")

    display_name: str | None = None
    description: str | None = None
    instructions: str | None = None
    # output-only
    id: str | None = None
    knowledge_assistant_id: str | None = None
    name: str | None = None
    endpoint_name: str | None = None
    experiment_id: str | None = None
    state: str | None = None
    creator: str | None = None
    create_time: str | None = None
    error_info: str | None = None


class SourceBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    display_name: str | None = None
    description: str | None = None
    source_type: str | None = None
    files: dict[str, Any] | None = None
    index: dict[str, Any] | None = None
    file_table: dict[str, Any] | None = None
    # output-only
    id: str | None = None
    name: str | None = None
    state: str | None = None
    create_time: str | None = None
    knowledge_cutoff_time: str | None = None


def _page(items: list[dict[str, Any]], key: str, page_size: int | None,
          page_token: str | None) -> dict[str, Any]:
    try:
        start = int(page_token) if page_token else 0
    except ValueError as exc:
        raise invalid(f"Invalid page_token '{page_token}'") from exc
    if page_size is not None and page_size < 0:
        raise invalid("page_size must not be negative")
    size = page_size or 100
    chunk = items[start:start + size]
    out: dict[str, Any] = {key: chunk} if chunk else {}
    if start + size < len(items):
        out["next_page_token"] = str(start + size)
    return out


@router.get(BASE)
def list_assistants(state: State, caller: Caller, page_size: int | None = None,
                    page_token: str | None = None) -> dict[str, Any]:
    require_scope(caller, *SCOPES)
    visible = [models.describe(d, listing=True) for d in models.all_assistants(state)
               if models.level(state, caller, d)]
    return _page(visible, "knowledge_assistants", page_size, page_token)


@router.post(BASE)
def create_assistant(body: AssistantBody, state: State, caller: Caller) -> dict[str, Any]:
    require_scope(caller, *SCOPES)
    doc = models.create(state, caller, display_name=body.display_name or "",
                        description=body.description or "", instructions=body.instructions)
    return models.describe(doc)


@router.get(BASE + "/{ka_id}")
def get_assistant(ka_id: str, state: State, caller: Caller) -> dict[str, Any]:
    doc = models.get(state, ka_id)
    models.require(state, caller, doc)
    return models.describe(doc)


@router.patch(BASE + "/{ka_id}")
def update_assistant(ka_id: str, body: AssistantBody, state: State, caller: Caller,
                     update_mask: str | None = None) -> dict[str, Any]:
    doc = models.get(state, ka_id)
    models.require(state, caller, doc, "CAN_MANAGE")
    if not update_mask:
        raise invalid("Missing required field: update_mask")
    mask = [f.strip() for f in update_mask.split(",") if f.strip()]
    return models.describe(models.update(state, ka_id, body.model_dump(), mask))


@router.delete(BASE + "/{ka_id}")
def delete_assistant(ka_id: str, state: State, caller: Caller) -> dict[str, Any]:
    doc = models.get(state, ka_id)
    models.require(state, caller, doc, "CAN_MANAGE")
    models.delete(state, ka_id)
    return {}


@router.get(BASE + "/{ka_id}/knowledge-sources")
def list_sources(ka_id: str, state: State, caller: Caller, page_size: int | None = None,
                 page_token: str | None = None) -> dict[str, Any]:
    models.require(state, caller, models.get(state, ka_id))
    items = [models.describe_source(s) for s in models.sources(state, ka_id)]
    return _page(items, "knowledge_sources", page_size, page_token)


@router.post(BASE + "/{ka_id}/knowledge-sources:sync")
def sync_sources(ka_id: str, state: State, caller: Caller) -> dict[str, Any]:
    models.require(state, caller, models.get(state, ka_id), "CAN_MANAGE")
    return {}


@router.post(BASE + "/{ka_id}/knowledge-sources")
def create_source(ka_id: str, body: SourceBody, state: State, caller: Caller) -> dict[str, Any]:
    models.require(state, caller, models.get(state, ka_id), "CAN_MANAGE")
    fields = body.model_dump(exclude_none=True, include={
        "display_name", "description", "source_type", "files", "index", "file_table"})
    return models.describe_source(models.add_source(state, ka_id, fields))


@router.get(BASE + "/{ka_id}/knowledge-sources/{ks_id}")
def get_source(ka_id: str, ks_id: str, state: State, caller: Caller) -> dict[str, Any]:
    models.require(state, caller, models.get(state, ka_id))
    return models.describe_source(models.get_source(state, ka_id, ks_id))


@router.delete(BASE + "/{ka_id}/knowledge-sources/{ks_id}")
def delete_source(ka_id: str, ks_id: str, state: State, caller: Caller) -> dict[str, Any]:
    models.require(state, caller, models.get(state, ka_id), "CAN_MANAGE")
    models.delete_source(state, ka_id, ks_id)
    return {}
