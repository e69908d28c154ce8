"""The demo sales tables in the warehouse: `ensure_sales(state)` creates them once.

The warehouse is not a demo seeder of its own (`emulator.services.SERVICES`); whoever needs the
tables first calls `ensure_sales` (the catalog demo to register them in Unity Catalog, the Genie
demo for its space). It is idempotent, including in a persistent warehouse file reopened after a
restart, and it compares each table's content with a checksum of the generated rows: a table an
admin changed (one UPDATE of one value) is rebuilt on reset, not only one that lost rows.

`ensure_functions(warehouse)` adds the few Databricks SQL date functions SQLite lacks (`year`,
`month`, `quarter`, `datediff`, `date_format`, `concat`), so SQL written for Databricks (Genie's
answers, curated examples) runs here unchanged. Callers that run such SQL call it first (it is
cheap and idempotent).
"""

from __future__ import annotations

import datetime as dt
import functools
import threading
import weakref
from typing import TYPE_CHECKING, Any

from . import sales
from .engine import rows_checksum

if TYPE_CHECKING:
    from ..core.state import EmulatorState
    from .engine import Warehouse

_lock = threading.Lock()
_with_functions: weakref.WeakSet[Any] = weakref.WeakSet()


@functools.lru_cache(maxsize=1)
def _expected() -> tuple[tuple[str, str], ...]:
    """(table, checksum of its rows) as generated: what an untouched warehouse holds."""
    return tuple((name, rows_checksum(rows)) for name, (_, rows) in sales.generate().items())


def _damaged(warehouse: Warehouse) -> list[str]:
    """The sales tables that are missing or whose rows differ in any value (not just in number)."""
    return [name for name, digest in _expected()
            if not warehouse.has_table(name) or warehouse.checksum(name) != digest]


def ensure_sales_in(warehouse: Warehouse) -> bool:
    """Rebuild every sales table that is missing or changed; True when it rebuilt any."""
    with _lock:
        ensure_functions(warehouse)
        damaged = _damaged(warehouse)
        if not damaged:
            return False
        tables = sales.generate()
        for name in damaged:
            columns, rows = tables[name]
            warehouse.create_table(name, columns, rows)
        return True


def ensure_sales(state: EmulatorState) -> bool:
    """Create `main.sales.{regions,customers,products,orders,order_items}` if absent (idempotent)."""
    return ensure_sales_in(state.warehouse)


def seed_sales(state: EmulatorState) -> None:
    """The demo's sales data (what `genie/demo.py` calls at first start)."""
    ensure_sales(state)


# -- Databricks SQL date functions ---------------------------------------------------------------

def _date(value: Any) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _year(value: Any) -> int | None:
    d = _date(value)
    return d.year if d else None


def _month(value: Any) -> int | None:
    d = _date(value)
    return d.month if d else None


def _quarter(value: Any) -> int | None:
    d = _date(value)
    return (d.month - 1) // 3 + 1 if d else None


def _datediff(end: Any, start: Any) -> int | None:
    a, b = _date(end), _date(start)
    return (a - b).days if a and b else None


_FORMATS = (("yyyy", "%Y"), ("MM", "%m"), ("dd", "%d"))


def _date_format(value: Any, fmt: Any) -> str | None:
    d = _date(value)
    if d is None or fmt is None:
        return None
    pattern = str(fmt)
    for java, py in _FORMATS:
        pattern = pattern.replace(java, py)
    return d.strftime(pattern)


def _concat(*parts: Any) -> str | None:
    if any(p is None for p in parts):
        return None
    return "".join(str(p) for p in parts)


def ensure_functions(warehouse: Warehouse) -> None:
    """Register year/month/quarter/datediff/date_format/concat on this warehouse's connection once."""
    if warehouse in _with_functions:
        return
    warehouse.register_function("year", 1, _year)
    warehouse.register_function("month", 1, _month)
    warehouse.register_function("quarter", 1, _quarter)
    warehouse.register_function("datediff", 2, _datediff)
    warehouse.register_function("date_format", 2, _date_format)
    warehouse.register_function("concat", -1, _concat)
    _with_functions.add(warehouse)


__all__ = ["ensure_functions", "ensure_sales", "ensure_sales_in", "seed_sales"]
