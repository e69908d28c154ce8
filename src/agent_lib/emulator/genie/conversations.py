"""Genie conversations and messages: asking a space, the status a message goes through, its answer.

A message is answered when it is created (translate, run the SQL on the warehouse, keep the
result); what the API shows moves through SUBMITTED -> FILTERING_CONTEXT -> ASKING_AI ->
EXECUTING_QUERY -> COMPLETED as it is polled: at least one stage per poll, and by elapsed time
over the space's processing time (0 by default: the first poll sees COMPLETED, so the SDK's
`start_conversation_and_wait`, which sleeps a second or more after any other status, returns at
once). A question the translator cannot map still COMPLETES, with a text attachment saying what it
could not map and the space's curated questions as `suggested_questions`; a query that fails on
the warehouse ends FAILED with `error{error, type: SQL_EXECUTION_EXCEPTION}`.

Conversations belong to the user who started them; CAN_MANAGE on the space sees all of them.
"""

from __future__ import annotations

import time
from typing import Any

from ..catalog.reads import reads_of
from ..core.errors import ApiError, invalid, not_found, permission_denied
from ..core.identity import Principal
from ..core.state import EmulatorState
from ..warehouse import QueryResult, WarehouseError
from ..warehouse.demo import ensure_functions
from . import models, results
from .nl2sql import Spec, summarize, translate

CONV = "genie_conversation"
MSG = "genie_message"
_STAGES_QUERY = ("SUBMITTED", "FILTERING_CONTEXT", "ASKING_AI", "EXECUTING_QUERY")
_STAGES_TEXT = ("SUBMITTED", "FILTERING_CONTEXT", "ASKING_AI")
_ANSWER = "TEXT_ATTACHMENT_PURPOSE_ANSWER"


def _ms() -> int:
    return int(time.time() * 1000)


def _content(content: str | None) -> str:
    text = (content or "").strip()
    if not text:
        raise invalid("Field 'content' must be a non-empty question.")
    if len(text) > 10000:
        raise invalid("Field 'content' is too long (at most 10000 characters).")
    return text


# -- conversations ------------------------------------------------------------------------------

def _conversation(state: EmulatorState, caller: Principal, space_id: str, conversation_id: str,
                  level: str = "CAN_RUN") -> dict[str, Any]:
    models.require(state, caller, space_id, level)
    conv = state.store.get(CONV, f"{space_id}/{conversation_id}")
    if conv is None:
        raise not_found(f"Conversation {conversation_id} does not exist in Genie space {space_id}.")
    if conv["user_principal_id"] != caller.id and not state.acls.allows(caller, models.OBJECT_TYPE, space_id,
                                                                         "CAN_MANAGE"):
        raise permission_denied(f"User {caller.name} does not have access to conversation {conversation_id}.")
    return conv


def _conversation_view(conv: dict[str, Any]) -> dict[str, Any]:
    return {"id": conv["conversation_id"], "conversation_id": conv["conversation_id"],
            "space_id": conv["space_id"], "title": conv["title"],
            "created_timestamp": conv["created_timestamp"],
            "last_updated_timestamp": conv["last_updated_timestamp"], "user_id": conv["user_id"]}


def list_conversations(state: EmulatorState, caller: Principal, space_id: str, *, include_all: bool = False,
                       page_size: int | None = None, page_token: str | None = None) -> dict[str, Any]:
    models.require(state, caller, space_id, "CAN_MANAGE" if include_all else "CAN_VIEW")
    convs = [c for c in state.store.list(CONV, f"{space_id}/")
             if include_all or c["user_principal_id"] == caller.id]
    convs.reverse()  # newest first

    def summary(c: dict[str, Any]) -> dict[str, Any]:
        return {"conversation_id": c["conversation_id"], "title": c["title"],
                "created_timestamp": c["created_timestamp"]}

    return models._page(convs, page_size, page_token, "conversations", summary)


def delete_conversation(state: EmulatorState, caller: Principal, space_id: str, conversation_id: str) -> None:
    _conversation(state, caller, space_id, conversation_id)
    with state.store.transaction():
        for key in state.store.keys(MSG, f"{conversation_id}/"):
            state.store.delete(MSG, key)
        state.store.delete(CONV, f"{space_id}/{conversation_id}")


