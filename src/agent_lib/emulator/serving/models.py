"""Serving endpoints: their records, who may see and query them, and one request -> one answer.

Two kinds of endpoint exist in the emulated workspace:

* `foundation`: pay-per-token foundation models (`demo_ids.FOUNDATION_MODELS`, task
  `llm/v1/chat`), answered by the model the registry puts behind them (reference by default);
* `knowledge-assistant`: a Knowledge Assistant's agent endpoint (task `agent/v1/responses`),
  answered by `knowledge.models` from the assistant's documents.

Routes parse the wire format (`chat_wire`, `responses_wire`) into messages and tools, then call
`answer(...)`, which checks CAN_QUERY and returns the turn, citations and token counts.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..core.errors import not_found, permission_denied
from ..core.identity import Principal, require_scope
from ..models import registry
from ..models.base import Message, ModelTurn, ToolSpec
from .usage import turn_usage

if TYPE_CHECKING:
    from ..core.state import EmulatorState

KIND = "serving-endpoint"  # store kind
OBJECT_TYPE = "serving-endpoints"  # ACL object type (ids)
SCOPES = ("model-serving", "serving.serving-endpoints")
FOUNDATION = "foundation"
KNOWLEDGE_ASSISTANT = "knowledge-assistant"
JUDGE = "judge"  # the demo's stand-in judge model (serving/judge.py)
TASKS = {FOUNDATION: "llm/v1/chat", KNOWLEDGE_ASSISTANT: "agent/v1/responses", JUDGE: "llm/v1/chat"}

_DISPLAY = {
    "databricks-claude-sonnet-4-5": "Claude Sonnet 4.5",
    "databricks-claude-sonnet-4": "Claude Sonnet 4",
    "databricks-claude-sonnet-4-6": "Claude Sonnet 4.6",
    "databricks-claude-haiku-4-5": "Claude Haiku 4.5",
    "databricks-claude-opus-4-1": "Claude Opus 4.1",
    "databricks-claude-opus-4-5": "Claude Opus 4.5",
    "databricks-claude-opus-4-6": "Claude Opus 4.6",
    "databricks-gpt-5-2": "GPT-5.2",
    "databricks-meta-llama-3-3-70b-instruct": "Meta Llama 3.3 70B Instruct",
}


def endpoint_id(name: str) -> str:
    """The endpoint's stable 32-hex id (what the Permissions API takes): the same across resets."""
    return hashlib.md5(f"serving-endpoint:{name}".encode()).hexdigest()


# -- records ------------------------------------------------------------------------------------

def create_endpoint(state: EmulatorState, name: str, *, kind: str, creator: str,
                    description: str = "", served_entities: list[dict[str, Any]] | None = None,
                    extra: dict[str, Any] | None = None, owner: Principal | None = None) -> dict[str, Any]:
    """Add an endpoint (idempotent for the same name); the ACL owner is `owner` if given."""
    existing = state.store.get(KIND, name)
    if existing is not None:
        return existing
    now = int(time.time() * 1000)
    doc = {"name": name, "id": endpoint_id(name), "kind": kind, "task": TASKS[kind], "creator": creator,
           "description": description, "creation_timestamp": now, "last_updated_timestamp": now,
           "served_entities": served_entities or [], **(extra or {})}
    with state.store.transaction():
        state.store.put(KIND, name, doc)
        state.acls.create(OBJECT_TYPE, doc["id"], owner)
    return doc


def foundation_entity(name: str) -> dict[str, Any]:
    display = _DISPLAY.get(name, name)
    return {"name": name, "foundation_model": {
        "name": name, "display_name": display,
        "description": f"{display}, served pay-per-token by the emulated workspace's model registry.",
        "docs": "https://docs.databricks.com/machine-learning/foundation-model-apis/supported-models.html"}}


def delete_endpoint(state: EmulatorState, name: str) -> None:
    doc = state.store.get(KIND, name)
    if doc is None:
        return
    with state.store.transaction():
        state.store.delete(KIND, name)
        state.acls.drop(OBJECT_TYPE, doc["id"])


def get_endpoint(state: EmulatorState, name: str) -> dict[str, Any]:
    doc = state.store.get(KIND, name)
    if doc is None:
        raise not_found(f"Endpoint with name '{name}' does not exist.")
    return doc


def find_by_id(state: EmulatorState, eid: str) -> dict[str, Any] | None:
    for doc in state.store.list(KIND):
        if doc["id"] == eid:
            return doc
    return None


def exists_id(state: EmulatorState, eid: str) -> bool:
    return find_by_id(state, eid) is not None


def all_endpoints(state: EmulatorState) -> list[dict[str, Any]]:
    return state.store.list(KIND)


# -- access -------------------------------------------------------------------------------------

