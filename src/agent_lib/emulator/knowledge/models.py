"""Knowledge Assistants (Agent Bricks): the assistants, their knowledge sources, and answers.

An assistant is a document (kind `knowledge-assistant`) with an agent serving endpoint
`ka-<first 8 hex of id>-endpoint` (`serving.models`, task `agent/v1/responses`). Its answers come
from its knowledge sources: a `files` source whose path is the demo policies volume
(`POLICIES_VOLUME`) holds the Markdown documents shipped in `knowledge/docs/`; sections are ranked
with BM25 (`ranking`) and the answer quotes and cites the best ones, or says it could not find it.

Functions other services call:

    ka_answer(state, caller, ka_id, question)  -> ranking.Answer (text, found, citations); checks CAN_QUERY
    answer_messages(state, ka_id, messages)     -> ranking.Answer for a conversation (no access check)
    annotations_for(answer)                     -> Responses `url_citation` annotations for answer.text
"""

from __future__ import annotations

import hashlib
import re
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..core.errors import ApiError, invalid, not_found, permission_denied
from ..core.identity import Principal, require_scope
from ..models.base import ModelTurn
from ..serving import models as serving
from ..serving.usage import turn_usage
from . import ranking

if TYPE_CHECKING:
    from ..core.state import EmulatorState
    from ..models.base import Message

KIND = "knowledge-assistant"
SOURCE_KIND = "knowledge-source"
OBJECT_TYPE = "knowledge-assistants"
DOCS_DIR = Path(__file__).parent / "docs"
POLICIES_VOLUME = "/Volumes/main/support/policies"
SOURCE_TYPES = ("files", "index", "file_table")
UPDATABLE = ("display_name", "description", "instructions")


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def endpoint_name_for(ka_id: str) -> str:
    return f"ka-{ka_id.replace('-', '')[:8]}-endpoint"


def experiment_id_for(ka_id: str) -> str:
    return str(int(hashlib.md5(f"ka-experiment:{ka_id}".encode()).hexdigest(), 16) % 10**15 + 10**15)


# -- assistants ---------------------------------------------------------------------------------

def create(state: EmulatorState, creator: Principal | None, *, display_name: str, description: str,
           instructions: str | None = None, ka_id: str | None = None) -> dict[str, Any]:
    """A new assistant (ACTIVE at once) with its serving endpoint; the creator owns both."""
    if not isinstance(display_name, str) or not display_name.strip():
        raise invalid("Missing required field: display_name")
    if not isinstance(description, str) or not description.strip():
        raise invalid("Missing required field: description")
    for other in state.store.list(KIND):
        if other["display_name"].lower() == display_name.strip().lower() and other["id"] != ka_id:
            raise ApiError(409, "RESOURCE_ALREADY_EXISTS",
                           f"A Knowledge Assistant named '{display_name}' already exists.")
    ka_id = ka_id or str(uuid.uuid4())
    creator_name = creator.name if creator else "admin@example.com"
    doc = {"id": ka_id, "display_name": display_name.strip(), "description": description,
           "instructions": instructions, "endpoint_name": endpoint_name_for(ka_id),
           "experiment_id": experiment_id_for(ka_id), "creator": creator_name, "create_time": _now(),
           "state": "ACTIVE"}
    with state.store.transaction():
        state.store.put(KIND, ka_id, doc)
        state.acls.create(OBJECT_TYPE, ka_id, creator)
        serving.create_endpoint(
            state, doc["endpoint_name"], kind=serving.KNOWLEDGE_ASSISTANT, creator=creator_name,
            owner=creator,
            description=f"Agent endpoint of Knowledge Assistant '{doc['display_name']}'",
            served_entities=[{"name": doc["endpoint_name"].removesuffix("-endpoint"),
                              "entity_name": f"knowledge-assistants/{ka_id}", "entity_version": "1"}],
            extra={"knowledge_assistant_id": ka_id})
    return doc


def get(state: EmulatorState, ka_id: str) -> dict[str, Any]:
    doc = state.store.get(KIND, ka_id)
    if doc is None:
        raise not_found(f"Knowledge Assistant '{ka_id}' does not exist.")
    return doc


def all_assistants(state: EmulatorState) -> list[dict[str, Any]]:
    return state.store.list(KIND)


def exists(state: EmulatorState, ka_id: str) -> bool:
    return state.store.get(KIND, ka_id) is not None


