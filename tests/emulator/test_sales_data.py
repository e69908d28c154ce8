"""The demo sales data: deterministic, internally consistent, and shaped like a real business."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys

import pytest

from agent_lib.emulator.warehouse import Access, Warehouse, sales
from agent_lib.emulator.warehouse.demo import ensure_functions, ensure_sales_in


def _checksum(tables: dict) -> dict[str, tuple[int, str]]:
    return {name: (len(rows), hashlib.sha256(json.dumps(rows, default=str).encode()).hexdigest())
            for name, (_, rows) in tables.items()}


@pytest.fixture(scope="module")
def wh() -> Warehouse:
    w = Warehouse()
    assert ensure_sales_in(w) is True
    return w


def q(w: Warehouse, sql: str) -> list[tuple]:
    return list(w.execute(sql).rows)


def test_same_rows_and_checksums_every_time() -> None:
    first, second = _checksum(sales.generate()), _checksum(sales.generate())
    assert first == second
    assert {k: n for k, (n, _) in first.items()} == {
        sales.REGIONS: 12, sales.CUSTOMERS: 600, sales.PRODUCTS: 28, sales.ORDERS: 2500,
        sales.ORDER_ITEMS: first[sales.ORDER_ITEMS][0]}
    assert 5000 < first[sales.ORDER_ITEMS][0] < 7000


def test_same_checksums_in_another_process_with_another_hash_seed() -> None:
    code = ("import json,hashlib;from agent_lib.emulator.warehouse import sales;"
            "print(json.dumps({k: hashlib.sha256(json.dumps(r, default=str).encode()).hexdigest() "
            "for k, (_, r) in sales.generate().items()}))")
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert json.loads(out.stdout) == {k: h for k, (_, h) in _checksum(sales.generate()).items()}


def test_ensure_sales_is_idempotent(wh: Warehouse) -> None:
    assert ensure_sales_in(wh) is False
    assert sorted(wh.tables("main.sales")) == sorted(sales.table_names())
    # a damaged table is rebuilt: a lost row, and one changed value with the row count intact
    writer = Access(can_write=lambda table: True)
    wh.execute("DELETE FROM main.sales.orders WHERE order_id = 'SO-10001'", access=writer)
    assert ensure_sales_in(wh) is True
    assert q(wh, "SELECT COUNT(*) FROM main.sales.orders") == [(2500,)]
    before = q(wh, "SELECT total FROM main.sales.orders WHERE order_id = 'SO-10042'")
    wh.execute("UPDATE main.sales.orders SET total = total + 1 WHERE order_id = 'SO-10042'", access=writer)
    assert q(wh, "SELECT COUNT(*) FROM main.sales.orders") == [(2500,)]
    assert ensure_sales_in(wh) is True
    assert q(wh, "SELECT total FROM main.sales.orders WHERE order_id = 'SO-10042'") == before
    assert ensure_sales_in(wh) is False


def test_orders_are_consistent(wh: Warehouse) -> None:
    span = q(wh, "SELECT MIN(order_date), MAX(order_date) FROM main.sales.orders")
    assert span == [("2024-01-01", "2025-12-31")]
    assert q(wh, "SELECT COUNT(*) FROM main.sales.orders WHERE order_id NOT LIKE 'SO-1____'") == [(0,)]
    assert q(wh, "SELECT order_id FROM main.sales.orders WHERE order_id = 'SO-10042'") == [("SO-10042",)]
    statuses = {r[0] for r in q(wh, "SELECT DISTINCT status FROM main.sales.orders")}
    assert statuses == set(sales.STATUSES)
    # total = sum of its lines, rounded to cents
    assert q(wh, """SELECT COUNT(*) FROM main.sales.orders o JOIN (
                      SELECT order_id, ROUND(SUM(quantity * unit_price * (1 - discount)), 2) s
                      FROM main.sales.order_items GROUP BY order_id) t ON t.order_id = o.order_id
                    WHERE ABS(o.total - t.s) > 0.005""") == [(0,)]
    assert q(wh, "SELECT COUNT(*) FROM main.sales.orders WHERE order_id NOT IN "
                 "(SELECT order_id FROM main.sales.order_items)") == [(0,)]
    # shipped iff it has a ship date and a carrier; ships after it is ordered
    assert q(wh, "SELECT COUNT(*) FROM main.sales.orders WHERE (ship_date IS NULL) <> (carrier IS NULL) "
                 "OR ship_date < order_date") == [(0,)]
    assert q(wh, "SELECT COUNT(*) FROM main.sales.orders WHERE ship_date IS NULL AND status IN "
                 "('shipped', 'delivered', 'returned')") == [(0,)]
    # customers sign up before they order; an order's region is its customer's
    assert q(wh, "SELECT COUNT(*) FROM main.sales.orders o JOIN main.sales.customers c USING (customer_id) "
                 "WHERE c.signup_date > o.order_date OR c.region <> o.region") == [(0,)]
    # the unit price of a line is the product's list price
    assert q(wh, "SELECT COUNT(*) FROM main.sales.order_items i JOIN main.sales.products p "
                 "USING (product_id) WHERE i.unit_price <> p.unit_price") == [(0,)]


def test_data_has_plausible_patterns(wh: Warehouse) -> None:
    by_year = dict(q(wh, "SELECT substr(order_date, 1, 4), SUM(total) FROM main.sales.orders GROUP BY 1"))
    assert by_year["2025"] > by_year["2024"] * 1.2  # growth
    months = dict(q(wh, "SELECT substr(order_date, 6, 2), COUNT(*) FROM main.sales.orders GROUP BY 1"))
    assert months["11"] > 1.5 * months["02"]  # holiday peak
    regions = dict(q(wh, "SELECT region, COUNT(*) FROM main.sales.orders GROUP BY 1"))
    assert regions["North America"] > regions["EMEA"] > regions["APAC"] > regions["LATAM"]
    usps = q(wh, "SELECT DISTINCT region FROM main.sales.orders WHERE carrier = 'USPS'")
    assert usps == [("North America",)]
    aov = dict(q(wh, "SELECT c.segment, AVG(o.total) FROM main.sales.orders o JOIN main.sales.customers c "
                     "USING (customer_id) GROUP BY 1"))
    assert aov["Enterprise"] > aov["Small Business"] > aov["Consumer"]
    recent = {r[0] for r in q(wh, "SELECT DISTINCT status FROM main.sales.orders "
                                   "WHERE order_date >= '2025-12-28'")}
    assert recent <= {"pending", "processing"}
    assert {r[0] for r in q(wh, "SELECT DISTINCT category FROM main.sales.products")} == set(sales.CATEGORIES)


def test_databricks_date_functions(wh: Warehouse) -> None:
    ensure_functions(wh)
    row = q(wh, "SELECT YEAR('2025-03-04'), MONTH('2025-03-04'), QUARTER('2025-03-04'), "
                "DATEDIFF('2025-03-04', '2025-02-27'), DATE_FORMAT('2025-03-04', 'yyyy-MM'), "
                "CONCAT(2025, '-Q', 1), CONCAT('a', NULL)")
    assert row == [(2025, 3, 1, 5, "2025-03", "2025-Q1", None)]
