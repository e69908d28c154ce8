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
from . import kinds, lexicon, slots, values
from .kinds import Found
from .relevance import properties, tool_doc
from .schema import QUERY_NAMES, json_type, param_kinds, role, tokens
from .text import content_words, split_identifier, stem, words

ORDER = (
    "id email url sql code date datetime time currency language unit coin ticker enum boolean integer "
    "number origin destination username location name title body word expression array string query "
    "object"
).split()
_NO_HISTORY = frozenset("query body title expression code sql boolean string".split())
_ABBREV = {"min": "minut", "mins": "minut", "hr": "hour", "hrs": "hour", "sec": "second", "secs": "second"}


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
    args = _fill_from(found, props, pkinds, required)
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
    found: Found, props: dict[str, dict], pkinds: dict[str, str], required: set[str]
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
                pick = (lexicon.LANGUAGES[pick[0].lower()], pick[1])
        elif k == "unit":
            pick = kinds.fill_directional(name, values.units(text), found, text)
        elif k == "coin":
            pick = kinds.fill_first(values.coins(text), found) or kinds.fill_first(
                [t for t in values.tickers(text) if t.raw.isupper()], found
            )
        elif k == "ticker":
            pick = kinds.fill_first(values.tickers(text), found)
        elif k == "enum":
            value = kinds.fill_enum(name, schema, text, False, found.tool_stems)
            pick = (value, None) if value is not None else None
        elif k == "boolean":
            value = kinds.fill_boolean(name, text)
            pick = (value, None) if value is not None else None
        elif k in ("integer", "number"):
            if not numbers_done:
                numeric = [n for n in order if pkinds[n] in ("integer", "number")]
                args.update(_assign_numbers(numeric, props, pkinds, required, found))
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
            pick = (_query_text(name, found), None)
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


def _assign_numbers(
    names: list[str], props: dict, pkinds: dict, required: set[str], found: Found
) -> dict[str, Any]:
    """Match numbers to numeric parameters by the words around them ("for 3 nights" -> nights)."""
    text = found.text
    nums = [n for n in found.numbers if found.free((n.start, n.end))]
    unit_spans = values.units(text)
    scores = []
    for name in names:
        ptoks = {stem(t) for t in split_identifier(name).split()} | set(
            content_words(str(props[name].get("description", "")))
        )
        ptoks -= {"numb", "valu"} if len(ptoks) > 2 else set()
        related = set().union(*(lexicon.related(t) for t in ptoks)) if ptoks else set()
        for n in nums:
            aff = _affinity(ptoks, related, n, _context(text, n), text, unit_spans)
            if pkinds[name] == "integer" and not float(n.value).is_integer():
                aff -= 1.0
            scores.append((aff, -n.start, name, n))
    out: dict[str, Any] = {}
    taken: set[int] = set()
    for aff, _, name, n in sorted(scores, key=lambda s: (-s[0], -s[1], names.index(s[2]))):
        if aff > 0 and name not in out and n.start not in taken:
            out[name] = _as_type(n.value, pkinds[name])
            taken.add(n.start)
            found.used.append((n.start, n.end))
    for name in names:
        if name in required and name not in out:  # a bare number nothing else claims
            others = {stem(t) for o in names if o != name for t in split_identifier(o).split()}
            n = next((n for n in nums if n.start not in taken and _bare(text, n, others)), None)
            if n is not None:
                out[name] = _as_type(n.value, pkinds[name])
                taken.add(n.start)
                found.used.append((n.start, n.end))
    return out


_DURATIONS = frozenset(
    stem(w)
    for w in "night nights day days week weeks month months year years hour hours minute minutes".split()
)
_DURATION_PARAMS = _DURATIONS | {stem(w) for w in "duration length period time long stay nights".split()}


_PEOPLE_PARAMS = frozenset(
    stem(w) for w in "party people guests passengers travellers attendees seats adults".split()
)
_MONEY_PARAMS = frozenset("amount pric cost budget fee pay money salary".split())
_MEASURE_PARAMS = frozenset("valu quantity amount distanc length weight measur".split())


