"""From a question to a `Spec`: time ranges first, then the longest known phrases, then the rules
that decide what each entity word is doing ("how many customers" counts them, "top 5 customers"
groups by them, "list customers in Germany" lists them, "enterprise customers" only qualifies).

A word that is neither known nor a stopword is reported back instead of being guessed at.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from .lexicon import NUMBER_WORDS, STOPWORDS, Lexicon, M, Meaning, stem, tokenize
from .semantic import ENTITY_FIELD, MEASURES, TIME_FIELDS
from .spec import Filter, Spec, merge
from .timeparse import parse_time

_ORDER_ID = re.compile(r"so-\d{3,}")
_CUSTOMER_ID = re.compile(r"c-\d{3,}")
_NUMBER = re.compile(r"\d+(?:\.\d+)?k?")
_STRONG = ("measure", "dim", "entity")


@dataclass
class Item:
    idx: int
    pos: int
    text: str
    meanings: list[Meaning]
    last_word: str  # the phrase's last raw token: "regions" is plural, "region" singular

    def has(self, kind: str) -> Meaning | None:
        return next((m for m in self.meanings if m.kind == kind), None)


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
            items.append(Item(len(items), i, " ".join(tokens[i:i + n]), _resolve(meanings), tokens[i + n - 1]))
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


class _Assembler:
    """The rules, over the scanned items of one question."""

    def __init__(self, items: list[Item], tokens: list[str], time_given: bool) -> None:
        self.items = items
        self.tokens = tokens
        self.time_given = time_given
        self.spec = Spec()
        self.used_numbers: set[int] = set()
        self.list_entity: str | None = None
        self.ranked_item: Item | None = None
        self.explicit = False  # a measure came from the question itself

    def of(self, kind: str) -> list[Item]:
        return [it for it in self.items if it.has(kind)]

    def prev(self, it: Item, skip: tuple[str, ...] = ("value", "number", "noop", "total")) -> Item | None:
        for j in range(it.idx - 1, -1, -1):
            cand = self.items[j]
            if not any(cand.has(k) for k in skip):
                return cand
        return None

    def nxt(self, it: Item) -> Item | None:
        return self.items[it.idx + 1] if it.idx + 1 < len(self.items) else None

    def add_measure(self, key: str) -> None:
        if key not in self.spec.measures:
            self.spec.measures.append(key)

    def add_dim(self, key: str, item: Item | None = None) -> None:
        if key not in self.spec.dims:
            self.spec.dims.append(key)
            if item is not None and self.ranked_item is None:
                self.ranked_item = item

    # -- steps --------------------------------------------------------------------------------
    def filters(self) -> None:
        negated: set[int] = set()
        for it in self.of("neg"):
            target = next((x for x in self.items[it.idx + 1:it.idx + 4] if x.has("value")), None)
            if target is not None:
                negated.add(target.idx)
        grouped: dict[tuple[str, bool], list[str]] = {}
        count: dict[tuple[str, bool], int] = {}
        for it in self.of("value"):
            m = it.has("value")
            key = (m.value[0], it.idx in negated)
            bucket = grouped.setdefault(key, [])
            bucket += [v for v in m.value[1] if v not in bucket]
            count[key] = count.get(key, 0) + 1
        for (name, negate), values in grouped.items():
            self.spec.filters.append(Filter(name, tuple(values), negate))
            if count[(name, negate)] >= 2 and not negate and not self.of("total"):
                self.add_dim(name)

    def dims(self) -> None:
        for it in self.of("dim"):
            key = it.has("dim").value
            before = self.prev(it, skip=("number", "noop", "total"))
            after = self.nxt(it)
            cued = before is not None and any(before.has(k) for k in ("group", "which", "rank"))
            qualifies = any(x is not None and x.has("value") and x.has("value").value[0] == key
                            for x in (self.items[it.idx - 1] if it.idx else None, after))
            if qualifies and not cued:
                continue
            self.add_dim(key, None if (before is not None and before.has("group")) else it)

    def _count_binds(self, it: Item) -> bool:
        for j in range(it.idx - 1, -1, -1):
            cand = self.items[j]
            if cand.has("count"):
                return True
            if not any(cand.has(k) for k in ("value", "number", "noop", "total", "signup", "neg")):
                return False
        return False

    def _sold_units(self) -> bool:
        """'how many products did we sell (in 2025)' counts units; 'how many products do we sell'
        counts the catalog."""
        if not self.of("sold"):
            return False
        return bool(self.time_given) or "did" in self.tokens or any(
            it.text in ("sold", "bought", "purchased", "ordered") for it in self.of("sold"))

    def _strong_measure(self) -> bool:
        return bool(self.spec.measures) or any(not it.has("measure").weak for it in self.of("measure"))

    def entities(self) -> None:
        has_rank = bool(self.of("rank"))
        has_measure = bool(self.of("measure")) or bool(self.of("sold"))
        for it in self.of("entity"):
            ent = it.has("entity").value
            before = self.prev(it)
            after = self.nxt(it)
            if ent == "orders":
                continue  # decided after the other dimensions are known
            counted = "customer_count" if ent == "customers" else ("units" if self._sold_units()
                                                                   else "product_count")
            if self._count_binds(it):
                self.add_measure(counted)
                self.explicit = True
            elif before is not None and before.has("rank") and self.spec.dims and not self._strong_measure():
                # "which country has the fewest customers": the entity is what is counted
                self.add_measure("units" if ent == "products" else counted)
                self.explicit = True
            elif after is not None and after.has("group") and not has_rank and not has_measure:
                self.add_measure("customer_count" if ent == "customers" else "product_count")
                self.explicit = True
            elif (has_rank or (before is not None and (before.has("group") or before.has("which")))) and (
                    has_rank or has_measure):
                grouped = before is not None and before.has("group")
                self.add_dim(ENTITY_FIELD[ent], None if grouped else it)
            elif self.list_entity is None:
                self.list_entity = ent

    def orders(self) -> None:
        for it in self.of("entity"):
            if it.has("entity").value != "orders":
                continue
            if self._strong_measure():
                continue  # "revenue from orders in EMEA": only qualifies
            if self._count_binds(it) or self.spec.dims:
                self.add_measure("order_count")
                self.explicit = True
            elif self.of("rank") or self.of("recent") or self.of("oldest") or self.of("list") or self.of("which"):
                if self.list_entity is None:
                    self.list_entity = "orders"
            else:
                self.add_measure("order_count")
                self.explicit = True

    def rates(self) -> None:
        """'percentage of orders returned', 'share of cancelled orders': a rate, not a filter."""
        if not self.of("pct"):
            return
        status = self.spec.filter_on("status")
        if status is not None and not status.negate and status.values in (("cancelled",), ("returned",)):
            self.spec.filters.remove(status)
            self.spec.measures[:] = [m for m in self.spec.measures if m != "order_count"]
            self.add_measure("cancellation_rate" if status.values == ("cancelled",) else "return_rate")
            self.explicit = True

    def measures(self) -> None:
        for it in self.of("measure"):
            m = it.has("measure")
            if not m.weak:
                self.add_measure(m.value)
                self.explicit = True
        if self.spec.measures:
            return
        sold, howmuch = bool(self.of("sold")), bool(self.of("howmuch"))
        product_side = any(f.field in ("product", "category") for f in self.spec.filters) or \
            any(d in ("product", "category") for d in self.spec.dims)
        if sold and not howmuch and (self.of("count") or self.of("rank") or product_side):
            self.add_measure("units")
        elif sold or howmuch:
            self.add_measure("revenue")
        elif self.of("measure"):
            self.add_measure(self.of("measure")[0].has("measure").value)
        elif self.of("count") and not self.list_entity:
            self.add_measure("order_count")
        else:
            return
        self.explicit = True

    def bought(self) -> None:
        """'what did Falcon Ventures buy', 'what did we sell in EMEA': units by product."""
        if (self.of("sold") and self.of("which") and not self.spec.dims and not self._strong_measure()
                and not self.of("count") and not self.of("howmuch") and not self.list_entity):
            self.spec.measures[:] = ["units"]
            self.add_dim("product")
            self.explicit = True

    def growth(self, ranges: list[tuple[dt.date, dt.date]], periods: list[tuple[dt.date, dt.date]],
               last: dt.date) -> None:
        """'which region grew fastest': growth of the measure between two periods (by default the
        last two years of data; one period given is compared with the same period a year before)."""
        if not self.of("growth"):
            return
        base = next((m for m in self.spec.measures if m in ("revenue", "order_count", "units",
                                                            "customer_count")), "revenue")
        self.spec.measures[:] = [f"growth:{base}"]
        self.explicit = True
        if len(periods) == 2 and len(ranges) == 1:  # "from 2024 to 2025": two periods, not one range
            ranges[:] = periods
        elif len(ranges) == 1:
            s, e = ranges[0]
            ranges[:] = [(_year_back(s), _year_back(e)), (s, e)]
        elif len(ranges) != 2:
            ranges[:] = [(dt.date(last.year - 1, 1, 1), dt.date(last.year - 1, 12, 31)),
                         (dt.date(last.year, 1, 1), dt.date(last.year, 12, 31))]
        self.spec.dims[:] = [d for d in self.spec.dims if d not in TIME_FIELDS]

    def ranking(self) -> None:
        ranks = self.of("rank")
        if not ranks:
            return
        self.spec.order = ranks[0].has("rank").value
        number = None
        for r in ranks:
            for j in (r.idx + 1, r.idx - 1):
                if 0 <= j < len(self.items) and self.items[j].has("number") and j not in self.used_numbers:
                    number = int(self.items[j].has("number").value)
                    self.used_numbers.add(j)
                    break
            if number is not None:
                break
        if number is None and self.ranked_item is not None:
            j = self.ranked_item.idx - 1
            if j >= 0 and self.items[j].has("number"):
                number = int(self.items[j].has("number").value)
                self.used_numbers.add(j)
        if number is not None:
            self.spec.limit = number
        elif self.ranked_item is not None:
            word = self.ranked_item.last_word
            self.spec.limit = 1 if stem(word) == word else 10

    def thresholds(self) -> None:
        for it in self.of("cmp"):
            after = self.nxt(it)
            if after is None or not after.has("number") or after.idx in self.used_numbers:
                continue
            self.used_numbers.add(after.idx)
            op, value = it.has("cmp").value, after.has("number").value
            if self.spec.dims and self.spec.measures:
                self.spec.having = (op, value)
            else:
                self.spec.filters.append(Filter("total", (str(value),), op=op))


def _year_back(d: dt.date) -> dt.date:
    return d.replace(year=d.year - 1, day=min(d.day, 28)) if d.month == 2 else d.replace(year=d.year - 1)


def parse(question: str, lexicon: Lexicon, first: dt.date, last: dt.date,
          previous: Spec | None = None) -> Parsed:
    """Parse one question; with `previous`, a partial follow-up is completed from it."""
    tokens = tokenize(question)
    if not tokens:
        return Parsed(None, empty=True)
    ids = {i for i, t in enumerate(tokens) if _ORDER_ID.fullmatch(t) or _CUSTOMER_ID.fullmatch(t)}
    time = parse_time(tokens, first, last)
    items, unknown = _scan(tokens, ids | time.consumed, lexicon)
    if any(it.has("write") for it in items):
        return Parsed(None, unknown, write=True)
    a = _Assembler(items, tokens, bool(time.ranges))
    spec = a.spec
    spec.order_ids = [tokens[i].upper() for i in sorted(ids) if _ORDER_ID.fullmatch(tokens[i])]
    customer_ids = [tokens[i].upper() for i in sorted(ids) if _CUSTOMER_ID.fullmatch(tokens[i])]
    a.filters()
    if customer_ids:
        spec.filters.append(Filter("customer_id", tuple(customer_ids)))
    a.dims()
    a.entities()
    a.orders()
    a.bought()
    a.measures()
    a.rates()
    a.growth(time.ranges, time.periods, last)
    signup = bool(a.of("signup"))
    if signup and (a.list_entity == "customers" or "customer_count" in spec.measures):
        spec.time_field = "signup"
        if a.list_entity == "customers" and not spec.measures:
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
    unknown += leftover
    if spec.order_ids:
        spec.lookup = "items" if any(it.has("entity") and it.has("entity").value == "products"
                                     for it in items) else "order"
        return Parsed(spec, unknown)
    followup = bool(a.of("followup"))
    if not spec.measures and a.list_entity and not followup:
        spec.entity = a.list_entity
        spec.sort = "recent" if a.of("recent") else "oldest" if a.of("oldest") else (
            "value" if spec.order else None)
        if spec.sort in ("recent", "oldest") and spec.limit is None:
            spec.limit = 10
        if spec.sort == "value" and spec.limit is None:
            spec.limit = 10
        if spec.entity == "products" and a.of("measure"):
            spec.sort = "price" if spec.order else spec.sort
        return Parsed(spec, unknown)
    data_words = bool(spec.filters or spec.dims or spec.ranges or a.of("rank") or a.of("howmuch")
                      or a.list_entity)
    if previous is not None and (followup or (not a.explicit and data_words)):
        add = bool(a.of("group")) and bool(a.of("followup") or a.of("noop"))
        merged = merge(previous, spec, add_dims=add)
        return Parsed(merged, unknown, followup=True)
    if not spec.measures:
        if not data_words:
            return Parsed(None, unknown, empty=True)
        spec.measures.append("revenue")
    return Parsed(spec, unknown)


def measure_label(key: str) -> str:
    return MEASURES[key].label