# -- answering ----------------------------------------------------------------------------------

def _previous_spec(state: EmulatorState, conversation_id: str) -> Spec | None:
    for doc in reversed(state.store.list(MSG, f"{conversation_id}/")):
        if doc.get("spec"):
            return Spec.from_dict(doc["spec"])
    return None


def _answer(state: EmulatorState, caller: Principal, space: dict[str, Any], conv: dict[str, Any],
            message_id: str, content: str) -> dict[str, Any]:
    """Translate, run and summarize; the message's final fields."""
    ctx = models.context(state, space)
    t = translate(content, ctx, _previous_spec(state, conv["conversation_id"]))
    out: dict[str, Any] = {"final": "COMPLETED", "attachments": [],
                           "spec": t.spec.to_dict() if t.spec else None}
    if not t.ok:
        text = t.reason or "I could not answer this question."
        if t.suggestions:
            text += " Try one of the suggested questions."
        out["attachments"].append({"attachment_id": models.new_id(state, "attachment"),
                                   "text": {"id": models.new_id(state, "text"), "content": text,
                                            "purpose": _ANSWER}})
        if t.suggestions:
            out["attachments"].append({"attachment_id": models.new_id(state, "attachment"),
                                       "suggested_questions": {"questions": list(t.suggestions)}})
        return out
    sid = results.statement_id(state)
    attachment_id = models.new_id(state, "attachment")
    query: dict[str, Any] = {"id": attachment_id, "title": t.title, "description": t.description,
                             "query": t.sql, "statement_id": sid}
    out["attachments"].append({"attachment_id": attachment_id, "query": query})
    try:
        result = _run_query(state, caller, t.sql)
    except WarehouseError as exc:
        out["final"] = "FAILED"
        out["error"] = {"error": f"SQL execution failed: {exc}", "type": "SQL_EXECUTION_EXCEPTION"}
        return out
    stored = results.store_result(state, sid, result, {
        "space_id": space["space_id"], "conversation_id": conv["conversation_id"], "message_id": message_id,
        "attachment_id": attachment_id, "user_principal_id": caller.id})
    query["query_result_metadata"] = {"row_count": stored["total_row_count"],
                                      "is_truncated": stored["truncated"]}
    out["query_result"] = {"statement_id": sid, "row_count": stored["total_row_count"],
                           "is_truncated": stored["truncated"]}
    sentence = summarize([c.name for c in result.columns], result.rows[:results.MAX_ROWS], t.spec)
    out["attachments"].append({"attachment_id": models.new_id(state, "attachment"),
                               "text": {"id": models.new_id(state, "text"), "content": sentence,
                                        "purpose": _ANSWER}})
    return out


def _run_query(state: EmulatorState, caller: Principal, sql: str) -> QueryResult:
    """Run an answer's SQL (generated, or a space's example SQL as its author wrote it) as the
    asking user, in the warehouse's sandbox: it reads only the tables `caller` holds SELECT on, and
    Genie never changes data, so an example that UPDATEs, creates a table or ATTACHes a file
    fails the message instead."""
    ensure_functions(state.warehouse)  # after a restart nothing may have registered them yet
    return state.warehouse.execute(sql, row_limit=results.MAX_ROWS + 1, access=reads_of(state, caller))


def _new_message(state: EmulatorState, caller: Principal, space: dict[str, Any], conv: dict[str, Any],
                 content: str, processing_ms: float | None = None) -> dict[str, Any]:
    mid = models.new_id(state, "message")
    now = _ms()
    doc = {"message_id": mid, "id": mid, "conversation_id": conv["conversation_id"],
           "space_id": space["space_id"], "content": content, "user_id": conv["user_id"],
           "user_principal_id": caller.id, "created_timestamp": now, "last_updated_timestamp": now,
           "polls": 0,
           "processing_ms": space.get("processing_ms", 0) if processing_ms is None else processing_ms}
    doc.update(_answer(state, caller, space, conv, mid, content))
    state.store.put(MSG, f"{conv['conversation_id']}/{mid}", doc)
    conv["last_updated_timestamp"] = now
    state.store.put(CONV, f"{space['space_id']}/{conv['conversation_id']}", conv)
    return doc


