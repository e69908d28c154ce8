"""Parallel calls for coordinated values: "the factorial of 5 and 7", "120 USD in EUR and GBP".

After a call's arguments are filled, a value that is followed by "and"/"or"/a comma and another
value of the same kind stands for a list: the call is repeated once per value. Two lists of the
same length joined by "respectively" are zipped ("Taylor Swift and Adele for 20 and 15 minutes
respectively"). Dates are left alone: "today and tomorrow" is a range, not two requests.
"""

from __future__ import annotations

import re
from typing import Any

from . import places, tables, values

EXPANDABLE = frozenset("integer number location name ticker coin currency language id email url word".split())
_JOINER = re.compile(r"^\s*(?:,\s*(?:and|or)?|and|or|&|as well as)\s+", re.I)
MAX_VALUES = 5


def expand(
    arguments: dict[str, Any], evidence: frozenset[str], kinds: dict[str, str], text: str
) -> list[dict[str, Any]]:
    """One argument set per coordinated value (the arguments themselves when there is no list)."""
    lists: dict[str, list[Any]] = {}
    for name in sorted(evidence):
        if name not in arguments or kinds[name] not in EXPANDABLE:
            continue
        taken = [v for k, v in arguments.items() if k != name]
        more = _following(arguments[name], kinds[name], text, taken)
        if more:
            lists[name] = [arguments[name]] + more
    if not lists:
        return [arguments]
    lengths = {len(v) for v in lists.values()}
    if len(lists) > 1 and len(lengths) == 1 and re.search(r"\brespectively\b", text, re.I):
        n = lengths.pop()
        return [{**arguments, **{k: v[i] for k, v in lists.items()}} for i in range(n)]
    name = max(lists, key=lambda k: (len(lists[k]), k))
    return [{**arguments, name: v} for v in lists[name]]


def _following(value: Any, k: str, text: str, taken: list[Any]) -> list[Any]:
    """Values of the same kind coordinated right after `value` in the text."""
    raw = _raw_form(value, k, text)
    if raw is None:
        return []
    pos = raw[1]
    out: list[Any] = []
    while len(out) < MAX_VALUES - 1:
        unit = (
            re.match(r"\s*([A-Za-z]+)(?=\s*(?:,|and\b|or\b|&))", text[pos:])
            if k in ("integer", "number")
            else None
        )
        if unit and unit.group(1).lower() not in ("and", "or"):
            pos += unit.end()  # "20 minutes and 15 minutes": the unit repeats after each number
        m = _JOINER.match(text[pos:])
        if not m:
            break
        start = pos + m.end()
        nxt = _value_at(text, start, k)
        if (
            nxt is None
            or nxt[0] in taken
            or (
                k == "location"
                and places.is_place(str(nxt[0]))
                and "," in m.group(0)
                and str(nxt[0]) in places.US_STATES
            )
        ):
            break  # "(4, 5)" fills x and y; "Chicago, IL" is one place
        pos = nxt[1]
        if unit:
            again = re.match(rf"\s*{re.escape(unit.group(1))}\b", text[pos:], re.I)
            if not again:
                break  # "70 kg and 175 cm" are two different measures, not a list
            pos += again.end()
        out.append(nxt[0])
    return out


def _raw_form(value: Any, k: str, text: str) -> tuple[int, int] | None:
    """Where the filled value was written (its end matters: the list continues from there)."""
    if k in ("integer", "number"):
        for n in values.numbers(text):
            if n.value == value:
                return n.start, n.end
        return None
    finders = {
        "currency": values.currencies,
        "language": values.languages,
        "ticker": values.tickers,
        "coin": values.coins,
        "id": values.ids,
        "email": values.emails,
        "url": values.urls,
    }
    if k in finders:
        for s in finders[k](text):
            if s.value == value:
                return s.start, s.end
        return None
    i = text.find(str(value))
    return (i, i + len(str(value))) if i >= 0 else None


def _value_at(text: str, start: int, k: str) -> tuple[Any, int] | None:
    """A value of kind `k` starting exactly at `start`, and where it ends."""
    rest = text[start:]
    if k in ("integer", "number"):
        n = next((n for n in values.numbers(rest) if n.start == 0 or rest[: n.start].strip() in "$€£¥"), None)
        return (n.value, start + n.end) if n else None
    finders = {
        "currency": values.currencies,
        "language": values.languages,
        "ticker": values.tickers,
        "coin": values.coins,
        "id": values.ids,
        "email": values.emails,
        "url": values.urls,
    }
    if k in finders:
        s = next((s for s in finders[k](rest) if s.start <= 1), None)
        return (s.value, start + s.end) if s else None
    lead = re.match(r"(?:the\s+)?", rest).end()
    e = next((e for e in values.entities(rest) if e.start == lead), None)  # "and I can wait" is no name
    if e and e.value.lower() not in tables.LANGUAGES:
        return e.value, start + e.end
    return None
