"""Arguments for a chosen tool, filled from the request and the tool's parameter schema.

Parameters are filled kind by kind, most specific first (ids, emails and dates before names and
free text), and each value claims the span of text it came from so that one phrase is not used
twice. What the text does not say is looked up in earlier user turns (for required parameters:
"refund it" after "check order SO-10042"); a required free-text parameter falls back to the
request itself. Ids, emails and URLs are never guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from ..base import ToolSpec
from . import intent, kinds, lexicon, slots, tables, values
from .kinds import Found
from .numbers import assign_numbers
from .relevance import properties, tool_doc
from .schema import QUERY_NAMES, json_type, param_kinds, role, tokens
from .text import content_words, split_identifier

ORDER = (
    "id email url sql code date datetime time currency language unit coin ticker enum label boolean integer "
    "number origin destination username location name title body word expression array string query "
    "object"
).split()
_NO_HISTORY = frozenset("query body title expression code sql boolean string".split())


@dataclass(frozen=True)
class Filled:
    """Arguments for one call, and which of them the request itself supplied."""

    arguments: dict[str, Any]
    evidence: frozenset[str]


def fill(tool: ToolSpec, text: str, history: tuple[str, ...] = (), anchor: date | None = None) -> Filled:
    """Fill `tool`'s parameters from `text`; `history` holds earlier user text, nearest first."""
    props = properties(tool)
    required = set((tool.parameters or {}).get("required") or []) & set(props)
    pkinds = param_kinds(tool)
    found = Found(text, anchor, frozenset(tool_doc(tool).head))
    args = _fill_from(found, props, pkinds, required, intent.tool_polarity(tool) == "read")
    evidence = frozenset(args)
    _end_from_duration(args, props, pkinds, text, anchor)
    for name in sorted(required - set(args), key=list(props).index):
        k = pkinds[name]
        if k not in _NO_HISTORY:
            for earlier in history:
                offset = earlier.find(text) if text else -1
                used = [(a + offset, b + offset) for a, b in found.used] if offset >= 0 else []
                got = _fill_from(
                    Found(earlier, anchor, found.tool_stems, used), {name: props[name]}, {name: k}, {name}
                )
                if name in got:
                    args[name] = got[name]
                    break
        if name not in args:
            value = _fallback(name, props[name], k, found)
            if value is not None:
                args[name] = value
    return Filled({n: args[n] for n in props if n in args}, evidence)


