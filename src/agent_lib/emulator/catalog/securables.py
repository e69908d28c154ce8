"""What every Unity Catalog securable shares: names, audit fields, ownership, pagination.

Catalogs, schemas, functions and connections are JSON documents keyed by their lower-cased full
name (UC names are case-insensitive); ownership and privileges live in `state.grants`. Creating
one is always the same step (`insert_owned`: audit fields, 409 if the name is taken, the creator
as owner), so every kind answers a duplicate and records its owner the same way.
"""

from __future__ import annotations

import re
import time
from typing import Any

from ..core.errors import already_exists, invalid, permission_denied
from ..core.identity import Principal
from ..core.state import EmulatorState

METASTORE_ID = "5e1ec7ed-0a11-4c0d-9e57-0e3a7a570e11"

_BAD_NAME = re.compile(r"[.\s/\x00-\x1f]")


def now_ms() -> int:
    return int(time.time() * 1000)


def clean(doc: dict[str, Any]) -> dict[str, Any]:
    """Drop absent fields, as Databricks omits them rather than sending nulls."""
    return {k: v for k, v in doc.items() if v is not None}


def check_name(field: str, value: Any) -> str:
    """A UC object name: a non-empty string without dots, slashes or whitespace; lower-cased."""
    if not isinstance(value, str) or not value.strip():
        raise invalid(f"Missing required field: {field}")
    if _BAD_NAME.search(value):
        raise invalid(f"Invalid name '{value}' for {field}: names cannot contain '.', '/', spaces "
                      "or control characters.")
    return value.lower()


def paginate(items: list[dict[str, Any]], key: str, max_results: int | None,
             page_token: str | None) -> dict[str, Any]:
    """UC list pagination: `max_results` 0/None = everything; tokens are opaque offsets."""
    if max_results is not None and max_results < 0:
        raise invalid("max_results must be greater than or equal to 0.")
    try:
        start = int(page_token) if page_token else 0
    except ValueError:
        raise invalid(f"Invalid page_token '{page_token}'.") from None
    end = len(items) if not max_results else start + max_results
    out: dict[str, Any] = {key: items[start:end]}
    if end < len(items):
        out["next_page_token"] = str(end)
    return out


def audit(caller: Principal, doc: dict[str, Any], *, created: bool) -> None:
    """Stamp `created_*` (on creation) and `updated_*` with the caller and the time in ms."""
    ts = now_ms()
    if created:
        doc["created_at"], doc["created_by"] = ts, caller.name
    doc["updated_at"], doc["updated_by"] = ts, caller.name


def insert_owned(state: EmulatorState, caller: Principal, kind: str, securable: str, key: str,
                 doc: dict[str, Any], label: str) -> None:
    """Store a new securable owned by its creator; 409 RESOURCE_ALREADY_EXISTS if the name is taken."""
    audit(caller, doc, created=True)
    with state.store.transaction():
        if not state.store.insert(kind, key, doc):
            raise already_exists(f"{label} '{key}' already exists.")
        state.grants.create(securable, key, caller.name)


def set_owner(state: EmulatorState, securable: str, full_name: str, owner: str) -> None:
    grant_doc = state.grants.get(securable, full_name)
    grant_doc["owner"] = owner
    state.grants.put(securable, full_name, grant_doc)


def owner_view(state: EmulatorState, securable: str, full_name: str, doc: dict[str, Any]) -> dict[str, Any]:
    """The document as served: its owner (from the grants) added, absent fields dropped."""
    owner = state.grants.get(securable, full_name).get("owner")
    return clean({**doc, "owner": owner})


def sees(state: EmulatorState, caller: Principal, securable: str, full_name: str, use_priv: str) -> bool:
    """Whether the caller may see the object: its USE privilege, or BROWSE."""
    return state.grants.has(caller, securable, full_name, use_priv) or \
        state.grants.has(caller, securable, full_name, "BROWSE")


def require_manage(state: EmulatorState, caller: Principal, securable: str, full_name: str,
                   label: str) -> None:
    """Owners (of the object or a parent), MANAGE holders and admins may change or drop it."""
    if not state.grants.has(caller, securable, full_name, "MANAGE"):
        raise permission_denied(f"User is not an owner of {label} '{full_name}'.")
