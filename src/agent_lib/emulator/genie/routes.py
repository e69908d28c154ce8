"""Genie REST routes (`/api/2.0/genie/...`): parse, call `models` / `conversations`, return JSON."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict

from ..core.deps import Caller, State
from . import conversations, models

router = APIRouter(prefix="/api/2.0/genie")
SPACE = "/spaces/{space_id}"
CONV = SPACE + "/conversations/{conversation_id}"
MSG = CONV + "/messages/{message_id}"


class ContentBody(BaseModel):
    model_config = ConfigDict(extra="ignore")
    content: str
    enable_visualization: bool | None = None


class CreateSpaceBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    warehouse_id: str
    serialized_space: str
    title: str | None = None
    description: str | None = None
    parent_path: str | None = None


class UpdateSpaceBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str | None = None
    description: str | None = None
    warehouse_id: str | None = None
    parent_path: str | None = None
    serialized_space: str | None = None
    etag: str | None = None


# -- spaces -------------------------------------------------------------------------------------

@router.get("/spaces")
def list_spaces(state: State, caller: Caller, page_size: int | None = None,
                page_token: str | None = None) -> dict[str, Any]:
    return models.list_spaces(state, caller, page_size, page_token)


@router.post("/spaces")
def create_space(body: CreateSpaceBody, state: State, caller: Caller) -> dict[str, Any]:
    models.require_scope(caller, *models.SCOPES)
    doc = models.create_space(state, caller, warehouse_id=body.warehouse_id,
                              serialized_space=body.serialized_space, title=body.title,
                              description=body.description, parent_path=body.parent_path)
    return models.view(doc, serialized=True)


@router.get(SPACE)
def get_space(space_id: str, state: State, caller: Caller,
              include_serialized_space: bool = False) -> dict[str, Any]:
    doc = models.require(state, caller, space_id, "CAN_EDIT" if include_serialized_space else "CAN_VIEW")
    return models.view(doc, serialized=include_serialized_space)


@router.patch(SPACE)
def update_space(space_id: str, body: UpdateSpaceBody, state: State, caller: Caller) -> dict[str, Any]:
    doc = models.update_space(state, caller, space_id, body.model_dump(exclude_none=True))
    return models.view(doc, serialized=True)


@router.delete(SPACE)
def trash_space(space_id: str, state: State, caller: Caller) -> dict[str, Any]:
    models.trash_space(state, caller, space_id)
    return {}


# -- conversations ------------------------------------------------------------------------------

@router.post(SPACE + "/start-conversation")
def start_conversation(space_id: str, body: ContentBody, state: State, caller: Caller) -> dict[str, Any]:
    return conversations.start_conversation(state, caller, space_id, body.content)


@router.get(SPACE + "/conversations")
def list_conversations(space_id: str, state: State, caller: Caller, include_all: bool = False,
                       page_size: int | None = None, page_token: str | None = None) -> dict[str, Any]:
    return conversations.list_conversations(state, caller, space_id, include_all=include_all,
                                            page_size=page_size, page_token=page_token)


@router.delete(CONV)
def delete_conversation(space_id: str, conversation_id: str, state: State, caller: Caller) -> dict[str, Any]:
    conversations.delete_conversation(state, caller, space_id, conversation_id)
    return {}


@router.post(CONV + "/messages")
def create_message(space_id: str, conversation_id: str, body: ContentBody, state: State,
                   caller: Caller) -> dict[str, Any]:
    return conversations.create_message(state, caller, space_id, conversation_id, body.content)


@router.get(CONV + "/messages")
def list_messages(space_id: str, conversation_id: str, state: State, caller: Caller,
                  page_size: int | None = None, page_token: str | None = None) -> dict[str, Any]:
    return conversations.list_messages(state, caller, space_id, conversation_id, page_size=page_size,
                                       page_token=page_token)


@router.get(MSG)
def get_message(space_id: str, conversation_id: str, message_id: str, state: State,
                caller: Caller) -> dict[str, Any]:
    return conversations.get_message(state, caller, space_id, conversation_id, message_id)


@router.get(MSG + "/attachments/{attachment_id}/query-result")
def get_attachment_query_result(space_id: str, conversation_id: str, message_id: str, attachment_id: str,
                                state: State, caller: Caller) -> dict[str, Any]:
    return conversations.query_result(state, caller, space_id, conversation_id, message_id, attachment_id)


@router.post(MSG + "/attachments/{attachment_id}/execute-query")
def execute_attachment_query(space_id: str, conversation_id: str, message_id: str, attachment_id: str,
                             state: State, caller: Caller) -> dict[str, Any]:
    return conversations.execute_query(state, caller, space_id, conversation_id, message_id, attachment_id)


@router.get(MSG + "/query-result")
def get_message_query_result(space_id: str, conversation_id: str, message_id: str, state: State,
                             caller: Caller) -> dict[str, Any]:
    """Deprecated: the first query attachment's result."""
    return conversations.query_result(state, caller, space_id, conversation_id, message_id)


@router.get(MSG + "/query-result/{attachment_id}")
def get_message_query_result_by_attachment(space_id: str, conversation_id: str, message_id: str,
                                           attachment_id: str, state: State,
                                           caller: Caller) -> dict[str, Any]:
    """Deprecated: a named query attachment's result."""
    return conversations.query_result(state, caller, space_id, conversation_id, message_id, attachment_id)