def _fill_from(
    found: Found, props: dict[str, dict], pkinds: dict[str, str], required: set[str], reads: bool = False
) -> dict[str, Any]:
    args: dict[str, Any] = {}
    text = found.text
    id_params = [n for n, k in pkinds.items() if k == "id"]
    name_params = [n for n, k in pkinds.items() if k in ("name", "string")]
    route = slots.route(text)
    order = sorted(props, key=lambda n: (ORDER.index(pkinds[n]), role(n) == "end", list(props).index(n)))
    numbers_done = False
    for name in order:
        schema, k = props[name], pkinds[name]
        pick: kinds.Pick | None = None
        if k == "id":
            others = {
                values.id_shape(s.value)
                for o in props
                if o != name
                for s in values.ids(str(props[o].get("description", "")))
            }
            pick = kinds.fill_id(name, schema, found, len(id_params), others)
        elif k == "email":
            pick = kinds.fill_first(values.emails(text), found)
        elif k == "url":
            pick = kinds.fill_first(values.urls(text), found)
        elif k == "sql":
            s = values.sql_statement(text)
            pick = (s.value, (s.start, s.end)) if s else None
        elif k == "code":
            s = values.code_snippet(text)
            pick = (s.value, (s.start, s.end)) if s else None
        elif k in ("date", "datetime", "time"):
            pick = kinds.fill_when(k, found)
        elif k == "currency":
            pick = kinds.fill_directional(name, values.currencies(text), found, text)
        elif k == "language":
            pick = kinds.fill_directional(name, values.languages(text), found, text)
            if pick and _wants_code(schema):
                pick = (tables.LANGUAGES[pick[0].lower()], pick[1])
        elif k == "unit":
            pick = kinds.fill_directional(name, values.units(text), found, text)
        elif k == "coin":
            pick = kinds.fill_first(values.coins(text), found) or kinds.fill_first(
                [t for t in values.tickers(text) if t.raw.isupper()], found
            )
        elif k == "ticker":
            pick = kinds.fill_first(values.tickers(text), found)
        elif k == "enum":
            is_filter = name not in required and reads
            value = kinds.fill_enum(name, schema, text, False, found.tool_stems, is_filter)
            pick = (value, None) if value is not None else None
        elif k == "label":
            pick = kinds.fill_label(name, schema, found)
        elif k == "boolean":
            value = kinds.fill_boolean(name, text)
            pick = (value, None) if value is not None else None
        elif k in ("integer", "number"):
            if not numbers_done:
                numeric = [n for n in order if pkinds[n] in ("integer", "number")]
                args.update(assign_numbers(numeric, props, pkinds, required, found))
                numbers_done = True
            continue
        elif k in ("origin", "destination"):
            value = route[0] if k == "origin" else route[1]
            if value:
                pick = (value, _span_of(text, value))
            elif k == "destination" and not route[0]:
                pick = kinds.fill_location(found)
        elif k == "username":
            value = slots.username(text)
            pick = (value, _span_of(text, value)) if value else kinds.fill_first(values.emails(text), found)
        elif k == "location":
            avoid = frozenset(t for n in name_params for t in tokens(n)) - {"name", "full", "first", "last"}
            pick = kinds.fill_location(found, avoid)
        elif k == "name":
            pick = kinds.fill_name(name, [n for n in name_params if pkinds[n] == "name"], found)
        elif k == "title":
            q = values.quoted(text)
            value = slots.title(text) or (q[0].value if q else None)
            pick = (value, _span_of(text, value)) if value else None
        elif k == "body":
            value = slots.body(text)
            pick = (value, None) if value else None
        elif k == "word":
            pick = kinds.fill_first(values.quoted(text), found)
        elif k == "expression":
            value = slots.math_expression(text)
            pick = (value, None) if value else None
        elif k == "array":
            value = _fill_array(name, schema, found)
            pick = (value, None) if value else None
        elif k == "string":
            pick = kinds.fill_string(name, schema, found, name in required)
        elif k == "query":
            taken = frozenset(w for v in args.values() if isinstance(v, str) for w in content_words(v))
            pick = (_query_text(name, found, taken), None)
        if pick is not None and pick[0] not in (None, "", []):
            args[name] = pick[0]
            if pick[1]:
                found.used.append(pick[1])
    return args


def _wants_code(schema: dict) -> bool:
    desc = str(schema.get("description", "")).lower()
    return "code" in desc or "iso" in desc or bool(re.search(r"['\"(]\s*[a-z]{2}\s*['\")]", desc))


def _span_of(text: str, value: str) -> tuple[int, int] | None:
    i = text.find(value)
    return (i, i + len(value)) if i >= 0 else None


def _end_from_duration(
    args: dict[str, Any], props: dict, pkinds: dict, text: str, anchor: date | None
) -> None:
    """An end date from a start date and "for 3 nights" / "for two weeks"."""
    start = next(
        (args[n] for n in props if n in args and pkinds[n] in ("date", "datetime") and role(n) == "start"),
        None,
    )
    end = next(
        (n for n in props if n not in args and pkinds[n] in ("date", "datetime") and role(n) == "end"), None
    )
    m = re.search(
        r"\b(\d+|one|two|three|four|five|six|seven|ten|fourteen)\s+(nights?|days?|weeks?)\b", text, re.I
    )
    if not (start and end and m and isinstance(start, str) and re.match(r"\d{4}-\d{2}-\d{2}", start)):
        return
    n = int(m.group(1)) if m.group(1).isdigit() else values.NUMBER_WORDS[m.group(1).lower()]
    days = n * (7 if m.group(2).lower().startswith("week") else 1)
    args[end] = (date.fromisoformat(start[:10]) + timedelta(days=days)).isoformat()


