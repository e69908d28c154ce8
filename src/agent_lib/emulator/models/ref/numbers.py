"""Numbers to numeric parameters, by the words around each number and what is attached to it.

"a height of 5 and a base of 10": each number is read with up to three words before and two
after, not across "and" or a comma, so "base" belongs to 10 only. A currency sign makes a number an
amount, a unit makes it a measure, "%" a rate, "minutes" a duration; "for 3 nights" is never a
price. A required parameter nothing matched takes a bare number nobody else claimed.
"""

from __future__ import annotations

import re
from typing import Any

from . import lexicon, values
from .kinds import Found
from .text import content_words, split_identifier, stem, words

_ABBREV = {"min": "minut", "mins": "minut", "hr": "hour", "hrs": "hour", "sec": "second", "secs": "second"}


def assign_numbers(
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


DURATIONS = frozenset(
    stem(w)
    for w in "night nights day days week weeks month months year years hour hours minute minutes".split()
)
_DURATION_PARAMS = DURATIONS | {stem(w) for w in "duration length period time long stay nights".split()}


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
    if cs & DURATIONS:
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
    return not following or (following[0] not in DURATIONS and following[0] not in others)


def _as_type(value: Any, k: str) -> Any:
    return int(value) if k == "integer" and float(value).is_integer() else value