def _stages(doc: dict[str, Any]) -> tuple[str, ...]:
    return _STAGES_QUERY if any("query" in a for a in doc["attachments"]) else _STAGES_TEXT


def _status(doc: dict[str, Any], now: int) -> str:
    stages = _stages(doc)
    final = len(stages)
    total = float(doc.get("processing_ms") or 0)
    if total <= 0:
        return doc["final"]
    by_time = int((now - doc["created_timestamp"]) / (total / final))
    idx = min(final, max(by_time, doc["polls"]))
    return stages[idx] if idx < final else doc["final"]


def message_view(doc: dict[str, Any], status: str) -> dict[str, Any]:
    """The `GenieMessage` shape at a given status: attachments appear as the answer takes shape."""
    out = {k: doc[k] for k in ("id", "message_id", "conversation_id", "space_id", "content", "user_id",
                               "created_timestamp", "last_updated_timestamp")}
    out["status"] = status
    if status in ("COMPLETED", "FAILED"):
        out["attachments"] = doc["attachments"]
        if doc.get("query_result"):
            out["query_result"] = doc["query_result"]
        if doc.get("error"):
            out["error"] = doc["error"]
    elif status == "EXECUTING_QUERY":
        out["attachments"] = [{"attachment_id": a["attachment_id"],
                               "query": {k: v for k, v in a["query"].items() if k != "query_result_metadata"}}
                              for a in doc["attachments"] if "query" in a]
    return out


def start_conversation(state: EmulatorState, caller: Principal, space_id: str,
                       content: str | None) -> dict[str, Any]:
    space = models.require(state, caller, space_id, "CAN_RUN")
    text = _content(content)
    cid = models.new_id(state, "conversation")
    now = _ms()
    conv = {"conversation_id": cid, "space_id": space_id, "title": text[:100], "user_id": int(caller.id),
            "user_principal_id": caller.id, "created_timestamp": now, "last_updated_timestamp": now}
    state.store.put(CONV, f"{space_id}/{cid}", conv)
    msg = _new_message(state, caller, space, conv, text)
    return {"conversation_id": cid, "message_id": msg["message_id"], "conversation": _conversation_view(conv),
            "message": message_view(msg, "SUBMITTED")}


def create_message(state: EmulatorState, caller: Principal, space_id: str, conversation_id: str,
                   content: str | None) -> dict[str, Any]:
    conv = _conversation(state, caller, space_id, conversation_id)
    text = _content(content)
    msg = _new_message(state, caller, models.get(state, space_id), conv, text)
    return message_view(msg, "SUBMITTED")


def _message(state: EmulatorState, caller: Principal, space_id: str, conversation_id: str,
             message_id: str) -> dict[str, Any]:
    _conversation(state, caller, space_id, conversation_id)
    doc = state.store.get(MSG, f"{conversation_id}/{message_id}")
    if doc is None:
        raise not_found(f"Message {message_id} does not exist in conversation {conversation_id}.")
    return doc


def get_message(state: EmulatorState, caller: Principal, space_id: str, conversation_id: str,
                message_id: str) -> dict[str, Any]:
    """One poll: the message at its current stage (each poll moves it on by at least one stage)."""
    with state.store.transaction():
        doc = _message(state, caller, space_id, conversation_id, message_id)
        now = _ms()
        if doc["polls"] < len(_stages(doc)):
            doc["polls"] += 1
        status = _status(doc, now)
        if status in ("COMPLETED", "FAILED") and not doc.get("done"):
            doc["done"] = True
            doc["last_updated_timestamp"] = now
        state.store.put(MSG, f"{conversation_id}/{message_id}", doc)
    return message_view(doc, status)


def list_messages(state: EmulatorState, caller: Principal, space_id: str, conversation_id: str, *,
                  page_size: int | None = None, page_token: str | None = None) -> dict[str, Any]:
    _conversation(state, caller, space_id, conversation_id)
    docs = state.store.list(MSG, f"{conversation_id}/")
    now = _ms()
    return models._page(docs, page_size, page_token, "messages", lambda d: message_view(d, _status(d, now)))