def update(state: EmulatorState, ka_id: str, changes: dict[str, Any], mask: list[str]) -> dict[str, Any]:
    for field in mask:
        if field not in UPDATABLE:
            raise invalid(f"update_mask: field '{field}' cannot be updated (allowed: {', '.join(UPDATABLE)})")
    with state.store.transaction():
        doc = get(state, ka_id)
        for field in mask:
            doc[field] = changes.get(field)
        state.store.put(KIND, ka_id, doc)
    return doc


def delete(state: EmulatorState, ka_id: str) -> None:
    doc = get(state, ka_id)
    with state.store.transaction():
        for key in state.store.keys(SOURCE_KIND, prefix=f"{ka_id}/"):
            state.store.delete(SOURCE_KIND, key)
        state.store.delete(KIND, ka_id)
        state.acls.drop(OBJECT_TYPE, ka_id)
        serving.delete_endpoint(state, doc["endpoint_name"])
    _indexes(state).pop(ka_id, None)


def describe(doc: dict[str, Any], *, listing: bool = False) -> dict[str, Any]:
    """`KnowledgeAssistant` as a dict (`state` is not returned in list responses)."""
    out = {"name": f"knowledge-assistants/{doc['id']}", "id": doc["id"], "knowledge_assistant_id": doc["id"],
           "display_name": doc["display_name"], "description": doc["description"],
           "instructions": doc.get("instructions"), "endpoint_name": doc["endpoint_name"],
           "experiment_id": doc["experiment_id"], "creator": doc.get("creator"),
           "create_time": doc.get("create_time")}
    if not listing:
        out["state"] = doc.get("state", "ACTIVE")
    return {k: v for k, v in out.items() if v is not None}


# -- access -------------------------------------------------------------------------------------

def level(state: EmulatorState, caller: Principal, doc: dict[str, Any]) -> str | None:
    """CAN_QUERY / CAN_MANAGE on the assistant, or through its serving endpoint."""
    order = ("CAN_QUERY", "CAN_MANAGE")
    ranks = []
    own = state.acls.effective_level(caller, OBJECT_TYPE, doc["id"])
    if own in order:
        ranks.append(order.index(own))
    ep = state.store.get(serving.KIND, doc["endpoint_name"])
    if ep is not None:
        via = state.acls.effective_level(caller, serving.OBJECT_TYPE, ep["id"])
        if via in order:
            ranks.append(order.index(via))
    return order[max(ranks)] if ranks else None


def require(state: EmulatorState, caller: Principal, doc: dict[str, Any], needed: str = "CAN_QUERY") -> None:
    require_scope(caller, *serving.SCOPES)
    have = level(state, caller, doc)
    if have is None or (needed == "CAN_MANAGE" and have != "CAN_MANAGE"):
        raise permission_denied(f"User {caller.name} does not have {needed} on knowledge assistant "
                                f"'{doc['display_name']}' ({doc['id']}).")


# -- knowledge sources ---------------------------------------------------------------------------

def add_source(state: EmulatorState, ka_id: str, body: dict[str, Any]) -> dict[str, Any]:
    get(state, ka_id)
    for field in ("display_name", "description", "source_type"):
        if not isinstance(body.get(field), str) or not body[field]:
            raise invalid(f"Missing required field: {field}")
    kind = body["source_type"]
    if kind not in SOURCE_TYPES:
        raise invalid(f"source_type must be one of {', '.join(SOURCE_TYPES)} (got {kind!r})")
    spec = body.get(kind)
    if not isinstance(spec, dict):
        raise invalid(f"Missing required field: {kind} (the {kind} source's specification)")
    if kind == "files" and not str(spec.get("path", "")).startswith("/Volumes/"):
        raise invalid("files.path must be a Unity Catalog volume path "
                      "(/Volumes/<catalog>/<schema>/<volume>/...)")
    ks_id = str(uuid.uuid4())
    doc = {"id": ks_id, "knowledge_assistant_id": ka_id, "display_name": body["display_name"],
           "description": body["description"], "source_type": kind, kind: spec, "state": "UPDATED",
           "create_time": _now(), "knowledge_cutoff_time": _now()}
    state.store.put(SOURCE_KIND, f"{ka_id}/{ks_id}", doc)
    _indexes(state).pop(ka_id, None)
    return doc


def sources(state: EmulatorState, ka_id: str) -> list[dict[str, Any]]:
    return state.store.list(SOURCE_KIND, prefix=f"{ka_id}/")


def get_source(state: EmulatorState, ka_id: str, ks_id: str) -> dict[str, Any]:
    doc = state.store.get(SOURCE_KIND, f"{ka_id}/{ks_id}")
    if doc is None:
        raise not_found(f"Knowledge source '{ks_id}' does not exist in Knowledge Assistant '{ka_id}'.")
    return doc


