"""SCIM list requests: the filter language, sorting, paging and attribute projection.

`filter` supports what the SDK and notebooks send: `attr op "value"` (eq, ne, co, sw, ew, pr, gt,
ge, lt, le; case-insensitive), `and` / `or` / `not` and parentheses, over attribute paths such as
`emails.value` (a multi-valued complex attribute compared directly means its `value`). Listings
are 1-based (`startIndex`) as SCIM says.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from .scim import SCHEMA_LIST, Resource, ScimError

DEFAULT_PAGE = 10000  # what the SDK asks for when the caller gives no count

_TOKEN = re.compile(
    r'\s*(?:(?P<lp>\()|(?P<rp>\))|(?P<str>"(?:[^"\\]|\\.)*")|(?P<word>[A-Za-z0-9_.:$\-]+))')
_OPS = {"eq", "ne", "co", "sw", "ew", "pr", "gt", "ge", "lt", "le"}


def _tokens(expr: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    expr = expr.rstrip()
    while pos < len(expr):
        m = _TOKEN.match(expr, pos)
        if m is None or m.end() == pos:
            raise ScimError(400, f"Invalid filter '{expr}': unexpected text at position {pos}.",
                            "invalidFilter")
        kind = m.lastgroup or ""
        out.append((kind, m.group(kind)))
        pos = m.end()
    return out


def _values(resource: Resource, path: str) -> list[Any]:
    """All values at an attribute path (case-insensitive names; multi-valued attributes flattened)."""
    current: list[Any] = [resource]
    for part in path.split("."):
        nxt: list[Any] = []
        for item in current:
            if isinstance(item, list):
                item_list = item
            else:
                item_list = [item]
            for it in item_list:
                if isinstance(it, dict):
                    for k, v in it.items():
                        if k.lower() == part.lower():
                            nxt.extend(v if isinstance(v, list) else [v])
        current = nxt
    # A multi-valued complex attribute compared directly means its `value` sub-attribute.
    flat: list[Any] = []
    for v in current:
        if isinstance(v, dict):
            if "value" in v:
                flat.append(v["value"])
        else:
            flat.append(v)
    return flat


def _compare(op: str, have: Any, want: Any) -> bool:
    if isinstance(have, bool) or isinstance(want, bool):
        return op in ("eq", "ne") and ((have == want) == (op == "eq"))
    a, b = str(have).lower(), str(want).lower()
    return {"eq": a == b, "ne": a != b, "co": b in a, "sw": a.startswith(b), "ew": a.endswith(b),
            "gt": a > b, "ge": a >= b, "lt": a < b, "le": a <= b}[op]


Predicate = Callable[[Resource], bool]


def parse_filter(expr: str) -> Predicate:
    """A predicate for a SCIM filter: `attr op "value"`, `pr`, `and`/`or`/`not`, parentheses."""
    toks = _tokens(expr)
    pos = 0

    def bad(why: str) -> ScimError:
        return ScimError(400, f"Invalid filter '{expr}': {why}.", "invalidFilter")

    def peek() -> tuple[str, str] | None:
        return toks[pos] if pos < len(toks) else None

    def take() -> tuple[str, str]:
        nonlocal pos
        if pos >= len(toks):
            raise bad("unexpected end of filter")
        pos += 1
        return toks[pos - 1]

    def chain(operand: Callable[[], Predicate], word: str,
              join: Callable[[Predicate, Predicate], Predicate]) -> Predicate:
        """`operand (word operand)*`, folded left with `join` (`or` over `and` over unary)."""
        left = operand()
        while (t := peek()) and t[0] == "word" and t[1].lower() == word:
            take()
            left = join(left, operand())
        return left

    def parse_or() -> Predicate:
        return chain(parse_and, "or", lambda lf, rf: lambda r: lf(r) or rf(r))

    def parse_and() -> Predicate:
        return chain(parse_unary, "and", lambda lf, rf: lambda r: lf(r) and rf(r))

    def parse_unary() -> Predicate:
        t = take()
        if t[0] == "word" and t[1].lower() == "not":
            inner = parse_unary()
            return lambda r: not inner(r)
        if t[0] == "lp":
            inner = parse_or()
            if take()[0] != "rp":
                raise bad("missing ')'")
            return inner
        if t[0] != "word":
            raise bad(f"expected an attribute name, got {t[1]}")
        attr = t[1]
        op_tok = take()
        op = op_tok[1].lower()
        if op_tok[0] != "word" or op not in _OPS:
            raise bad(f"unsupported operator '{op_tok[1]}' (use eq, ne, co, sw, ew, pr, gt, ge, lt, le)")
        if op == "pr":
            return lambda r: any(v not in (None, "", []) for v in _values(r, attr))
        val_tok = take()
        if val_tok[0] == "str":
            want: Any = re.sub(r"\\(.)", r"\1", val_tok[1][1:-1])
        elif val_tok[0] == "word" and val_tok[1].lower() in ("true", "false"):
            want = val_tok[1].lower() == "true"
        elif val_tok[0] == "word":
            want = val_tok[1]
        else:
            raise bad(f"expected a value after '{attr} {op}'")
        if op == "ne":
            return lambda r: not any(_compare("eq", v, want) for v in _values(r, attr))
        return lambda r: any(_compare(op, v, want) for v in _values(r, attr))

    predicate = parse_or()
    if pos != len(toks):
        raise bad(f"unexpected '{toks[pos][1]}'")
    return predicate


def list_response(resources: list[Resource], *, filter: str | None, start_index: int | None,
                  count: int | None, sort_by: str | None, sort_order: str | None,
                  attributes: str | None, excluded: str | None) -> Resource:
    """Filter, sort, page and project a SCIM listing (`startIndex` is 1-based)."""
    if filter:
        predicate = parse_filter(filter)
        resources = [r for r in resources if predicate(r)]
    if sort_by:
        order = (sort_order or "ascending").lower()
        if order not in ("ascending", "descending"):
            raise ScimError(400, f"Invalid sortOrder '{sort_order}': use ascending or descending.",
                            "invalidValue")
        resources = sorted(resources, key=lambda r: str((_values(r, sort_by) or [""])[0]).lower(),
                           reverse=order == "descending")
    total = len(resources)
    start = max(1, start_index or 1)
    size = DEFAULT_PAGE if count is None else max(0, count)
    page = resources[start - 1:start - 1 + size]
    out: Resource = {"schemas": [SCHEMA_LIST], "totalResults": total, "startIndex": start,
                     "itemsPerPage": len(page)}
    if page:
        out["Resources"] = [project(r, attributes, excluded) for r in page]
    return out


def project(resource: Resource, attributes: str | None, excluded: str | None) -> Resource:
    """SCIM `attributes` / `excludedAttributes` (top-level names; `id` and `schemas` always kept)."""
    out = dict(resource)
    if attributes:
        keep = {a.strip().split(".")[0].lower() for a in attributes.split(",") if a.strip()}
        keep |= {"id", "schemas"}
        out = {k: v for k, v in out.items() if k.lower() in keep}
    if excluded:
        drop = {a.strip().split(".")[0].lower() for a in excluded.split(",") if a.strip()}
        drop -= {"id", "schemas"}
        out = {k: v for k, v in out.items() if k.lower() not in drop}
    return out
