"""What kind of value a parameter wants, read from its name, JSON-schema type, format and description.

Argument filling works per kind (an id, an email, a start date, a city, a free-text question...),
so a tool the model has never seen still gets sensible arguments as long as its parameter names
and descriptions follow ordinary conventions (`order_id`, `from_currency`, `check_in`, `query`).
"""

from __future__ import annotations

from typing import Any

from .text import split_identifier

QUERY_NAMES = frozenset(
    "query question q prompt text input message content request search keywords keyword topic "
    "utterance ask term terms phrase".split()
)
_ID_SUFFIXES = frozenset("id ids number no num code ref reference key sku uuid guid".split())
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
    props = (tool.parameters or {}).get("properties") or {}
    hint = f"{split_identifier(tool.name)} {tool.description or ''}".lower()
    return {n: kind(n, s if isinstance(s, dict) else {}, hint) for n, s in props.items()}


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