def query_result(state: EmulatorState, caller: Principal, space_id: str, conversation_id: str,
                 message_id: str, attachment_id: str | None = None) -> dict[str, Any]:
    """`{statement_response}` of a message's query attachment (the first one when none is named)."""
    doc = _message(state, caller, space_id, conversation_id, message_id)
    queries = [a for a in doc["attachments"] if "query" in a]
    if attachment_id is not None:
        queries = [a for a in queries if a["attachment_id"] == attachment_id]
        if not queries:
            raise not_found(f"Attachment {attachment_id} of message {message_id} has no query result.")
    if not queries:
        raise invalid(f"Message {message_id} has no query attachment: Genie answered it with text only.")
    if _status(doc, _ms()) != "COMPLETED":
        raise ApiError(400, "BAD_REQUEST", f"The query result of message {message_id} is not available: "
                                           f"the message is {_status(doc, _ms())}.")
    stored = state.store.get(results.KIND, queries[0]["query"]["statement_id"])
    if stored is None:
        raise ApiError(400, "BAD_REQUEST", "The query result has expired; execute the query again.")
    return {"statement_response": results.statement_response(stored)}


def execute_query(state: EmulatorState, caller: Principal, space_id: str, conversation_id: str,
                  message_id: str, attachment_id: str) -> dict[str, Any]:
    """Run an attachment's SQL again (POST .../attachments/{id}/execute-query)."""
    doc = _message(state, caller, space_id, conversation_id, message_id)
    att = next((a for a in doc["attachments"] if a["attachment_id"] == attachment_id and "query" in a), None)
    if att is None:
        raise not_found(f"Attachment {attachment_id} of message {message_id} has no query.")
    try:
        result = _run_query(state, caller, att["query"]["query"])
    except WarehouseError as exc:
        raise ApiError(400, "BAD_REQUEST", f"SQL execution failed: {exc}") from None
    stored = results.store_result(state, att["query"]["statement_id"], result, {
        "space_id": space_id, "conversation_id": conversation_id, "message_id": message_id,
        "attachment_id": attachment_id, "user_principal_id": caller.id})
    return {"statement_response": results.statement_response(stored)}


# -- direct use (the Genie MCP path, in-process callers) ----------------------------------------

def ask(state: EmulatorState, caller: Principal, space_id: str, question: str,
        conversation_id: str | None = None) -> dict[str, Any]:
    """Ask a space a question and get the finished answer at once, with the same checks as the API.

    Returns {conversation_id, message_id, status, message (GenieMessage), text, sql, description,
    suggested_questions, statement_response (or None)}; a follow-up passes `conversation_id`."""
    space = models.require(state, caller, space_id, "CAN_RUN")
    text = _content(question)
    if conversation_id is None:
        started = start_conversation(state, caller, space_id, text)
        conversation_id, message_id = started["conversation_id"], started["message_id"]
    else:
        conv = _conversation(state, caller, space_id, conversation_id)
        message_id = _new_message(state, caller, space, conv, text, processing_ms=0)["message_id"]
    doc = state.store.get(MSG, f"{conversation_id}/{message_id}")
    doc["processing_ms"], doc["done"] = 0, True
    state.store.put(MSG, f"{conversation_id}/{message_id}", doc)
    message = message_view(doc, doc["final"])
    texts = [a["text"]["content"] for a in doc["attachments"] if "text" in a]
    query = next((a["query"] for a in doc["attachments"] if "query" in a), None)
    suggested = next((a["suggested_questions"]["questions"] for a in doc["attachments"]
                      if "suggested_questions" in a), [])
    stored = state.store.get(results.KIND, query["statement_id"]) if query else None
    return {"conversation_id": conversation_id, "message_id": message_id, "status": doc["final"],
            "message": message, "text": " ".join(texts), "sql": query["query"] if query else None,
            "description": query.get("description") if query else None, "suggested_questions": suggested,
            "error": (doc.get("error") or {}).get("error"),
            "statement_response": results.statement_response(stored) if stored else None}