def _affinity(
    ptoks: set[str], related: set[str], n: values.Span, cs: set[str], text: str, unit_spans: list[values.Span]
) -> float:
    """How well a number fits a parameter: shared words around it, and what is attached to it
    (a currency for amounts, a unit for measures, "%" for rates, a duration for durations)."""
    aff = len(ptoks & cs) + 0.6 * len(related & cs)
    money = n.raw[:1] in "$€£¥₹" or bool(values.currencies(text[n.end : n.end + 12]))
    if ptoks & _MONEY_PARAMS:
        aff += 1.5 if money else -0.5  # "for 3 nights" is not a price
    if "%" in n.raw and ptoks & {"percent", "percentag", "rat", "tip", "discount"}:
        aff += 1.0
    if ("°" in n.raw or "degre" in cs) and ptoks & {"temperatur", "degre"}:
        aff += 1.0
    if any(0 <= u.start - n.end <= 12 for u in unit_spans) and ptoks & _MEASURE_PARAMS:
        aff += 1.0
    if ptoks & _PEOPLE_PARAMS and re.search(r"\bfor\s+$", text[max(0, n.start - 5) : n.start], re.I):
        aff += 0.8  # "a table for two", "for 3 people"
    if cs & _DURATIONS:
        is_duration = ptoks & _DURATION_PARAMS and not ptoks & _MONEY_PARAMS  # not a "price per night"
        aff += 1.0 if is_duration else -1.0  # "for 20 minutes" -> duration, only
    return aff


def _context(text: str, n: values.Span) -> set[str]:
    """Stems of the words next to a number, up to 3 before and 2 after, not across "and" or a
    comma: in "a height of 5 and a base of 10", "base" belongs to 10 only."""

    def clause(tokens: list[str]) -> list[str]:
        out = []
        for t in tokens:
            if t in (",", ";", "and", "or", "but", "while", "whereas"):
                break
            out.append(t)
        return out

    before = re.findall(r"[A-Za-z][\w'-]*|[,;]", text[max(0, n.start - 40) : n.start].lower())
    after = re.findall(r"[A-Za-z][\w'-]*|[,;]", text[n.end : n.end + 30].lower())
    near = clause(list(reversed(before)))[:3] + clause(after)[:2]
    return {_ABBREV.get(w, stem(w)) for w in near}


def _bare(text: str, n: values.Span, others: set[str]) -> bool:
    """A number free for any required parameter: not a duration ("3 nights") and not followed by a
    word that names another parameter."""
    following = [stem(w) for w in words(text[n.end : n.end + 20])[:1]]
    return not following or (following[0] not in _DURATIONS and following[0] not in others)


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
    words_to_n = {
        "one": 1,
        "two": 2,
        "three": 3,
        "four": 4,
        "five": 5,
        "six": 6,
        "seven": 7,
        "ten": 10,
        "fourteen": 14,
    }
    n = int(m.group(1)) if m.group(1).isdigit() else words_to_n[m.group(1).lower()]
    days = n * (7 if m.group(2).lower().startswith("week") else 1)
    args[end] = (date.fromisoformat(start[:10]) + timedelta(days=days)).isoformat()


def _as_type(value: Any, k: str) -> Any:
    return int(value) if k == "integer" and float(value).is_integer() else value


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


def _query_text(name: str, found: Found) -> str:
    toks = tokens(name) | {name.lower()}
    text = found.text.strip()
    if toks & {"query", "q", "search", "keywords", "keyword", "term", "terms", "phrase", "topic"}:
        return slots.strip_command(text, search=True)
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
    ):
        return schema.get("default")
    if k == "enum":
        return kinds.fill_enum(name, schema, found.text, True)
    if k == "boolean":
        return schema.get("default", False)
    if k == "title":
        return slots.subject_text(found.text) or slots.strip_command(found.text)
    if k in ("location", "name", "word", "string"):
        return slots.residual(
            found.text, set(found.tool_stems) | lexicon.GENERIC, found.used
        ) or slots.strip_command(found.text)
    if k in QUERY_NAMES or k in ("query", "title", "body", "sql", "code", "expression"):
        return slots.strip_command(found.text)
    return None