def delete_source(state: EmulatorState, ka_id: str, ks_id: str) -> None:
    get_source(state, ka_id, ks_id)
    state.store.delete(SOURCE_KIND, f"{ka_id}/{ks_id}")
    _indexes(state).pop(ka_id, None)


def describe_source(doc: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in doc.items() if k != "knowledge_assistant_id"}
    out["name"] = f"knowledge-assistants/{doc['knowledge_assistant_id']}/knowledge-sources/{doc['id']}"
    return out


def _source_sections(doc: dict[str, Any]) -> list[ranking.Section]:
    if doc.get("source_type") == "files":
        path = str(doc.get("files", {}).get("path", "")).rstrip("/")
        if path == POLICIES_VOLUME or path.startswith(POLICIES_VOLUME + "/"):
            return ranking.load_sections(DOCS_DIR, POLICIES_VOLUME)
    return []  # other volumes, vector indexes and file tables hold nothing in the emulator


# -- answers ------------------------------------------------------------------------------------

def _indexes(state: EmulatorState) -> dict[str, ranking.Index]:
    return state.runtime.setdefault("knowledge-indexes", {})


def index_for(state: EmulatorState, ka_id: str) -> ranking.Index:
    cache = _indexes(state)
    idx = cache.get(ka_id)
    if idx is None:
        sections: list[ranking.Section] = []
        for src in sources(state, ka_id):
            sections.extend(_source_sections(src))
        idx = cache[ka_id] = ranking.Index(sections)
    return idx


def answer_question(state: EmulatorState, ka_id: str, question: str) -> ranking.Answer:
    get(state, ka_id)
    if not question.strip():
        raise invalid("the question is empty: send a user message with the question")
    return index_for(state, ka_id).answer(question)


def answer_messages(state: EmulatorState, ka_id: str, messages: list[Message]) -> ranking.Answer:
    """Answer the conversation's last user message (no access check: the caller has done it)."""
    question = next((m.content for m in reversed(messages) if m.role == "user"), "")
    return answer_question(state, ka_id, question)


def ka_answer(state: EmulatorState, caller: Principal, ka_id: str, question: str) -> ranking.Answer:
    """What the Knowledge Assistant answers `caller` (CAN_QUERY on the assistant or its endpoint)."""
    doc = get(state, ka_id)
    require(state, caller, doc)
    return answer_question(state, ka_id, question)


def annotations_for(answer: ranking.Answer) -> list[dict[str, Any]]:
    """`url_citation` annotations pointing each `[n]` marker of the answer at its document section."""
    out: list[dict[str, Any]] = []
    for c in answer.citations:
        marker = f"[{c.index}]"
        at = answer.text.find(marker)
        if at < 0:
            continue
        anchor = re.sub(r"[^a-z0-9]+", "-", c.section.lower()).strip("-")
        out.append({"type": "url_citation", "url": f"{c.path}#{anchor}" if anchor else c.path,
                    "title": f"{c.title} — {c.section}" if c.section else c.title,
                    "start_index": at, "end_index": at + len(marker)})
    return out


def is_endpoint(state: EmulatorState, name: Any) -> bool:
    """Whether `name` is a Knowledge Assistant's serving endpoint."""
    if not isinstance(name, str) or not name:
        return False
    doc = state.store.get(serving.KIND, name)
    return doc is not None and doc.get("kind") == serving.KNOWLEDGE_ASSISTANT


def endpoint_answer(state: EmulatorState, doc: dict[str, Any], messages: list[Message],
                    tools: list[Any]) -> serving.Answer:
    """How a Knowledge Assistant's serving endpoint answers: retrieval over its sources, cited."""
    if tools:
        raise invalid(f"tools are not supported by Knowledge Assistant endpoint '{doc['name']}'; "
                      "send only the conversation")
    result = answer_messages(state, doc["knowledge_assistant_id"], messages)
    turn = ModelTurn(text=result.text)
    return serving.Answer(turn, turn_usage(messages, tools, turn), annotations_for(result))


__all__ = ["DOCS_DIR", "KIND", "endpoint_answer", "is_endpoint", "OBJECT_TYPE", "POLICIES_VOLUME", "add_source", "all_assistants",
           "annotations_for", "answer_messages", "answer_question", "create", "delete", "delete_source",
           "describe", "describe_source",
           "endpoint_name_for", "exists", "get", "get_source", "index_for", "ka_answer", "level", "require",
           "sources", "update"]