def level(state: EmulatorState, caller: Principal, doc: dict[str, Any]) -> str | None:
    """The caller's effective level; on a Knowledge Assistant's endpoint a CAN_QUERY or CAN_MANAGE
    held on the assistant itself counts too (the permission the SDK's KA API grants)."""
    own = state.acls.effective_level(caller, OBJECT_TYPE, doc["id"])
    ka_id = doc.get("knowledge_assistant_id")
    if ka_id:
        ka = state.acls.effective_level(caller, "knowledge-assistants", ka_id)
        order = ("CAN_VIEW", "CAN_QUERY", "CAN_MANAGE")
        ranks = [order.index(x) for x in (own, ka) if x in order]
        return order[max(ranks)] if ranks else None
    return own


def require_view(state: EmulatorState, caller: Principal, doc: dict[str, Any]) -> str:
    require_scope(caller, *SCOPES)
    have = level(state, caller, doc)
    if have is None:
        raise permission_denied(
            f"User {caller.name} does not have CAN_VIEW on serving endpoint '{doc['name']}'.")
    return have


def require_query(state: EmulatorState, caller: Principal, doc: dict[str, Any]) -> None:
    require_scope(caller, *SCOPES)
    have = level(state, caller, doc)
    if have not in ("CAN_QUERY", "CAN_MANAGE"):
        raise permission_denied(
            f"User {caller.name} does not have CAN_QUERY on serving endpoint '{doc['name']}'.")


# -- API shapes ---------------------------------------------------------------------------------

def _state_block() -> dict[str, str]:
    return {"ready": "READY", "config_update": "NOT_UPDATING"}


def describe(doc: dict[str, Any], permission_level: str | None = None) -> dict[str, Any]:
    """`ServingEndpointDetailed` as a dict."""
    entities = [{**e, "state": {"deployment": "DEPLOYMENT_READY",
                                "deployment_state_message": "Served entity is ready."},
                 "creator": doc.get("creator"), "creation_timestamp": doc.get("creation_timestamp")}
                for e in doc.get("served_entities", [])]
    out: dict[str, Any] = {
        "name": doc["name"], "id": doc["id"], "task": doc["task"], "creator": doc.get("creator"),
        "creation_timestamp": doc.get("creation_timestamp"),
        "last_updated_timestamp": doc.get("last_updated_timestamp"),
        "state": _state_block(),
        "config": {"served_entities": entities, "config_version": 1},
    }
    if doc.get("description"):
        out["description"] = doc["description"]
    if doc.get("tags"):
        out["tags"] = doc["tags"]
    if permission_level:
        out["permission_level"] = permission_level
    return {k: v for k, v in out.items() if v is not None}


def summary(doc: dict[str, Any]) -> dict[str, Any]:
    """`ServingEndpoint` (the list form) as a dict."""
    out: dict[str, Any] = {
        "name": doc["name"], "id": doc["id"], "task": doc["task"], "creator": doc.get("creator"),
        "creation_timestamp": doc.get("creation_timestamp"),
        "last_updated_timestamp": doc.get("last_updated_timestamp"),
        "state": _state_block(),
        "config": {"served_entities": [dict(e) for e in doc.get("served_entities", [])]},
    }
    if doc.get("description"):
        out["description"] = doc["description"]
    if doc.get("tags"):
        out["tags"] = doc["tags"]
    return {k: v for k, v in out.items() if v is not None}


def served_name(doc: dict[str, Any]) -> str:
    entities = doc.get("served_entities") or []
    return entities[0].get("name", doc["name"]) if entities else doc["name"]


# -- answering ----------------------------------------------------------------------------------

@dataclass
class Answer:
    """One endpoint's answer, before it is put on the wire."""

    turn: ModelTurn
    usage: tuple[int, int]
    annotations: list[dict[str, Any]] = field(default_factory=list)  # Responses url_citation annotations


Answerer = Callable[["EmulatorState", dict[str, Any], list[Message], list[ToolSpec]], Answer]
"""How endpoints of one kind answer (`doc` is the endpoint): Knowledge Assistants' own retrieval."""

_ANSWERERS: dict[str, Answerer] = {}


def register_endpoint_kind(kind: str, answerer: Answerer) -> None:
    """Let endpoints of `kind` be answered by `answerer` (the service owning the kind declares it in
    `emulator.services`); endpoints of other kinds are answered by their model."""
    _ANSWERERS[kind] = answerer


def answer(state: EmulatorState, caller: Principal, name: str, messages: list[Message],
           tools: list[ToolSpec]) -> Answer:
    """Check access, then answer one request on the named endpoint (any wire format)."""
    doc = get_endpoint(state, name)
    require_query(state, caller, doc)
    answerer = _ANSWERERS.get(doc["kind"])
    if answerer is not None:
        return answerer(state, doc, messages, tools)
    turn = registry.respond(state, name, messages, tools)
    return Answer(turn, turn_usage(messages, tools, turn))


__all__ = ["FOUNDATION", "JUDGE", "KIND", "KNOWLEDGE_ASSISTANT", "OBJECT_TYPE", "SCOPES", "TASKS", "Answer",
           "all_endpoints", "answer", "create_endpoint", "delete_endpoint", "describe", "endpoint_id",
           "exists_id", "find_by_id", "register_endpoint_kind", "Answerer",
           "foundation_entity", "get_endpoint", "level", "require_query", "require_view", "served_name",
           "summary"]
