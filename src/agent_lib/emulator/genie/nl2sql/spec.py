"""What a question asks for, independent of its wording: the parser's output, the SQL generator's input.

A `Spec` is plain data (it round-trips through `to_dict`/`from_dict`), so a conversation can keep
the last one and a follow-up ("what about 2024?", "and for EMEA?", "break it down by month") can
be merged into it (`merge`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any

from .semantic import TIME_FIELDS


@dataclass(frozen=True)
class Filter:
    field: str  # a semantic.FIELDS key, or "total" (order value threshold)
    values: tuple[str, ...]
    negate: bool = False
    op: str = "in"  # in | > | <


@dataclass
class Spec:
    measures: list[str] = field(default_factory=list)
    dims: list[str] = field(default_factory=list)
    filters: list[Filter] = field(default_factory=list)
    ranges: list[tuple[str, str]] = field(default_factory=list)  # ISO dates, inclusive
    time_label: str = ""
    time_field: str = "order"  # order | signup
    order: str | None = None  # asc | desc (ranking)
    limit: int | None = None
    entity: str | None = None  # orders | customers | products: list rows instead of aggregating
    sort: str | None = None  # for lists: recent | oldest | value
    lookup: str | None = None  # order | items: one order by id
    order_ids: list[str] = field(default_factory=list)
    having: tuple[str, float] | None = None  # (">" | "<", threshold) on the first measure
    per: str | None = None  # rank within each value of this dimension ("top product in each category")

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["filters"] = [asdict(f) for f in self.filters]
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Spec:
        d = dict(d)
        d["filters"] = [Filter(f["field"], tuple(f["values"]), f.get("negate", False), f.get("op", "in"))
                        for f in d.get("filters", [])]
        d["ranges"] = [tuple(r) for r in d.get("ranges", [])]
        if d.get("having") is not None:
            d["having"] = tuple(d["having"])
        return cls(**{k: v for k, v in d.items() if k in cls.__dataclass_fields__})

    def filter_on(self, name: str) -> Filter | None:
        return next((f for f in self.filters if f.field == name), None)

    def fields_used(self) -> set[str]:
        return {*self.dims, *(f.field for f in self.filters)}


def merge(previous: Spec, new: Spec, *, add_dims: bool = False) -> Spec:
    """A follow-up on top of the previous question: what the follow-up says wins, the rest stays."""
    dims = list(previous.dims)
    for d in new.dims:
        if d in dims:
            continue
        same_family = [x for x in dims if (x in TIME_FIELDS) == (d in TIME_FIELDS)]
        if same_family and not add_dims:
            dims[dims.index(same_family[0])] = d
        else:
            dims.append(d)
    new_fields = {f.field for f in new.filters}
    filters = [f for f in previous.filters if f.field not in new_fields] + list(new.filters)
    merged = replace(
        previous,
        measures=new.measures or previous.measures,
        dims=dims,
        filters=filters,
        ranges=new.ranges or previous.ranges,
        time_label=new.time_label if new.ranges else previous.time_label,
        time_field=new.time_field if new.ranges else previous.time_field,
        order=new.order or previous.order,
        limit=new.limit if new.order else previous.limit,
        having=new.having or previous.having,
    )
    if new.measures and previous.entity:
        merged.entity, merged.sort = None, None
    if merged.lookup and (new.measures or new.dims):
        merged.lookup, merged.order_ids = None, []
    return merged
