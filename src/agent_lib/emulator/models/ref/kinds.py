"""One filler per parameter kind: given what was found in the request, pick the value for a parameter.

Every filler takes the parameter (name, schema), the values found in the text (`Found`) and the
spans already claimed by other parameters, and returns a value and the span it used, or None.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import Any

from . import dates, lexicon, places, slots, tables, values
from .intent import read_verbs, write_verbs
from .schema import labels, tokens
from .text import STOP_WORDS, content_words, split_identifier, stem, words

Pick = tuple[Any, tuple[int, int] | None]
_END = frozenset("to target vs quote into dest destination output end".split())
_START = frozenset("from source base original input start".split())


@dataclass
class Found:
    """Typed values in one piece of text, computed once and shared by all fillers."""

    text: str
    anchor: date | None
    tool_stems: frozenset[str] = frozenset()
    used: list[tuple[int, int]] = field(default_factory=list)

    @cached_property
    def ids(self) -> list[values.Span]:
        return values.ids(self.text)

    @cached_property
    def whens(self) -> list[dates.When]:
        return dates.find_whens(self.text, self.anchor)

    @cached_property
    def numbers(self) -> list[values.Span]:
        skip = [(s.start, s.end) for s in self.ids + values.emails(self.text) + values.urls(self.text)]
        skip += [(a, b) for _, a, b in places.addresses(self.text)]
        skip += [(w.start, w.end) for w in self.whens]
        skip += [(s.start, s.end) for s in values.quoted(self.text)]
        for extra in (values.code_snippet(self.text), values.sql_statement(self.text)):
            if extra:
                skip.append((extra.start, extra.end))
        return values.numbers(self.text, skip)

    @cached_property
    def entities(self) -> list[values.Span]:
        noise = {s.raw.lower() for s in values.currencies(self.text)}
        out = []
        for e in values.entities(self.text):
            ws = [w.lower() for w in e.value.split()]
            if e.value.lower() in noise or all(stem(w) in self.tool_stems for w in ws):
                continue
            if len(ws) == 1 and _sentence_start(self.text, e.start) and _common_word(ws[0]):
                continue  # "Create a song ...": a capitalized first word is not a name
            out.append(e)
        return out

    def free(self, span: tuple[int, int]) -> bool:
        return not any(a < span[1] and span[0] < b for a, b in self.used)


def _sentence_start(text: str, pos: int) -> bool:
    return not text[:pos].strip() or text[:pos].rstrip()[-1:] in ".!?:;\n"


def _common_word(word: str) -> bool:
    return word in STOP_WORDS or word in read_verbs() or word in write_verbs() or lexicon.known(stem(word))


def direction(name: str) -> str:
    toks = tokens(name)
    return "end" if toks & _END else "start" if toks & _START else ""


def fill_id(name: str, schema: dict, found: Found, n_id_params: int, other_shapes: set[str]) -> Pick | None:
    desc = str(schema.get("description", ""))
    shapes = {values.id_shape(s.value) for s in values.ids(desc)}
    ptoks = {stem(w) for w in split_identifier(name).split()} | set(content_words(desc))
    best: tuple[float, int, values.Span] | None = None
    for s in found.ids:
        if not found.free((s.start, s.end)):
            continue
        shape = values.id_shape(s.value)
        # the parameter's own example shape ("e.g. TCK-1234") decides; another shape counts against
        score = 2.0 if shape in shapes else -2.0 if shape in other_shapes else -1.0 if shapes else 0.0
        left = {stem(w) for w in words(found.text[max(0, s.start - 25) : s.start])[-2:]}
        score += 1.0 if left & ptoks else 0.0
        if best is None or (score, -s.start) > (best[0], -best[1]):
            best = (score, s.start, s)
    if best is None or (best[0] <= 0 and not (best[0] == 0 and n_id_params == 1)):
        # a plain number right after the parameter's own word: "user 4411", "order no. 123"
        for m in re.finditer(r"(?<![\w.,-])(\d{2,})(?![\w.,-]|\.\d)", found.text):
            left = {stem(w) for w in words(found.text[max(0, m.start() - 25) : m.start()])[-2:]}
            if left & ptoks - {"number", "numb", "id"} and found.free(m.span()):
                return m.group(1), m.span()
        return None
    span = best[2]
    value = span.value
    if any(sh == values.id_shape(value) for sh in shapes) and value != value.upper():
        value = value.upper()
    return value, (span.start, span.end)


def fill_first(spans: list[values.Span], found: Found) -> Pick | None:
    for s in spans:
        if found.free((s.start, s.end)):
            return s.value, (s.start, s.end)
    return None


def fill_when(kind: str, found: Found) -> Pick | None:
    for w in found.whens:
        if not found.free((w.start, w.end)):
            continue
        value = {"date": w.as_date(), "datetime": w.as_datetime(), "time": w.time}[kind]
        if kind == "date" and w.date is None:
            continue
        if value:
            return value, (w.start, w.end)
    return None


def fill_directional(name: str, spans: list[values.Span], found: Found, text: str) -> Pick | None:
    """Currencies, languages, units: the source is tied to the amount or follows 'from', the target
    follows 'to'/'in'/'into'."""
    role = direction(name)
    free = [s for s in spans if found.free((s.start, s.end))]
    if not free:
        return None

    def after_to(s: values.Span) -> bool:
        return bool(
            re.search(r"\b(?:to|in|into|for)\s+(?:\w+\s+)?$", text[max(0, s.start - 20) : s.start], re.I)
        )

    def after_from(s: values.Span) -> bool:
        return bool(re.search(r"\bfrom\s+(?:\w+\s+)?$", text[max(0, s.start - 20) : s.start], re.I))

    def with_amount(s: values.Span) -> bool:
        return bool(re.search(r"\d\s*$", text[max(0, s.start - 3) : s.start])) or bool(
            re.match(r"\s*\d", text[s.end : s.end + 3])
        )

    if role == "end":
        # after "to"/"in"; else what the source did not take ("How many yen for 300 euros?")
        pick = next((s for s in reversed(free) if after_to(s)), None) or free[-1]
    elif role == "start":
        pick = next((s for s in free if with_amount(s) or after_from(s)), None) or next(
            (s for s in free if not after_to(s)), None
        )
    else:
        pick = next((s for s in free if with_amount(s)), None) or next(
            (s for s in free if after_to(s)), free[0]
        )
    if pick is None:
        return None
    return pick.value, (pick.start, pick.end) if len(pick.raw) > 1 else None  # "$" also belongs to the amount


def fill_enum(
    name: str,
    schema: dict,
    text: str,
    required: bool,
    topic: frozenset[str] = frozenset(),
    narrows: bool = False,
) -> Any:
    """The option the request names, by word, related word or prefix ("tech" -> technology).
    Words that only name the tool's topic (`topic`) are ignored: "refund" says nothing about why.
    A filter (`narrows`: an optional parameter of a tool that reads) needs the option's own word, or more than
    one related word: a wrong filter hides the answer, and "tickets about shipping delays" does not
    ask for tickets with status "in progress"."""
    options = schema.get("enum") or []
    if options and all(isinstance(o, str) and set(o) <= {"$"} for o in options):
        return _price_level(options, text)
    req = set(content_words(text))
    loose = req - topic
    raw = text.lower()
    best, best_score = None, 0.0
    for option in options:
        opt_text = split_identifier(str(option))
        score = 3.0 if re.search(rf"\b{re.escape(str(option).lower())}\b", raw) else 0.0
        if re.search(rf"\b{re.escape(opt_text)}\b", raw):
            score = max(score, 3.0)
        for o in content_words(opt_text):
            if o in req:
                score += 1.0
            elif lexicon.related(o) & loose:
                hits = len(lexicon.related(o) & loose)  # "laptop", "screen": hardware, more than one word
                score += min(1.0, 0.6 + 0.2 * (hits - 1))
            elif any(len(r) >= 3 and len(o) >= 3 and (o.startswith(r) or r.startswith(o)) for r in loose):
                score += 0.8
        if score > best_score:
            best, best_score = option, score
    if best_score >= (0.8 if narrows else 0.6):
        return best
    glosses = {c: g for c, g in labels(schema).items() if c in options}
    code = gloss_code(name, glosses, text) if glosses else None
    if code:
        return code
    if required:
        return schema.get("default", options[0] if options else None)
    return None


def fill_label(name: str, schema: dict, found: Found) -> Pick | None:
    """A code from the family the parameter's description lists: "P2" or "p2" for "P1 (critical),
    P2 (high), P3 or P4", or the code a gloss names next to the parameter's word ("a high-priority
    ticket" -> P2). Free text never fills such a parameter."""
    options = labels(schema)
    for m in re.finditer(r"(?<![\w-])([A-Za-z]{1,4})[ -]?(\d{1,2})(?![\w-])", found.text):
        code = m.group(1).upper() + m.group(2)
        if code in options and found.free(m.span()):
            return code, m.span()
    code = gloss_code(name, options, found.text)
    return (code, None) if code else None


