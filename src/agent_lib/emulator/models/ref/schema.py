"""What kind of value a parameter wants, read from its name, JSON-schema type, format and description.

Argument filling works per kind (an id, an email, a start date, a city, a free-text question...),
so a tool the model has never seen still gets sensible arguments as long as its parameter names
and descriptions follow ordinary conventions (`order_id`, `from_currency`, `check_in`, `query`).
"""

from __future__ import annotations

import re
from typing import Any

from .text import split_identifier

QUERY_NAMES = frozenset(
    "query question q prompt text input message content request search keywords keyword topic "
    "utterance ask term terms phrase".split()
)
ID_SUFFIXES = _ID_SUFFIXES = frozenset("id ids number no num code ref reference key sku uuid guid".split())
_NOT_ID = frozenset("phone zip postal country language lang currency area promo discount airport".split())
_START = frozenset("start from begin since after departure depart check_in checkin origin source".split())
_END = frozenset("end to until till before return check_out checkout destination dest".split())


def tokens(name: str) -> set[str]:
    """Words of a parameter name: `departure_date` -> {'departure', 'date'}."""
    return set(split_identifier(name).split())


def json_type(schema: dict[str, Any]) -> str:
    """The JSON type, normalizing OpenAPI/BFCL spellings ('dict', 'float', 'int', ['string','null'])."""
    t = schema.get("type", "string")
    if isinstance(t, list):
        t = next((x for x in t if x != "null"), "string")
    return {
        "dict": "object",
        "float": "number",
        "double": "number",
        "int": "integer",
        "long": "integer",
        "bool": "boolean",
        "list": "array",
        "tuple": "array",
        "str": "string",
        "any": "string",
    }.get(str(t), str(t))


def normalize(schema: Any) -> dict[str, Any]:
    """A parameter schema with an optional value's `anyOf: [{...}, {"type": "null"}]` (what Pydantic
    writes for `X | None`) read as the non-null branch, keeping the outer description and default."""
    if not isinstance(schema, dict):
        return {}
    if "type" in schema or not isinstance(schema.get("anyOf") or schema.get("oneOf"), list):
        return schema
    options = schema.get("anyOf") or schema.get("oneOf")
    branches = [b for b in options if isinstance(b, dict) and b.get("type") != "null"]
    if not branches:
        return schema
    outer = {k: v for k, v in schema.items() if k not in ("anyOf", "oneOf")}
    return {**branches[0], **outer}


