"""The rules that turn a question's scanned phrases into a `Spec`.

Each step reads the items (phrases with their meanings, in question order) and fills the spec:
filters from data values, dimensions, what entity words are doing ("how many customers" counts
them, "top 5 customers" groups by them, "list customers in Germany" lists them, "enterprise
customers" only qualifies), measures (explicit, or implied by "how much", "sold", ...), rates,
growth, ranking and thresholds.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from .lexicon import Meaning, stem
from .semantic import ENTITY_FIELD, TIME_FIELDS
from .spec import Filter, Spec


@dataclass
class Item:
    idx: int
    pos: int
    text: str
    meanings: list[Meaning]
    last_word: str  # the phrase's last raw token: "regions" is plural, "region" singular

    def has(self, kind: str) -> Meaning | None:
        return next((m for m in self.meanings if m.kind == kind), None)


_AVERAGES = ("aov", "avg_discount", "avg_price", "shipping_days", "units_per_order", "cancellation_rate",
             "return_rate")


class Assembler:
    """The rules, over the scanned items of one question."""

    def __init__(self, items: list[Item], tokens: list[str], time_given: bool) -> None:
        self.items = items
        self.tokens = tokens
        self.time_given = time_given
        self.spec = Spec()
        self.used_numbers: set[int] = set()
        self.list_entity: str | None = None
        self.ranked_item: Item | None = None
        self.ranked_dim: str | None = None
        self.list_item: Item | None = None  # the entity word of a listing ("order" or "orders")
        self.grouped: list[str] = []  # dimensions named after "by", "per", "each", ...
        self.unknown: list[str] = []  # words the rules could not use
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
                self.ranked_item, self.ranked_dim = item, key

    # -- steps --------------------------------------------------------------------------------
    def filters(self) -> None:
        negated: set[int] = set()
        for it in self.of("neg"):
            target = next((x for x in self.items[it.idx + 1:it.idx + 4] if x.has("value")), None)
            if target is not None:
                negated.add(target.idx)
            else:  # "customers who have not ordered": absence is not something a filter can say
                self.unknown.append(it.text)
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
            grouped = before is not None and before.has("group")
            if grouped:
                self.grouped.append(key)
            self.add_dim(key, None if grouped else it)

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
            elif before is not None and before.has("rank") and not self._strong_measure() and any(
                    d.has("dim") and d.idx < it.idx for d in self.items):
                # "which country has the fewest customers": the entity is what is counted
                self.add_measure("units" if ent == "products" else counted)
                self.explicit = True
            elif after is not None and after.has("group") and not has_rank and not has_measure:
                self.add_measure("customer_count" if ent == "customers" else "product_count")
                self.explicit = True
            elif (has_rank or (before is not None and (before.has("group") or before.has("which")))) and (
                    has_rank or has_measure):
                grouped = before is not None and before.has("group")
                if grouped:
                    self.grouped.append(ENTITY_FIELD[ent])
                self.add_dim(ENTITY_FIELD[ent], None if grouped else it)
            elif self.list_entity is None:
                self.list_entity, self.list_item = ent, it

    def orders(self) -> None:
        for it in self.of("entity"):
            if it.has("entity").value != "orders":
                continue
            if self._strong_measure():
                continue  # "revenue from orders in EMEA": only qualifies
            if self._count_binds(it) or self.spec.dims:
                self.add_measure("order_count")
                self.explicit = True
            elif any(self.of(k) for k in ("rank", "recent", "oldest", "list", "which")):
                if self.list_entity is None:
                    self.list_entity, self.list_item = "orders", it
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
        elif self.of("measure") and not self.list_entity:  # "top 10 orders by value" sorts a listing
            self.add_measure(self.of("measure")[0].has("measure").value)
        elif self.of("count") and not self.list_entity:
            self.add_measure("order_count")
        else:
            return
        self.explicit = True

    def averages(self) -> None:
        """A loose 'average' ('the average enterprise order'): the average order value; any other
        'average' the phrases did not take is not understood."""
        avg = self.of("avg")
        if not avg:
            return
        strong = [it.has("measure").value for it in self.of("measure") if not it.has("measure").weak]
        orders = any(it.has("entity").value == "orders" for it in self.of("entity"))
        if not strong and (orders or self.of("howmuch")):
            self.spec.measures[:] = ["aov"]
            self.list_entity = None
            self.explicit = True
        elif not strong or any(m not in _AVERAGES for m in strong):
            self.unknown += [it.text for it in avg]  # "average revenue per month" is beyond the rules

    def bought(self) -> None:
        """'what did Falcon Ventures buy', 'what did we sell in EMEA': units by product."""
        if (self.of("sold") and self.of("which") and not self.spec.dims and not self._strong_measure()
                and not self.of("count") and not self.of("howmuch") and not self.list_entity):
            self.spec.measures[:] = ["units"]
            named = next((it for it in self.of("value")
                          if it.has("value").value[0] in ("category", "product")), None)
            self.add_dim("product", named)
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
        ranked = self.ranked_dim
        per = [d for d in self.grouped if d != ranked and d in self.spec.dims]
        if ranked and per and self.spec.limit and ranked not in self.grouped:
            self.spec.per = per[0]  # "the top product in each category"

    def thresholds(self) -> None:
        for it in self.of("cmp"):
            after = self.nxt(it)
            if after is None or not after.has("number") or after.idx in self.used_numbers:
                continue
            self.used_numbers.add(after.idx)
            op, value = it.has("cmp").value, after.has("number").value
            priced = any(m.has("measure").value == "avg_price" for m in self.of("measure"))
            if self.list_entity == "products" or (priced and not self.spec.dims):
                self.spec.filters.append(Filter("price", (str(value),), op=op))  # "products priced over 500"
                self.spec.measures[:] = [m for m in self.spec.measures if m != "avg_price"]
            elif self.spec.dims and self.spec.measures:
                self.spec.having = (op, value)
            else:
                self.spec.filters.append(Filter("total", (str(value),), op=op))


def _year_back(d: dt.date) -> dt.date:
    return d.replace(year=d.year - 1, day=min(d.day, 28)) if d.month == 2 else d.replace(year=d.year - 1)