def gloss_code(name: str, glosses: dict[str, str], text: str) -> str | None:
    """The code whose gloss is said next to the parameter's own word: "urgent ticket"/"high
    priority" for `priority` with "P1 = urgent, P2 = high"."""
    own = {stem(t) for t in split_identifier(name).split()} | {"priority", "severity", "sev", "tier", "level"}
    toks = words(text)
    for code, gloss in glosses.items():
        first = re.split(r"[/,;(]", gloss)[0].strip().lower()
        if not first or first in STOP_WORDS:
            continue
        g = first.split()
        for i in range(len(toks) - len(g) + 1):
            if toks[i : i + len(g)] != g:
                continue
            near = toks[max(0, i - 2) : i] + toks[i + len(g) : i + len(g) + 2]
            if any(stem(w) in own or w in own for w in near):
                return code
    return None


def _price_level(options: list[str], text: str) -> str | None:
    t = text.lower()
    levels = {
        1: r"\b(?:cheap|inexpensive|budget|affordable)\b",
        2: r"\b(?:moderate|mid-range|reasonable)\b",
        3: r"\b(?:expensive|upscale|nice|fancy)\b",
        4: r"\b(?:luxury|high-end|michelin)\b",
    }
    for level, pattern in levels.items():
        if re.search(pattern, t) and "$" * level in options:
            return "$" * level
    m = re.search(r"\${1,4}(?!\d)", text)
    return m.group(0) if m and m.group(0) in options else None


