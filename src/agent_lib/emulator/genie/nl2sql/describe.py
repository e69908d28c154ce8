"""Titles and descriptions of a `Spec`, as Genie shows them above a query."""

from __future__ import annotations

from .semantic import FIELDS, measure_def
from .spec import Filter, Spec

_ENTITY = {"orders": "Orders", "customers": "Customers", "products": "Products",
           "managers": "Country managers"}


def _filter_text(f: Filter) -> str:
    if f.field in ("total", "price"):
        return f"{'order total' if f.field == 'total' else 'list price'} {f.op} {float(f.values[0]):g}"
    label = FIELDS[f.field].label
    vals = " or ".join(f.values) if len(f.values) <= 4 else f"{len(f.values)} {FIELDS[f.field].plural}"
    return f"{label} {'not ' if f.negate else ''}{vals}"


def _scope(spec: Spec) -> str:
    parts = [_filter_text(f) for f in spec.filters]
    if spec.time_label:
        when = "customers who signed up" if spec.time_field == "signup" else "orders placed"
        parts.append(f"{when} in {spec.time_label}")
    return "; ".join(parts)


def describe(spec: Spec) -> tuple[str, str]:
    """(title, description) in plain words."""
    scope = _scope(spec)
    if spec.lookup:
        ids = ", ".join(spec.order_ids)
        what = "Line items of order" if spec.lookup == "items" else "Order"
        return f"{what} {ids}", f"{what} {ids}: status, dates, carrier, total and customer." \
            if spec.lookup == "order" else f"Products, quantities, prices and discounts in order {ids}."
    if spec.entity:
        title = _ENTITY[spec.entity]
        if spec.sort == "recent":
            title = f"Most recent {spec.entity}"
        elif spec.sort in ("value", "price") and spec.order:
            title = f"{'Largest' if spec.order == 'desc' else 'Smallest'} {spec.entity}"
        desc = f"{title} listed" + (f" where {scope}" if scope else "") + "."
        return title + (f" ({scope})" if scope else ""), desc
    labels = [measure_def(m).label for m in spec.measures]
    measure_text = " and ".join(labels)
    body = measure_text[0].upper() + measure_text[1:]
    if spec.dims:
        dims = " and ".join(FIELDS[d].label for d in spec.dims)
        first = FIELDS[spec.dims[0]]
        if spec.order and spec.limit == 1:
            word = "highest" if spec.order == "desc" else "lowest"
            body = f"{first.label[0].upper()}{first.label[1:]} with the {word} {measure_text}"
        elif spec.order and spec.limit:
            side = "Top" if spec.order == "desc" else "Bottom"
            body = f"{side} {spec.limit} {first.plural} by {measure_text}"
        else:
            body = f"{body} by {dims}"
    title = body + (f", {spec.time_label}" if spec.time_label else "")
    desc = body + (f" for {scope}" if scope else "") + "."
    if any(measure_def(m).sales for m in spec.measures) and spec.filter_on("status") is None:
        desc += " Cancelled and returned orders are excluded from sales figures."
    return title, desc
