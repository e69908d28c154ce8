"""Calls that need another call's output first: "look up Acme in the CRM and email their contact".

The model never invents an id, an email address or a URL. When a planned call lacks such a
required value and other calls run in the same turn, it waits; in the next round the value is
taken from those calls' outputs (a JSON field with a matching name: `email` for a recipient,
`order_id` for an order id), and the call runs then. If no output has it, the call is dropped and
the final answer says what was missing.
"""

from __future__ import annotations

import json
from typing import Any

from ..base import Message, ToolCall
from .plan import Call
from .schema import param_kinds, tokens

NEEDS_SOURCE = frozenset({"id", "email", "url", "username"})


def missing(call: Call) -> list[str]:
    """Required parameters of a planned call that must come from somewhere real and are absent."""
    required = (call.tool.parameters or {}).get("required") or []
    kinds = param_kinds(call.tool)
    return [p for p in required if p not in call.arguments and kinds.get(p) in NEEDS_SOURCE]


def split_ready(calls: list[Call]) -> tuple[list[Call], list[Call]]:
    """(calls to make now, calls waiting for another call's output)."""
    ready = [c for c in calls if not missing(c)]
    if not ready:
        return calls, []  # nothing could supply the value: call anyway and let the tool say what is wrong
    return ready, [c for c in calls if missing(c)]


def complete(call: Call, results: list[tuple[ToolCall, Message | None]]) -> Call | None:
    """The call with its missing values taken from earlier outputs, or None if they are not there."""
    fields = [f for _, out in results if out is not None for f in _fields(out.content)]
    kinds = param_kinds(call.tool)
    args = dict(call.arguments)
    for name in missing(call):
        value = _lookup(name, kinds[name], fields)
        if value is None:
            return None
        args[name] = value
    return Call(call.tool, args, call.part)


def _fields(content: str) -> list[tuple[str, Any]]:
    try:
        data = json.loads(content)
    except (TypeError, ValueError):
        return []
    if isinstance(data, list) and data and isinstance(data[0], dict):
        data = data[0]
    out: list[tuple[str, Any]] = []
    if isinstance(data, dict):
        for k, v in data.items():
            if isinstance(v, dict):
                out += [(f"{k}_{k2}", v2) for k2, v2 in v.items() if isinstance(v2, (str, int))]
            elif isinstance(v, list) and v and isinstance(v[0], dict):
                out += [(k2, v2) for k2, v2 in v[0].items() if isinstance(v2, (str, int))]
            elif isinstance(v, (str, int)) and not isinstance(v, bool):
                out.append((k, v))
    return out


def _lookup(name: str, kind: str, fields: list[tuple[str, Any]]) -> Any:
    want = tokens(name)
    for key, value in fields:
        if key.lower() == name.lower():
            return value
    for key, value in fields:
        have = tokens(key)
        if kind == "email" and ("email" in have or "@" in str(value)):
            return value
        if kind == "url" and have & {"url", "link", "href"}:
            return value
        if (
            kind in ("id", "username")
            and (want - {"id", "number", "no"}) & have
            and have & {"id", "number", "no", "name", "login", "username"}
        ):
            return value
    return None