def properties(parameters: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    """The normalized parameter schemas of a JSON-schema object, tolerant of odd schemas."""
    props = (parameters or {}).get("properties") or {}
    return {k: normalize(v) for k, v in props.items()} if isinstance(props, dict) else {}


_LABEL = re.compile(r"(?<![\w-])([A-Z]{1,4})(\d{1,2})(?![\w-])")
_LABEL_RANGE = re.compile(r"(?<![\w-])([A-Z]{1,4})(\d)\s*(?:-|–|to|through)\s*(?:\1)?(\d)(?![\w-])")
_GLOSS = re.compile(r"\s*(?:\(([^()]{1,40})\)|[=:]\s*([A-Za-z][\w /-]{0,30}?)(?=\s*[,;.(]|\s+or\b|$))")


def labels(schema: dict[str, Any]) -> dict[str, str]:
    """Short codes from one family that a text parameter's description lists ("P1 (critical), P2
    (high), P3 or P4", "SEV1-SEV4"), each with the words that gloss it ({'P1': 'critical', ...}).
    At least two codes with the same letters, or a range, are needed: one code is an example."""
    desc = str(schema.get("description", ""))
    found: dict[str, str] = {}
    for m in _LABEL_RANGE.finditer(desc):
        lo, hi = int(m.group(2)), int(m.group(3))
        for n in range(lo, hi + 1) if 0 <= hi - lo <= 9 else ():
            found.setdefault(f"{m.group(1)}{n}", "")
    for m in _LABEL.finditer(desc):
        gloss = _GLOSS.match(desc[m.end() :])
        code = m.group(1) + m.group(2)
        found[code] = (gloss.group(1) or gloss.group(2) or "").strip() if gloss else found.get(code, "")
    prefixes = [re.sub(r"\d+", "", c) for c in found]
    family = max(sorted(set(prefixes)), key=prefixes.count, default="")
    if prefixes.count(family) < 2:
        return {}
    return {c: g for c, g in found.items() if re.sub(r"\d+", "", c) == family}


def role(name: str) -> str:
    """'start', 'end' or '' for parameters that come in pairs (from/to, check_in/check_out)."""
    raw = name.lower()
    toks = tokens(name)
    if toks & _START or raw in _START:
        return "start"
    if toks & _END or raw in _END:
        return "end"
    return ""


_DIRECTIONS = frozenset("from to source target src dst dest input output base quote into".split())


def param_kinds(tool: Any) -> dict[str, str]:
    """Kinds of all parameters of a `ToolSpec`, reading the tool's purpose for bare names like `to`."""
    hint = f"{split_identifier(tool.name)} {tool.description or ''}".lower()
    return {n: kind(n, s, hint) for n, s in properties(tool.parameters).items()}


def kind(name: str, schema: dict[str, Any], tool_hint: str = "") -> str:
    """The kind of value a parameter wants (see module docstring). `tool_hint` is the tool's name and
    description: in a translation tool a parameter called `to` wants a language."""
    toks = tokens(name)
    desc = str(schema.get("description", "")).lower()
    if toks and toks <= _DIRECTIONS | {"lang", "language", "currency", "unit"} and not schema.get("enum"):
        if "translat" in tool_hint or "language" in tool_hint:
            return "language"
        if "currenc" in tool_hint or "exchange rate" in tool_hint or "money" in tool_hint:
            return "currency"
        if "unit" in tool_hint or "measure" in tool_hint:
            return "unit"
    typ = json_type(schema)
    fmt = str(schema.get("format", ""))
    if schema.get("enum"):
        return "enum"
    if typ == "boolean":
        return "boolean"
    if typ in ("integer", "number"):
        return typ
    if typ == "array":
        return "array"
    if typ == "object":
        return "object"
    if (
        fmt == "email"
        or toks & {"email", "emails", "recipient", "cc", "bcc"}
        or (toks & {"to", "sender"} and "email" in desc)
    ):
        return "email"
    if fmt in ("uri", "url") or toks & {"url", "link", "website", "uri", "href"} or "url" in desc.split():
        return "url"
    if "sql" in toks or (toks & {"statement", "query"} and ("sql" in desc or "select" in desc)):
        return "sql"
    if toks & {"currency", "currencies"} or (
        ("currency" in desc) and not toks & {"amount", "value", "price"}
    ):
        return "currency"
    if toks & {"language", "lang", "locale"} or ("language" in desc and "programming" not in desc):
        return "language"
    if typ == "string" and labels(schema):
        return "label"
    if fmt in ("date", "date-time", "time") or toks & {"date", "day", "deadline", "due", "dob", "birthday"}:
        return {"date-time": "datetime", "time": "time"}.get(
            fmt, "date" if "time" not in toks else "datetime"
        )
    if toks & {"time", "datetime", "when", "at", "start", "end", "checkin", "checkout"} and (
        "date" in desc or "time" in desc or "when" in desc
    ):
        return "datetime"
    if toks & {"check"} and toks & {"in", "out"}:
        return "date"
    if typ == "string" and ("yyyy-mm-dd" in desc or re.match(r"(?:the\s+)?(?:[a-z-]+\s+)?date\b", desc)):
        return "datetime" if re.search(r"\bhh:mm|date and time|datetime", desc) else "date"  # "Opening date"
    if _is_code(name, toks, desc):
        return "code"
    if toks & {"unit", "units"}:
        return "unit"
    if toks & {"coin", "crypto", "cryptocurrency"} or ("coin" in desc and "symbol" in desc):
        return "coin"
    if toks & {"ticker", "symbol", "stock"}:
        return "ticker"
    if toks & {"username", "login", "userid", "handle"} or (toks == {"user"}):
        return "username"
    if _is_id(name, toks, ""):
        return "id"
    if toks & {"origin", "pickup", "departure", "from", "source", "start"}:
        return "origin"
    if toks & {"destination", "dest", "dropoff", "arrival", "to"}:
        return "destination"
    if toks & {
        "location",
        "loc",
        "city",
        "place",
        "near",
        "address",
        "town",
        "country",
        "region",
        "area",
        "where",
        "venue",
        "neighborhood",
        "neighbourhood",
        "state",
    }:
        return "location"
    if _is_id(name, toks, desc):
        return "id"
    if toks & {"expression", "formula", "equation", "expr", "math"}:
        return "expression"
    if toks & {"title", "subject", "headline", "summary", "name"} and toks & {
        "title",
        "subject",
        "headline",
        "summary",
        "event",
        "meeting",
    }:
        return "title"
    if toks & {"body", "note", "notes", "comment", "details", "description", "reason", "remark"}:
        return "body"
    if toks & {
        "name",
        "employee",
        "person",
        "contact",
        "customer",
        "assignee",
        "owner",
        "author",
        "artist",
        "attendee",
        "company",
        "organization",
        "player",
        "team",
        "league",
    }:
        return "name"
    if toks & QUERY_NAMES or name.lower() in QUERY_NAMES:
        return "query"
    if toks & {"word"}:
        return "word"
    return "string"


def _is_code(name: str, toks: set[str], desc: str) -> bool:
    if name.lower() in ("code", "source_code", "script", "snippet", "program") or toks & {
        "script",
        "snippet",
    }:
        return True
    return "code" in toks and not toks & _NOT_ID and any(w in desc for w in ("python", "source", "program"))


def _is_id(name: str, toks: set[str], desc: str) -> bool:
    if toks & _NOT_ID or toks & {"name", "title"}:
        return False
    if (
        (toks & _ID_SUFFIXES and len(toks) > 1)
        or name.lower() in ("id", "sku", "ref")
        or toks & {"tracking", "invoice"}
    ):
        return True
    head = desc[:60]
    return (
        bool(head)
        and any(w in head for w in (" id", "id ", "identifier", " code", "code ", "number"))
        and "name" not in head
    )


def id_like(name: str, schema: dict[str, Any]) -> bool:
    """Parameters whose values must never be guessed."""
    return kind(name, schema) in ("id", "email", "url", "username")