def _fill_array(name: str, schema: dict, found: Found) -> list | None:
    items = schema.get("items") or {}
    desc = (str(schema.get("description", "")) + " " + str(items.get("description", ""))).lower()
    toks = tokens(name)
    if items.get("enum"):
        hits = [
            o
            for o in items["enum"]
            if re.search(rf"\b{re.escape(split_identifier(str(o)))}\b", found.text.lower())
        ]
        return hits or None
    if "email" in desc or toks & {
        "attendees",
        "recipients",
        "emails",
        "cc",
        "bcc",
        "invitees",
        "participants",
    }:
        return [e.value for e in values.emails(found.text)] or None
    if json_type(items) in ("integer", "number"):
        return [n.value for n in found.numbers if found.free((n.start, n.end))] or None
    return (
        slots.list_items(found.text)
        or [e.value for e in found.entities if found.free((e.start, e.end))]
        or None
    )


def _query_text(name: str, found: Found, taken: frozenset[str] = frozenset()) -> str:
    """Free text for a query-like parameter; `taken`: stems of values other parameters took."""
    toks = tokens(name) | {name.lower()}
    text = found.text.strip()
    if toks & {"query", "q", "search", "keywords", "keyword", "term", "terms", "phrase", "topic"}:
        return _without_topic(slots.strip_command(text, search=True), found.tool_stems | taken)
    if toks & {"text", "message", "content", "input", "utterance"}:
        q = kinds.fill_first(values.quoted(text), found)
        if q:
            return q[0]
        s = slots.subject_text(text)
        if s:
            for w in found.whens:
                s = s.replace(text[w.start : w.end], "")
            s = re.sub(r"\s{2,}", " ", s).strip(" ,.")
            return re.sub(r"\s+(?:on|at|for|by|in|from)$", "", s, flags=re.I)
    return slots.strip_command(text)


def _without_topic(text: str, tool_stems: frozenset[str]) -> str:
    """Search words without a lead that only names what the tool searches, or a filter another
    parameter took: "(closed) support tickets about shipping delays" -> "shipping delays" for a
    ticket search (its records all are tickets)."""
    m = re.match(
        r"^((?:[\w-]+\s+){1,4}?)"
        r"(?:about|regarding|concerning|mentioning|related to|on the (?:topic|subject) of)\s+(\S.*)$",
        text,
        re.I | re.S,
    )
    if not m:
        return text
    lead = content_words(m.group(1))
    if lead and all(w in tool_stems or w in lexicon.generic() for w in lead):
        return m.group(2).strip()
    return text


def _fallback(name: str, schema: dict, k: str, found: Found) -> Any:
    """A best guess for a required parameter the request did not fill (never for ids)."""
    if k in (
        "id",
        "email",
        "url",
        "username",
        "origin",
        "destination",
        "date",
        "datetime",
        "time",
        "currency",
        "language",
        "unit",
        "coin",
        "ticker",
        "integer",
        "number",
        "array",
        "object",
        "label",
    ):
        return schema.get("default")
    if k == "enum":
        return kinds.fill_enum(name, schema, found.text, True)
    if k == "boolean":
        return schema.get("default", False)
    if k == "title":
        return slots.subject_text(found.text) or slots.strip_command(found.text)
    if k in ("location", "name", "word", "string"):  # a phrase of the request, never all of it
        return slots.residual(found.text, set(found.tool_stems) | lexicon.generic(), found.used)
    if k in QUERY_NAMES or k in ("query", "title", "body", "sql", "code", "expression"):
        return slots.strip_command(found.text)
    return None
