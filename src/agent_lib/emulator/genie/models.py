"""Genie spaces: their documents, who may see and run them, and the translator context per space.

A space is stored as kind `genie_space` with the API's fields plus `serialized` (the parsed
`serialized_space`: tables, instructions, curated example questions with SQL). Access follows
Databricks: CAN_VIEW to see a space, CAN_RUN to ask it questions, CAN_EDIT to read its serialized
form, CAN_MANAGE to see everyone's conversations; a space that does not exist answers 403
PERMISSION_DENIED, not 404 (the CLI's test server documents this behaviour of the real API).
Narrowed OAuth tokens need the `genie` or `dashboards.genie` scope.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading
from typing import Any

from ..catalog.reads import NO_READS, reads_of
from ..core.errors import ApiError, invalid, permission_denied
from ..core.identity import Principal, require_scope
from ..core.state import EmulatorState
from ..warehouse import WarehouseError
from .nl2sql import Context, Example
from .nl2sql.vocab import DataVocabulary

KIND = "genie_space"
SCOPES = ("genie", "dashboards.genie")
OBJECT_TYPE = "genie"
_ctx_lock = threading.Lock()


def exists(state: EmulatorState, space_id: str) -> bool:
    """Whether a space exists (the permissions API's `genie` object type)."""
    return state.store.get(KIND, space_id) is not None



def new_id(state: EmulatorState, kind: str) -> str:
    """A 32-hex id like Databricks' (`01f0...`), from a persistent counter: deterministic per workspace."""
    n = state.store.next_id(f"genie_{kind}")
    return "01f0" + hashlib.sha1(f"{kind}:{n}".encode()).hexdigest()[:28]


def _now_rfc3339() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


# -- serialized_space ---------------------------------------------------------------------------

def parse_serialized(raw: str | dict[str, Any] | None) -> dict[str, Any]:
    """The `serialized_space` JSON (version 2 export format) as a dict; 400 names the field when bad."""
    if raw is None or raw == "":
        return {"version": 2}
    if isinstance(raw, dict):
        return raw
    try:
        doc = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise invalid(f"Invalid value for field 'serialized_space': not valid JSON ({exc.msg}).") from None
    if not isinstance(doc, dict):
        raise invalid("Invalid value for field 'serialized_space': expected a JSON object.")
    return doc


def _text(value: Any) -> str:
    """Export fields hold strings as lists of lines."""
    if isinstance(value, list):
        return "".join(str(v) for v in value)
    return str(value or "")


def tables(serialized: dict[str, Any]) -> list[str]:
    sources = (serialized.get("data_sources") or {}).get("tables", [])
    return [str(t["identifier"]).lower() for t in sources if t.get("identifier")]


def examples(serialized: dict[str, Any]) -> list[Example]:
    out = []
    for ex in (serialized.get("instructions") or {}).get("example_question_sqls", []):
        question, sql = _text(ex.get("question")), _text(ex.get("sql"))
        if question and sql:
            out.append(Example(question, sql, _text(ex.get("title")) or question,
                               _text(ex.get("usage_guidance")) or question))
    return out


def sample_questions(serialized: dict[str, Any]) -> list[str]:
    own = [_text(q.get("question")) for q in (serialized.get("config") or {}).get("sample_questions", [])]
    return [q for q in own if q] or [e.question for e in examples(serialized)]


# -- spaces -------------------------------------------------------------------------------------

def create_space(state: EmulatorState, owner: Principal | None, *, warehouse_id: str,
                 serialized_space: str | dict[str, Any] | None, title: str | None = None,
                 description: str | None = None, parent_path: str | None = None,
                 space_id: str | None = None) -> dict[str, Any]:
    if not warehouse_id:
        raise invalid("Missing required field: warehouse_id")
    serialized = parse_serialized(serialized_space)
    sid = space_id or new_id(state, "space")
    path = parent_path or (f"/Users/{owner.name}" if owner and owner.kind == "user" else "/Shared")
    if path.startswith("/Workspace/"):
        path = path[len("/Workspace"):]
    now = _now_rfc3339()
    doc = {"space_id": sid, "title": title or "New Genie space", "description": description or "",
           "warehouse_id": warehouse_id, "parent_path": path, "serialized": serialized,
           "create_time": now, "update_time": now, "etag": "1", "processing_ms": 0}
    state.store.put(KIND, sid, doc)
    state.acls.create(OBJECT_TYPE, sid, owner)
    return doc


def get(state: EmulatorState, space_id: str) -> dict[str, Any]:
    doc = state.store.get(KIND, space_id)
    if doc is None:
        raise permission_denied(f"Genie space {space_id} does not exist or you do not have access to it.")
    return doc


def require(state: EmulatorState, caller: Principal, space_id: str, level: str) -> dict[str, Any]:
    """The space, once the caller's token scope and permission level allow `level` on it."""
    require_scope(caller, *SCOPES)
    doc = get(state, space_id)
    state.acls.require(caller, OBJECT_TYPE, space_id, level, label=doc["title"])
    return doc


def view(doc: dict[str, Any], *, serialized: bool = False) -> dict[str, Any]:
    """The `GenieSpace` shape; `serialized_space` and `etag` only when asked for, as the API does."""
    out = {k: doc[k] for k in ("space_id", "title", "description", "warehouse_id", "parent_path",
                               "create_time", "update_time") if doc.get(k)}
    if serialized:
        out["serialized_space"] = json.dumps(doc["serialized"], separators=(",", ":"))
        out["etag"] = doc["etag"]
    return out


def list_spaces(state: EmulatorState, caller: Principal, page_size: int | None = None,
                page_token: str | None = None) -> dict[str, Any]:
    require_scope(caller, *SCOPES)
    visible = [d for d in state.store.list(KIND)
               if state.acls.allows(caller, OBJECT_TYPE, d["space_id"], "CAN_VIEW")]
    return _page(visible, page_size, page_token, "spaces", view)


def _page(docs: list[dict[str, Any]], page_size: int | None, page_token: str | None, key: str,
          render: Any) -> dict[str, Any]:
    if page_size is not None and page_size < 0:
        raise invalid("Invalid value for field 'page_size': must not be negative.")
    try:
        start = int(page_token) if page_token else 0
    except ValueError:
        raise invalid("Invalid value for field 'page_token'.") from None
    size = page_size or 100
    out: dict[str, Any] = {key: [render(d) for d in docs[start:start + size]]}
    if start + size < len(docs):
        out["next_page_token"] = str(start + size)
    return out


def update_space(state: EmulatorState, caller: Principal, space_id: str,
                 changes: dict[str, Any]) -> dict[str, Any]:
    with state.store.transaction():
        doc = require(state, caller, space_id, "CAN_EDIT")
        etag = changes.pop("etag", None)
        if etag and etag != doc["etag"]:
            raise ApiError(409, "RESOURCE_CONFLICT",
                           f"Etag mismatch: expected {doc['etag']}, got {etag}. "
                           "Get the space again and retry.")
        before = json.dumps(doc, sort_keys=True)
        for key in ("title", "description", "warehouse_id", "parent_path"):
            if changes.get(key):
                doc[key] = changes[key]
        if changes.get("serialized_space"):
            doc["serialized"] = parse_serialized(changes["serialized_space"])
        if json.dumps(doc, sort_keys=True) != before:
            doc["etag"] = str(int(doc["etag"]) + 1)
            doc["update_time"] = _now_rfc3339()
        state.store.put(KIND, space_id, doc)
    forget_context(state, space_id)
    return doc


def trash_space(state: EmulatorState, caller: Principal, space_id: str) -> None:
    require(state, caller, space_id, "CAN_MANAGE")
    state.store.delete(KIND, space_id)
    state.acls.drop(OBJECT_TYPE, space_id)
    forget_context(state, space_id)


def set_processing_time(state: EmulatorState, space_id: str, ms: float) -> None:
    """Emulator knob (not an API field): how long a message takes to complete in this space.

    0 (the default) completes a message by its first poll, so the SDK's waiter returns at once;
    otherwise the status moves through its stages over `ms`, and at least one stage per poll."""
    with state.store.transaction():
        doc = get(state, space_id)
        doc["processing_ms"] = max(0.0, float(ms))
        state.store.put(KIND, space_id, doc)


# -- translator context -------------------------------------------------------------------------

def context(state: EmulatorState, doc: dict[str, Any]) -> Context:
    """The NL->SQL context of a space (distinct values read once per space version, with the
    space owner's reads: a user who may run the space learns no value its owner could not read)."""
    key = f"genie.ctx.{doc['space_id']}.{doc['etag']}"
    with _ctx_lock:
        ctx = state.runtime.get(key)
        if ctx is None:
            from ..warehouse.demo import ensure_functions

            ensure_functions(state.warehouse)
            serialized = doc["serialized"]
            try:
                owner = _owner(state, doc["space_id"])
                access = reads_of(state, owner) if owner else NO_READS
                ctx = Context.load(lambda sql: state.warehouse.execute(sql, access=access).rows,
                                   examples(serialized), tables(serialized) or ())
            except WarehouseError:  # the space's tables are not in the warehouse: its queries will fail
                ctx = Context(DataVocabulary(), tuple(examples(serialized)), tuple(tables(serialized)))
            state.runtime[key] = ctx
        return ctx


def _owner(state: EmulatorState, space_id: str) -> Principal | None:
    key = state.acls.get(OBJECT_TYPE, space_id).get("owner") or ""
    return state.identities.named(key.partition(":")[2]) if ":" in key else None


def forget_context(state: EmulatorState, space_id: str) -> None:
    with _ctx_lock:
        for key in [k for k in state.runtime if k.startswith(f"genie.ctx.{space_id}.")]:
            state.runtime.pop(key, None)
