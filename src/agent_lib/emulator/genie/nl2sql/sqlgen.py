"""From a `Spec` to Databricks SQL over `main.sales.*`, with a title and a description.

The SQL is what a careful analyst would write: fully qualified table names, only the joins the
question needs, revenue net of cancelled and returned orders unless the question filters on
status (the space's instructions say so), ORDER BY with tie-breakers so results are deterministic.
It uses only functions both Databricks SQL and the emulator's warehouse know (YEAR, QUARTER,
DATE_FORMAT, CONCAT, DATEDIFF).
"""

from __future__ import annotations

from dataclasses import dataclass

from .semantic import FIELDS, TIME_FIELDS, measure_def
from .spec import Filter, Spec

T = {"o": "main.sales.orders o", "c": "main.sales.customers c", "i": "main.sales.order_items i",
     "p": "main.sales.products p", "r": "main.sales.regions r"}
NET = "o.status NOT IN ('cancelled', 'returned')"
_ITEM_REVENUE = "i.quantity * i.unit_price * (1 - i.discount)"
NULLABLE = ("carrier",)  # unshipped orders have no carrier: leave them out of a breakdown by carrier


@dataclass(frozen=True)
class Query:
    sql: str
    title: str
    description: str


def _q(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _in(expr: str, values: tuple[str, ...], negate: bool = False) -> str:
    if len(values) == 1:
        return f"{expr} {'<>' if negate else '='} {_q(values[0])}"
    return f"{expr} {'NOT IN' if negate else 'IN'} ({', '.join(_q(v) for v in values)})"


def _time_col(spec: Spec) -> str:
    return "c.signup_date" if spec.time_field == "signup" else "o.order_date"


def field_expr(name: str, base: str, spec: Spec) -> str:
    if name in TIME_FIELDS:
        col = _time_col(spec)
        return {"month": f"DATE_FORMAT({col}, 'yyyy-MM')", "year": f"YEAR({col})",
                "quarter": f"CONCAT(YEAR({col}), '-Q', QUARTER({col}))", "day": col}[name]
    f = FIELDS[name]
    table = "c" if (name == "region" and base == "customers") else f.table
    return f"{table}.{f.column}"


def _ranges(spec: Spec) -> str | None:
    if not spec.ranges:
        return None
    col = _time_col(spec)
    parts = [f"{col} BETWEEN {_q(s)} AND {_q(e)}" for s, e in spec.ranges]
    return parts[0] if len(parts) == 1 else "(" + " OR ".join(parts) + ")"


def _filter_sql(f: Filter, base: str, spec: Spec) -> str:
    if f.field in ("total", "price"):
        return f"{'o.total' if f.field == 'total' else 'p.unit_price'} {f.op} {float(f.values[0]):g}"
    return _in(field_expr(f.field, base, spec), f.values, f.negate)


def _growth(key: str, item: bool, spec: Spec) -> str:
    """Growth (%) of a measure from the first range to the second."""
    col = _time_col(spec)
    (s1, e1), (s2, e2) = spec.ranges[:2]

    def val(s: str, e: str) -> str:
        cond = f"{col} BETWEEN {_q(s)} AND {_q(e)}"
        return {"revenue": f"SUM(CASE WHEN {cond} THEN {_ITEM_REVENUE if item else 'o.total'} END)",
                "order_count": f"COUNT(DISTINCT CASE WHEN {cond} THEN o.order_id END)",
                "units": f"SUM(CASE WHEN {cond} THEN i.quantity END)",
                "customer_count": f"COUNT(DISTINCT CASE WHEN {cond} THEN o.customer_id END)"}[key]

    before, after = val(s1, e1), val(s2, e2)
    return f"ROUND(100.0 * ({after} - {before}) / {before}, 2)"


def _rate(status: str) -> str:
    return (f"ROUND(100.0 * COUNT(DISTINCT CASE WHEN o.status = '{status}' THEN o.order_id END)"
            " / COUNT(DISTINCT o.order_id), 2)")


def _measure(key: str, item: bool, base: str, net: str | None, spec: Spec | None = None) -> str:
    """One measure's SQL; `net` wraps sales measures so they skip cancelled and returned orders."""
    if key.startswith("growth:") and spec is not None:
        return _growth(key.split(":", 1)[1], item, spec)
    def w(x: str) -> str:
        return f"CASE WHEN {net} THEN {x} END" if net else x

    rev = f"SUM({w(_ITEM_REVENUE if item else 'o.total')})"
    return {
        "revenue": f"ROUND({rev}, 2)",
        "order_count": "COUNT(DISTINCT o.order_id)",
        "aov": f"ROUND({rev} / COUNT(DISTINCT {w('o.order_id')}), 2)",
        "units": f"SUM({w('i.quantity')})",
        "units_per_order": f"ROUND(1.0 * SUM({w('i.quantity')}) / COUNT(DISTINCT {w('o.order_id')}), 2)",
        "customer_count": "COUNT(DISTINCT c.customer_id)" if base == "customers"
        else "COUNT(DISTINCT o.customer_id)",
        "avg_discount": f"ROUND(AVG({w('i.discount')}) * 100, 2)",
        "discount_amount": f"ROUND(SUM({w('i.quantity * i.unit_price * i.discount')}), 2)",
        "cancellation_rate": _rate("cancelled"),
        "return_rate": _rate("returned"),
        "shipping_days": "ROUND(AVG(DATEDIFF(o.ship_date, o.order_date)), 2)",
        "product_count": f"COUNT(DISTINCT {'p' if base == 'products' else 'i'}.product_id)",
        "avg_price": "ROUND(AVG(p.unit_price), 2)" if base == "products" else "ROUND(AVG(i.unit_price), 2)",
    }[key]


def _base(spec: Spec) -> str:
    used = spec.fields_used()
    kinds = {measure_def(m).base for m in spec.measures}
    if kinds == {"products"} and used <= {"category", "product"} and not spec.ranges:
        return "products"
    order_time = bool(spec.ranges) and spec.time_field == "order"
    order_dims = any(d in TIME_FIELDS for d in spec.dims) and spec.time_field == "order"
    customer_fields = {"region", "country", "segment", "customer", "customer_id", "manager", *TIME_FIELDS}
    if kinds == {"customers"} and used <= customer_fields and not order_time and not order_dims:
        return "customers"
    return "orders"


def _joins(base: str, aliases: set[str]) -> str:
    if base == "products":
        return f"FROM {T['p']}"
    if base == "customers":
        out = f"FROM {T['c']}"
        return out + (f"\nJOIN {T['r']} ON r.country = c.country" if "r" in aliases else "")
    out = f"FROM {T['o']}"
    if aliases & {"c", "r"}:
        out += f"\nJOIN {T['c']} ON c.customer_id = o.customer_id"
    if "r" in aliases:
        out += f"\nJOIN {T['r']} ON r.country = c.country"
    if aliases & {"i", "p"}:
        out += f"\nJOIN {T['i']} ON i.order_id = o.order_id"
    if "p" in aliases:
        out += f"\nJOIN {T['p']} ON p.product_id = i.product_id"
    return out


def aggregate(spec: Spec) -> str:
    base = _base(spec)
    used = spec.fields_used()
    item = base == "orders" and (any(measure_def(m).item for m in spec.measures)
                                 or bool(used & {"category", "product"})
                                 or bool(set(spec.measures) & {"product_count", "avg_price"}))
    aliases = {FIELDS[f].table for f in used if f in FIELDS and f not in TIME_FIELDS}
    if spec.time_field == "signup" and base == "orders" and (spec.ranges or used & set(TIME_FIELDS)):
        aliases.add("c")
    if item:
        aliases |= {"i"}
    if "product_count" in spec.measures and base == "orders":
        aliases.add("i")
    where: list[str] = []
    sales = [m for m in spec.measures if measure_def(m).sales]
    net = None
    if sales and base == "orders" and spec.filter_on("status") is None:
        if len(sales) == len(spec.measures):
            where.append(NET)
        else:
            net = NET
    where += [_filter_sql(f, base, spec) for f in spec.filters]
    rng = _ranges(spec)
    if rng:
        where.append(rng)
    dims = [(field_expr(d, base, spec), d) for d in spec.dims]
    where += [f"{expr} IS NOT NULL" for expr, d in dims if d in NULLABLE]
    select = [f"{expr} AS {name}" if expr.split(".")[-1] != name else expr for expr, name in dims]
    keys_of = {name: (name if expr.split(".")[-1] != name else expr) for expr, name in dims}
    select += [f"{_measure(m, item, base, net, spec)} AS {measure_def(m).alias}" for m in spec.measures]
    sql = "SELECT " + ",\n       ".join(select) + "\n" + _joins(base, aliases)
    if where:
        sql += "\nWHERE " + "\n  AND ".join(where)
    if dims and spec.per and spec.order and spec.limit and spec.per in spec.dims:
        return _per_group(sql, spec, dims, item, base, net)
    if dims:
        sql += "\nGROUP BY " + ", ".join(expr for expr, _ in dims)
        if spec.having:
            op, value = spec.having
            sql += f"\nHAVING {_measure(spec.measures[0], item, base, net, spec)} {op} {value:g}"
        first = measure_def(spec.measures[0]).alias
        time_dims = [n for _, n in dims if n in TIME_FIELDS]
        if spec.order:
            keys = [f"{first} {spec.order.upper()}"] + [keys_of[n] for _, n in dims]
        elif time_dims:
            keys = time_dims + [keys_of[n] for _, n in dims if n not in TIME_FIELDS]
        else:
            keys = [f"{first} DESC"] + [keys_of[n] for _, n in dims]
        sql += "\nORDER BY " + ", ".join(keys)
        if spec.limit:
            sql += f"\nLIMIT {spec.limit}"
    return sql


def _per_group(sql: str, spec: Spec, dims: list[tuple[str, str]], item: bool, base: str,
               net: str | None) -> str:
    """Top N within each value of `spec.per`: ROW_NUMBER() over the grouped rows."""
    per_expr = next(expr for expr, name in dims if name == spec.per)
    others = [expr for expr, name in dims if name != spec.per]
    measure = _measure(spec.measures[0], item, base, net, spec)
    window = (f"ROW_NUMBER() OVER (PARTITION BY {per_expr} ORDER BY {measure} {spec.order.upper()}"
              + "".join(f", {e}" for e in others) + ") AS rn")
    select_end = sql.index("\nFROM ")
    inner = sql[:select_end] + f",\n       {window}" + sql[select_end:]
    inner += "\nGROUP BY " + ", ".join(expr for expr, _ in dims)
    names = [spec.per] + [name for _, name in dims if name != spec.per]
    names += [measure_def(m).alias for m in spec.measures]
    return (f"SELECT {', '.join(names)}\nFROM (\n{inner}\n) ranked\nWHERE rn <= {spec.limit}\n"
            f"ORDER BY {spec.per}, rn")


def _order_scope(spec: Spec, filters: list[Filter]) -> tuple[str, list[str]]:
    """Joins and conditions that select orders (for lists that filter on order lines or customers)."""
    aliases = {FIELDS[f.field].table for f in filters if f.field in FIELDS}
    where = [_filter_sql(f, "orders", spec) for f in filters]
    return _joins("orders", aliases), where


def listing(spec: Spec) -> str:
    rng = _ranges(spec)
    if spec.entity == "managers":
        where = [_in(f"r.{FIELDS[f.field].column}", f.values, f.negate) for f in spec.filters
                 if f.field in ("region", "country", "manager")]
        order = "r.region, r.country"
        sql = f"SELECT r.region, r.country, r.manager\nFROM {T['r']}"
        rng = None
    elif spec.entity == "products":
        where = [_filter_sql(f, "products", spec) for f in spec.filters
                 if f.field in ("category", "product", "price")]
        order = "p.unit_price DESC" if spec.order == "desc" else "p.unit_price ASC" if spec.order else \
            "p.category, p.name"
        sql = f"SELECT p.product_id, p.name, p.category, p.unit_price\nFROM {T['p']}"
    elif spec.entity == "customers":
        own = [f for f in spec.filters
               if f.field == "region" or (f.field in FIELDS and FIELDS[f.field].table == "c")]
        other = [f for f in spec.filters if f not in own]
        where = [_filter_sql(f, "customers", spec) for f in own]
        if spec.time_field == "signup" and rng:
            where.append(rng)
            rng = None
        if other or rng:
            joins, cond = _order_scope(spec, other)
            cond += [rng] if rng else []
            where.append("c.customer_id IN (SELECT o.customer_id " + joins.replace("\n", " ")
                         + (" WHERE " + " AND ".join(cond) if cond else "") + ")")
        order = "c.signup_date DESC, c.name" if spec.sort == "recent" else "c.name"
        sql = f"SELECT c.customer_id, c.name, c.segment, c.region, c.country, c.signup_date\nFROM {T['c']}"
    else:
        item_filters = [f for f in spec.filters if f.field in ("category", "product")]
        where = [_filter_sql(f, "orders", spec) for f in spec.filters if f not in item_filters]
        if item_filters:
            cond = " AND ".join(_filter_sql(f, "orders", spec) for f in item_filters)
            where.append(f"o.order_id IN (SELECT i.order_id FROM {T['i']} JOIN {T['p']} "
                         f"ON p.product_id = i.product_id WHERE {cond})")
        if rng:
            where.append(rng)
        needs_r = any(f.field == "manager" for f in spec.filters)
        sql = ("SELECT o.order_id, o.order_date, c.name AS customer, o.region, o.status, o.carrier, o.total\n"
               f"FROM {T['o']}\nJOIN {T['c']} ON c.customer_id = o.customer_id"
               + (f"\nJOIN {T['r']} ON r.country = c.country" if needs_r else ""))
        order = {"value": f"o.total {(spec.order or 'desc').upper()}, o.order_id",
                 "oldest": "o.order_date, o.order_id"}.get(spec.sort or "",
                                                          "o.order_date DESC, o.order_id DESC")
        rng = None
    if spec.entity == "products" and rng:
        where.append(rng)
    if where:
        sql += "\nWHERE " + "\n  AND ".join(where)
    sql += f"\nORDER BY {order}"
    if spec.limit:
        sql += f"\nLIMIT {spec.limit}"
    return sql


def lookup(spec: Spec) -> str:
    ids = tuple(spec.order_ids)
    if spec.lookup == "items":
        return ("SELECT i.order_id, p.name AS product, p.category, i.quantity, i.unit_price, i.discount,\n"
                f"       ROUND({_ITEM_REVENUE}, 2) AS line_total\nFROM {T['i']}\n"
                f"JOIN {T['p']} ON p.product_id = i.product_id\nWHERE {_in('i.order_id', ids)}\n"
                "ORDER BY i.order_id, line_total DESC")
    return ("SELECT o.order_id, o.status, o.order_date, o.ship_date, o.carrier, o.total, o.currency,\n"
            f"       c.name AS customer, o.region\nFROM {T['o']}\n"
            f"JOIN {T['c']} ON c.customer_id = o.customer_id\nWHERE {_in('o.order_id', ids)}\n"
            "ORDER BY o.order_id")


def build(spec: Spec) -> Query:
    from .describe import describe

    if spec.lookup:
        sql = lookup(spec)
    elif spec.entity:
        sql = listing(spec)
    else:
        sql = aggregate(spec)
    title, description = describe(spec)
    return Query(sql, title, description)
