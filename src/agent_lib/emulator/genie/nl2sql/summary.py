"""One sentence that says what a query result shows, as Genie's text attachment does."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .semantic import FIELDS, MEASURES, TIME_FIELDS
from .spec import Spec

_BY_ALIAS = {m.alias: m for m in MEASURES.values()}
_COUNT_NOUN = {"order_count": "orders", "customer_count": "customers", "product_count": "products",
               "units_sold": "units sold"}
_ENTITY_NOUN = {"orders": ("order", "orders"), "customers": ("customer", "customers"),
                "products": ("product", "products")}


def fmt(value: Any, column: str) -> str:
    if value is None:
        return "no value"
    m = _BY_ALIAS.get(column)
    kind = m.fmt if m else ("money" if column in ("total", "unit_price", "line_total") else
                            "pct" if column.endswith("_pct") else "")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if kind == "money":
            return f"${value:,.2f}"
        if kind == "pct":
            return f"{value:.2f}%"
        if kind == "days":
            return f"{value:.1f} days"
        if isinstance(value, float) and not value.is_integer():
            return f"{value:,.2f}"
        return f"{int(value):,}"
    return str(value)


def _label(column: str) -> str:
    m = _BY_ALIAS.get(column)
    if m is None and column.endswith("_growth_pct"):
        base = _BY_ALIAS.get(column[: -len("_growth_pct")])
        return f"{base.label if base else column[:-11].replace('_', ' ')} growth"
    return m.label if m else column.replace("_", " ")


def natural_scope(spec: Spec | None, with_time: bool = True) -> str:
    if spec is None:
        return ""
    parts = []
    for f in spec.filters:
        vals = " or ".join(f.values) if len(f.values) <= 3 else f"{len(f.values)} {FIELDS[f.field].plural}"
        if f.field in ("total", "price"):
            what = "orders" if f.field == "total" else "a list price"
            parts.append(f"for {what} {'over' if f.op == '>' else 'under'} ${float(f.values[0]):,.0f}")
        elif f.negate:
            parts.append(f"excluding {vals}")
        elif f.field in ("region", "country"):
            parts.append(f"in {vals}")
        elif f.field == "segment":
            parts.append(f"in the {vals} segment")
        elif f.field == "carrier":
            parts.append(f"shipped with {vals}")
        elif f.field == "status":
            parts.append(f"with status {vals}")
        elif f.field == "manager":
            parts.append(f"for {vals}'s countries")
        else:
            parts.append(f"for {vals}")
    label = spec.time_label if with_time else ""
    if label and spec.time_field == "signup":
        bare = not label.startswith(("since", "before", "after", "up to", "the "))
        parts.append(f"who signed up in {label}" if bare else f"who signed up {label}")
    elif label:
        if label.startswith(("since", "before", "after", "up to", "the ")):
            parts.append(label)
        elif " to " in label and label[0].isdigit():
            parts.append(f"from {label}")
        else:
            parts.append(f"in {label}")
    return (" " + " ".join(parts)) if parts else ""


def _is_num(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def summarize(columns: Sequence[str], rows: Sequence[Sequence[Any]], spec: Spec | None = None) -> str:
    """A one-sentence summary of a result; `spec` (when the parser wrote the query) adds its scope."""
    scope = natural_scope(spec)
    if spec is not None and spec.lookup:
        return _lookup(columns, rows, spec)
    if not rows:
        return f"No data matches this question{scope}."
    if spec is not None and spec.entity == "managers":
        if len(rows) == 1:
            return f"{rows[0][2]} is the country manager for {rows[0][1]} ({rows[0][0]})."
        return "Country managers: " + "; ".join(f"{r[1]}: {r[2]}" for r in rows) + "."
    if spec is not None and spec.entity:
        single, plural = _ENTITY_NOUN[spec.entity]
        first = rows[0][1] if spec.entity != "orders" else rows[0][0]
        noun = single if len(rows) == 1 else plural
        return f"Found {len(rows)} {noun}{scope}; the first listed is {first}."
    measures = [i for i, c in enumerate(columns)
                if c in _BY_ALIAS or c.endswith("_pct") or (rows and _is_num(rows[0][i]) and i > 0)]
    dims = [i for i in range(len(columns)) if i not in measures]
    if not measures:
        return f"The query returned {len(rows)} row{'s' if len(rows) != 1 else ''}{scope}."
    mi = measures[0]
    mcol = columns[mi]
    if not dims:
        col = columns[mi]
        if len(measures) == 1 and col in _COUNT_NOUN and _is_num(rows[0][mi]):
            verb = "are" if col == "customer_count" and spec is not None and spec.time_field != "signup" \
                and not spec.ranges else "were"
            return f"There {verb} {fmt(rows[0][mi], col)} {_COUNT_NOUN[col]}{scope}."
        parts = [f"{_label(columns[i])} was {fmt(rows[0][i], columns[i])}" for i in measures]
        text = " and ".join(parts)
        head, _, tail = text.partition(" was ")
        return f"{head[0].upper()}{head[1:]}{scope} was {tail}."
    di = dims[0]
    dname = columns[di]
    is_time = dname in TIME_FIELDS or (spec is not None and spec.dims and spec.dims[0] in TIME_FIELDS)
    values = [(r[di], r[mi]) for r in rows if r[mi] is not None]
    if not values:
        return f"No {_label(mcol)} was recorded{scope}."
    if is_time and len(dims) == 1:
        if len(values) == 2:
            (p1, v1), (p2, v2) = values
            change = f" ({(v2 - v1) / v1:+.1%})" if _is_num(v1) and _is_num(v2) and v1 else ""
            head = f"{_label(mcol).capitalize()}{natural_scope(spec, False)}"
            return (f"{head} was {fmt(v1, mcol)} in {p1} and "
                    f"{fmt(v2, mcol)} in {p2}{change}.")
        hi = max(values, key=lambda x: x[1])
        lo = min(values, key=lambda x: x[1])
        return (f"{_label(mcol).capitalize()}{scope} ranged from {fmt(lo[1], mcol)} in {lo[0]} to "
                f"{fmt(hi[1], mcol)} in {hi[0]} over {len(values)} {dname}s.")
    if spec is not None and spec.per and len(dims) == 2:
        top = "; ".join(f"{r[dims[0]]}: {r[dims[1]]} ({fmt(r[mi], mcol)})" for r in rows[:6])
        more = f" and {len(rows) - 6} more" if len(rows) > 6 else ""
        side = "Lowest" if spec.order == "asc" else "Top"
        return f"{side} {_label(mcol)} in each {dname}{scope}: {top}{more}."
    lowest = spec is not None and spec.order == "asc"
    word = "lowest" if lowest else "highest"
    ranked = sorted((r for r in rows if r[mi] is not None), key=lambda r: r[mi], reverse=not lowest)
    who = ", ".join(str(ranked[0][i]) for i in dims)
    text = f"{who} had the {word} {_label(mcol)}{scope} ({fmt(ranked[0][mi], mcol)})"
    if len(ranked) > 1:
        nxt = ", ".join(str(ranked[1][i]) for i in dims)
        text += f", followed by {nxt} ({fmt(ranked[1][mi], mcol)})"
    if len(rows) > 2:
        text += f"; {len(rows)} rows in total"
    return text + "."


def _lookup(columns: Sequence[str], rows: Sequence[Sequence[Any]], spec: Spec) -> str:
    ids = ", ".join(spec.order_ids)
    if not rows:
        return f"I could not find order {ids}."
    if spec.lookup == "items":
        col = {c: i for i, c in enumerate(columns)}
        lines = ", ".join(f"{r[col['quantity']]} x {r[col['product']]}" for r in rows[:5])
        more = f" and {len(rows) - 5} more" if len(rows) > 5 else ""
        return f"Order {ids} has {len(rows)} line{'s' if len(rows) != 1 else ''}: {lines}{more}."
    out = []
    for r in rows:
        d = dict(zip(columns, r, strict=False))
        text = (f"Order {d['order_id']} for {d.get('customer')} was placed on {d.get('order_date')} "
                f"and is {d.get('status')}")
        if d.get("ship_date"):
            text += f"; it shipped on {d['ship_date']} with {d.get('carrier')}"
        text += f" (total {fmt(d.get('total'), 'total')})"
        out.append(text)
    return "; ".join(out) + "."
