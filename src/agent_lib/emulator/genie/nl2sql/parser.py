"""From a question to a `Spec`: time ranges first, then the longest known phrases, then the rules
that decide what each entity word is doing ("how many customers" counts them, "top 5 customers"
groups by them, "list customers in Germany" lists them, "enterprise customers" only qualifies).

A word that is neither known nor a stopword is reported back instead of being guessed at.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field, replace

from .assemble import Assembler, Item
from .lexicon import NUMBER_WORDS, STOPWORDS, Lexicon, M, Meaning, stem, tokenize
from .semantic import MEASURES
from .spec import Filter, Spec, merge
from .timeparse import parse_time

_ORDER_ID = re.compile(r"so-\d{3,}")
_CUSTOMER_ID = re.compile(r"c-\d{3,}")
_NUMBER = re.compile(r"\d+(?:\.\d+)?k?")
_STRONG = ("measure", "dim", "entity")
_IMPERATIVE_WRITES = frozenset({"set", "mark", "change", "assign", "move", "reassign", "flag"})


@dataclass
class Parsed:
    spec: Spec | None
    unknown: list[str] = field(default_factory=list)
    write: bool = False  # asks to change data
    followup: bool = False  # completed from the previous question
    empty: bool = False  # nothing in it refers to the data


def _resolve(meanings: list[Meaning]) -> list[Meaning]:
    strong = [m for m in meanings if m.kind in _STRONG and not m.weak]
    if strong:
        return strong + [m for m in meanings if m.kind in ("rank", "sold")]
    values = [m for m in meanings if m.kind == "value"]
    return values[:1] if values else meanings


def _number(tok: str) -> float | None:
    if tok in NUMBER_WORDS:
        return float(NUMBER_WORDS[tok])
    if _NUMBER.fullmatch(tok):
        return float(tok[:-1]) * 1000 if tok.endswith("k") else float(tok)
    return None


def _scan(tokens: list[str], skip: set[int], lexicon: Lexicon) -> tuple[list[Item], list[str]]:
    words = [stem(t) for t in tokens]
    items: list[Item] = []
    unknown: list[str] = []
    i = 0
    while i < len(tokens):
        if i in skip:
            i += 1
            continue
        end = i
        while end < len(tokens) and end not in skip:
            end += 1
        n, meanings = lexicon.match(words[:end], i)
        if n:
            text = " ".join(tokens[i:i + n])
            items.append(Item(len(items), i, text, _resolve(meanings), tokens[i + n - 1]))
            i += n
            continue
        tok = tokens[i]
        num = _number(tok)
        if num is not None:
            items.append(Item(len(items), i, tok, [M("number", num)], tok))
        elif tok not in STOPWORDS and words[i] not in STOPWORDS:
            unknown.append(tok)
        i += 1
    return items, unknown


def parse(question: str, lexicon: Lexicon, first: dt.date, last: dt.date,
          previous: Spec | None = None) -> Parsed:
    """Parse one question; with `previous`, a partial follow-up is completed from it."""
    tokens = tokenize(question)
    if not tokens:
        return Parsed(None, empty=True)
    ids = {i for i, t in enumerate(tokens) if _ORDER_ID.fullmatch(t) or _CUSTOMER_ID.fullmatch(t)}
    time = parse_time(tokens, first, last)
    items, unknown = _scan(tokens, ids | time.consumed, lexicon)
    if any(it.has("write") for it in items) or tokens[0] in _IMPERATIVE_WRITES:
        return Parsed(None, unknown, write=True)
    a = Assembler(items, tokens, bool(time.ranges))
    spec = a.spec
    spec.order_ids = [tokens[i].upper() for i in sorted(ids) if _ORDER_ID.fullmatch(tokens[i])]
    customer_ids = [tokens[i].upper() for i in sorted(ids) if _CUSTOMER_ID.fullmatch(tokens[i])]
    a.filters()
    if customer_ids:
        spec.filters.append(Filter("customer_id", tuple(customer_ids)))
    a.dims()
    a.entities()
    a.averages()
    a.orders()
    a.bought()
    a.measures()
    a.rates()
    a.growth(time.ranges, time.periods, last)
    if not a.explicit and spec.dims == ["manager"] and not a.of("rank") and not a.of("howmuch"):
        spec.dims.clear()  # "who manages Germany": the managers themselves
        a.list_entity = "managers"
    signup = bool(a.of("signup"))
    if signup and (a.list_entity == "customers" or "customer_count" in spec.measures):
        spec.time_field = "signup"
        if a.list_entity == "customers" and not spec.measures and not a.of("list") and not a.of("which"):
            spec.measures.append("customer_count")
            a.explicit = True
    spec.ranges = [(s.isoformat(), e.isoformat()) for s, e in time.ranges]
    spec.time_label = time.label
    growth = any(m.startswith("growth:") for m in spec.measures)
    if growth:
        (s1, e1), (s2, e2) = spec.ranges
        spec.time_label = f"{s1} to {e1} vs {s2} to {e2}"
    elif time.grain and time.grain not in spec.dims:
        spec.dims.append(time.grain)
    a.ranking()
    a.thresholds()
    leftover = [it.text for it in items if it.has("number") and it.idx not in a.used_numbers]
    unknown += leftover + a.unknown
    if spec.order_ids:
        spec.lookup = "items" if any(it.has("entity") and it.has("entity").value == "products"
                                     for it in items) else "order"
        return Parsed(spec, unknown)
    followup = bool(a.of("followup"))
    if previous is not None and previous.lookup and not spec.measures and not spec.dims[1:]:
        # "what products were in it?", "and its status?" after an order lookup
        wants_items = a.list_entity == "products" or "product" in spec.dims
        return Parsed(replace(previous, lookup="items" if wants_items else "order"), unknown, followup=True)
    listing_cue = any(a.of(k) for k in ("list", "which", "recent", "oldest", "rank"))
    if not spec.measures and a.list_entity and not followup and (previous is None or listing_cue):
        spec.entity = a.list_entity
        spec.sort = "recent" if a.of("recent") else "oldest" if a.of("oldest") else (
            "value" if spec.order else None)
        if spec.sort in ("recent", "oldest", "value") and spec.limit is None:
            word = a.list_item.last_word if a.list_item is not None else "orders"
            spec.limit = 1 if stem(word) == word else 10  # "the largest order" / "the latest orders"
        if spec.entity == "products" and a.of("measure"):
            spec.sort = "price" if spec.order else spec.sort
        return Parsed(spec, unknown)
    data_words = bool(spec.filters or spec.dims or spec.ranges or a.of("rank") or a.of("howmuch")
                      or a.list_entity)
    if previous is not None and (followup or (not a.explicit and data_words)):
        # "break it down by country" adds a dimension; "now by country" replaces the region
        add = any(w in it.text for it in a.of("group") for w in ("break", "split", "drill", "segment"))
        merged = merge(previous, spec, add_dims=add)
        return Parsed(merged, unknown, followup=True)
    if not spec.measures:
        if not data_words:
            return Parsed(None, unknown, empty=True)
        spec.measures.append("revenue")
    return Parsed(spec, unknown)


def measure_label(key: str) -> str:
    return MEASURES[key].label