def fill_boolean(name: str, text: str) -> bool | None:
    generic = {"is", "only", "enable", "enabled", "include", "use", "flag", "allow", "should", "with"}
    toks = [t for t in split_identifier(name).split() if t not in generic]
    req = [stem(w) for w in words(text)]
    for t in toks:
        st = stem(t)
        if st in req:
            i = req.index(st)
            negated = any(
                w in ("no", "not", "without", "don't", "dont", "never") for w in req[max(0, i - 2) : i]
            )
            return not negated
    return None


def fill_location(found: Found, avoid: frozenset[str] = frozenset()) -> Pick | None:
    """A place: a street address, else the entity most like a place (known place, after "in"/"at"),
    with its region ("Chicago, IL"). Entities naming another parameter ("Plaza Hotel" when there is
    a `hotel_name`) are avoided."""
    text = found.text
    for value, a, b in places.addresses(text):
        if found.free((a, b)):
            return value, (a, b)
    weekdays = {d.lower() for d in "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split()}
    best: tuple[float, int, values.Span] | None = None
    for e in found.entities:
        if (
            not found.free((e.start, e.end))
            or e.value.lower() in weekdays
            or e.value.lower() in tables.LANGUAGES
        ):
            continue
        before = text[max(0, e.start - 12) : e.start]
        score = 1.0 + 3.0 * places.is_place(e.value)
        if re.search(r"\b(?:in|at|near|around|within|outside)\s+(?:the\s+)?$", before, re.I):
            score += 2.0
        elif re.search(r"\b(?:to|from|for|of)\s+(?:the\s+)?$", before, re.I):
            score += 1.0
        if {w.lower() for w in e.value.split()} & avoid:
            score -= 3.0
        if best is None or (score, -e.start) > (best[0], -best[1]):
            best = (score, e.start, e)
    if best and best[0] > 0:
        e = best[2]
        end = places.region_suffix(text, e.end)
        return text[e.start : end], (e.start, end)
    for p in values.place_after_preposition(text):
        if found.free((p.start, p.end)) and stem(p.value.split()[0]) not in found.tool_stems:
            return p.value, (p.start, p.end)
    return None


def fill_name(name: str, other_name_params: list[str], found: Found) -> Pick | None:
    mine = {t.lower() for t in split_identifier(name).split()}
    others = {t.lower() for n in other_name_params for t in split_identifier(n).split()} - mine
    best: tuple[float, int, values.Span] | None = None
    for e in found.entities:
        if not found.free((e.start, e.end)):
            continue
        ws = {w.lower() for w in e.value.split()}
        score = 1.0 + 0.5 * (len(ws) > 1) + 2.0 * bool(ws & mine) - 2.0 * bool(ws & others)
        score -= 2.0 * places.is_place(e.value)
        if best is None or (score, -e.start) > (best[0], -best[1]):
            best = (score, e.start, e)
    if best and best[0] > 0:
        return best[2].value, (best[2].start, best[2].end)
    return None


def fill_string(name: str, schema: dict, found: Found, required: bool) -> Pick | None:
    desc = str(schema.get("description", ""))
    shapes = {values.id_shape(s.value) for s in values.ids(desc)}
    for s in found.ids:
        if values.id_shape(s.value) in shapes and found.free((s.start, s.end)):
            return s.value, (s.start, s.end)
    for t in split_identifier(name).split():
        if len(t) >= 3 and t not in STOP_WORDS:
            m = re.search(rf"\b{re.escape(t)}s?\s+([A-Z0-9][\w-]*)", found.text, re.I)
            if m and m.group(1)[0].isupper() or m and m.group(1)[0].isdigit():
                return m.group(1), (m.start(1), m.end(1))  # "project WEB", "room 12"
            phrase = slots.phrase_ending_with(found.text, t)
            if phrase and phrase.lower() != t:
                return phrase, None
    q = fill_first(values.quoted(found.text), found)
    if q:
        return q
    e = fill_name(name, [], found)
    if e:
        return e
    if required:
        r = slots.residual(found.text, set(found.tool_stems) | lexicon.generic(), found.used)
        if r:
            return r, None
    return None
