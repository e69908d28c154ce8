"""The NL->SQL translator behind the emulated Genie, without HTTP.

The accuracy set: questions a sales manager asks, each with an expected result computed by SQL
written independently here (plain SQLite over the same tables, none of the translator's code).
The translator's SQL must return the same result (same rows; column names and extra columns
aside) on at least 90% of them; misses are printed. Revenue follows the space's instructions:
orders that are cancelled or returned do not count, unless the question filters on status.
"""

from __future__ import annotations

import datetime as dt
import math

import pytest

from agent_lib.emulator.genie import demo
from agent_lib.emulator.genie.nl2sql import Context, Example, translate
from agent_lib.emulator.genie.nl2sql.curated import best_match
from agent_lib.emulator.genie.nl2sql.lexicon import stem, tokenize
from agent_lib.emulator.genie.nl2sql.spec import Spec
from agent_lib.emulator.genie.nl2sql.summary import summarize
from agent_lib.emulator.genie.nl2sql.timeparse import parse_time
from agent_lib.emulator.warehouse import Warehouse
from agent_lib.emulator.warehouse.demo import ensure_functions, ensure_sales_in

ORD, ITEMS, C, P, R = ("main.sales.orders", "main.sales.order_items", "main.sales.customers", "main.sales.products",
                 "main.sales.regions")
NET = "status NOT IN ('cancelled','returned')"
ILINE = "i.quantity * i.unit_price * (1 - i.discount)"

# (question, expected SQL, ordered?) -- ordered only where the question asks for an order.
CASES: list[tuple[str, str]] = [
    ("What was our total revenue in 2025?",
     f"SELECT ROUND(SUM(total), 2) FROM {ORD} WHERE {NET} AND order_date LIKE '2025%'"),
    ("How much did we sell in 2024?",
     f"SELECT ROUND(SUM(total), 2) FROM {ORD} WHERE {NET} AND order_date LIKE '2024%'"),
    ("Revenue by region for 2025",
     f"SELECT region, ROUND(SUM(total), 2) FROM {ORD} WHERE {NET} AND order_date LIKE '2025%' GROUP BY region"),
    ("Which region had the highest sales last year?",
     f"SELECT region, SUM(total) s FROM {ORD} WHERE {NET} AND order_date LIKE '2024%' GROUP BY region "
     "ORDER BY s DESC LIMIT 1"),
    ("Show me monthly revenue for 2025",
     f"SELECT substr(order_date, 1, 7), ROUND(SUM(total), 2) FROM {ORD} WHERE {NET} AND order_date "
     f"LIKE '2025%' "
     "GROUP BY 1"),
    ("How many orders did we get in Q3 2024?",
     f"SELECT COUNT(*) FROM {ORD} WHERE order_date BETWEEN '2024-07-01' AND '2024-09-30'"),
    ("Top 5 products by revenue",
     f"SELECT p.name, ROUND(SUM({ILINE}), 2) r FROM {ITEMS} i JOIN {P} p USING (product_id) "
     f"JOIN {ORD} o USING (order_id) WHERE o.{NET} GROUP BY p.name ORDER BY r DESC LIMIT 5"),
    ("What are our 3 best-selling products?",
     f"SELECT p.name, SUM(i.quantity) u FROM {ITEMS} i JOIN {P} p USING (product_id) JOIN {ORD} o USING (order_id) "
     f"WHERE o.{NET} GROUP BY p.name ORDER BY u DESC LIMIT 3"),
    ("What's the status of order SO-10042?",
     f"SELECT order_id, status, ship_date, carrier FROM {ORD} WHERE order_id = 'SO-10042'"),
    ("How many customers do we have in Germany?",
     f"SELECT COUNT(*) FROM {C} WHERE country = 'Germany'"),
    ("Average order value by customer segment",
     f"SELECT c.segment, ROUND(AVG(o.total), 2) FROM {ORD} o JOIN {C} c USING (customer_id) WHERE o.{NET} "
     "GROUP BY c.segment"),
    ("How many orders were cancelled in 2025?",
     f"SELECT COUNT(*) FROM {ORD} WHERE status = 'cancelled' AND order_date LIKE '2025%'"),
    ("What is the cancellation rate by region?",
     f"SELECT region, ROUND(100.0 * SUM(status = 'cancelled') / COUNT(*), 2) FROM {ORD} GROUP BY region"),
    ("Which carrier has the fastest average shipping time?",
     f"SELECT carrier, AVG(julianday(ship_date) - julianday(order_date)) d FROM {ORD} WHERE carrier "
     f"IS NOT NULL "
     "GROUP BY carrier ORDER BY d ASC LIMIT 1"),
    ("Revenue from Enterprise customers in EMEA in 2025",
     f"SELECT ROUND(SUM(o.total), 2) FROM {ORD} o JOIN {C} c USING (customer_id) WHERE o.{NET} "
     "AND c.segment = 'Enterprise' AND o.region = 'EMEA' AND o.order_date LIKE '2025%'"),
    ("How many laptops did we sell in 2025?",
     f"SELECT SUM(i.quantity) FROM {ITEMS} i JOIN {P} p USING (product_id) JOIN {ORD} o USING (order_id) "
     f"WHERE o.{NET} AND p.category = 'Laptops' AND o.order_date LIKE '2025%'"),
    ("List the pending orders",
     f"SELECT order_id FROM {ORD} WHERE status = 'pending'"),
    ("Who are our top 10 customers by revenue?",
     f"SELECT c.name, SUM(o.total) r FROM {ORD} o JOIN {C} c USING (customer_id) WHERE o.{NET} "
     "GROUP BY c.name ORDER BY r DESC LIMIT 10"),
    ("Quarterly revenue in 2024",
     f"SELECT '2024-Q' || ((CAST(substr(order_date, 6, 2) AS INT) + 2) / 3) q, ROUND(SUM(total), 2) FROM {ORD} "
     f"WHERE {NET} AND order_date LIKE '2024%' GROUP BY q"),
    ("Compare revenue in 2024 and 2025",
     f"SELECT substr(order_date, 1, 4), ROUND(SUM(total), 2) FROM {ORD} WHERE {NET} GROUP BY 1"),
    ("What was revenue in March 2025?",
     f"SELECT ROUND(SUM(total), 2) FROM {ORD} WHERE {NET} AND order_date LIKE '2025-03%'"),
    ("Sales by product category",
     f"SELECT p.category, ROUND(SUM({ILINE}), 2) FROM {ITEMS} i JOIN {P} p USING (product_id) "
     f"JOIN {ORD} o USING (order_id) WHERE o.{NET} GROUP BY p.category"),
    ("How many new customers signed up in 2025?",
     f"SELECT COUNT(*) FROM {C} WHERE signup_date LIKE '2025%'"),
    ("Revenue by country in APAC",
     f"SELECT c.country, ROUND(SUM(o.total), 2) FROM {ORD} o JOIN {C} c USING (customer_id) "
     f"WHERE o.{NET} AND o.region = 'APAC' GROUP BY c.country"),
    ("Which month in 2025 had the most orders?",
     f"SELECT substr(order_date, 1, 7) m, COUNT(*) n FROM {ORD} WHERE order_date LIKE '2025%' GROUP BY m "
     "ORDER BY n DESC LIMIT 1"),
    ("What's the average discount by segment?",
     f"SELECT c.segment, ROUND(100 * AVG(i.discount), 2) FROM {ITEMS} i JOIN {ORD} o USING (order_id) "
     f"JOIN {C} c USING (customer_id) WHERE o.{NET} GROUP BY c.segment"),
    ("Revenue last quarter by category",
     f"SELECT p.category, ROUND(SUM({ILINE}), 2) FROM {ITEMS} i JOIN {P} p USING (product_id) "
     f"JOIN {ORD} o USING (order_id) WHERE o.{NET} AND o.order_date BETWEEN '2025-07-01' AND '2025-09-30' "
     "GROUP BY p.category"),
    ("How many orders shipped with DHL in 2025?",
     f"SELECT COUNT(*) FROM {ORD} WHERE carrier = 'DHL' AND order_date LIKE '2025%'"),
    ("Units sold by category in Q4 2025",
     f"SELECT p.category, SUM(i.quantity) FROM {ITEMS} i JOIN {P} p USING (product_id) JOIN {ORD} o USING "
     f"(order_id) "
     f"WHERE o.{NET} AND o.order_date >= '2025-10-01' GROUP BY p.category"),
    ("What were total sales for the AeroBook 15 Pro?",
     f"SELECT ROUND(SUM({ILINE}), 2) FROM {ITEMS} i JOIN {P} p USING (product_id) JOIN {ORD} o USING (order_id) "
     f"WHERE o.{NET} AND p.name = 'AeroBook 15 Pro'"),
    ("How much revenue came from Monitors between March and May 2025?",
     f"SELECT ROUND(SUM({ILINE}), 2) FROM {ITEMS} i JOIN {P} p USING (product_id) JOIN {ORD} o USING (order_id) "
     f"WHERE o.{NET} AND p.category = 'Monitors' AND o.order_date BETWEEN '2025-03-01' AND '2025-05-31'"),
    ("Which country manager had the highest revenue in 2025?",
     f"SELECT r.manager, SUM(o.total) s FROM {ORD} o JOIN {C} c USING (customer_id) JOIN {R} r ON "
     f"r.country = c.country WHERE o.{NET} AND o.order_date LIKE '2025%' GROUP BY r.manager "
     "ORDER BY s DESC LIMIT 1"),
    ("Number of returned orders by carrier",
     f"SELECT carrier, COUNT(*) FROM {ORD} WHERE status = 'returned' GROUP BY carrier"),
    ("What is the return rate for each category?",
     f"SELECT p.category, ROUND(100.0 * COUNT(DISTINCT CASE WHEN o.status = 'returned' THEN o.order_id END) "
     f"/ COUNT(DISTINCT o.order_id), 2) FROM {ORD} o JOIN {ITEMS} i USING (order_id) JOIN {P} p USING (product_id) "
     "GROUP BY p.category"),
    ("Average order value in North America vs EMEA",
     f"SELECT region, ROUND(AVG(total), 2) FROM {ORD} WHERE {NET} AND region IN ('North America', 'EMEA') "
     "GROUP BY region"),
    ("Show me the 5 largest orders in 2025",
     f"SELECT order_id, total FROM {ORD} WHERE order_date LIKE '2025%' ORDER BY total DESC LIMIT 5"),
    ("Revenue year to date",
     f"SELECT ROUND(SUM(total), 2) FROM {ORD} WHERE {NET} AND order_date LIKE '2025%'"),
    ("How many orders did we receive in the last 30 days?",
     f"SELECT COUNT(*) FROM {ORD} WHERE order_date >= '2025-12-02'"),
    ("Which customers in Japan spent the most?",
     f"SELECT c.name, SUM(o.total) r FROM {ORD} o JOIN {C} c USING (customer_id) WHERE o.{NET} "
     "AND c.country = 'Japan' GROUP BY c.name ORDER BY r DESC LIMIT 10"),
    ("Revenue in 2025 excluding laptops",
     f"SELECT ROUND(SUM({ILINE}), 2) FROM {ITEMS} i JOIN {P} p USING (product_id) JOIN {ORD} o USING (order_id) "
     f"WHERE o.{NET} AND p.category <> 'Laptops' AND o.order_date LIKE '2025%'"),
    ("Monthly order count for LATAM in 2024",
     f"SELECT substr(order_date, 1, 7), COUNT(*) FROM {ORD} WHERE region = 'LATAM' AND order_date LIKE '2024%' "
     "GROUP BY 1"),
    ("What were the total discounts given in 2025?",
     f"SELECT ROUND(SUM(i.quantity * i.unit_price * i.discount), 2) FROM {ITEMS} i JOIN {ORD} o USING (order_id) "
     f"WHERE o.{NET} AND o.order_date LIKE '2025%'"),
    ("What products are in order SO-10042?",
     f"SELECT p.name, i.quantity FROM {ITEMS} i JOIN {P} p USING (product_id) WHERE i.order_id = 'SO-10042'"),
    ("How many small business customers are there in each region?",
     f"SELECT region, COUNT(*) FROM {C} WHERE segment = 'Small Business' GROUP BY region"),
    ("Revenue by segment and region in 2025",
     f"SELECT c.segment, o.region, ROUND(SUM(o.total), 2) FROM {ORD} o JOIN {C} c USING (customer_id) "
     f"WHERE o.{NET} AND o.order_date LIKE '2025%' GROUP BY 1, 2"),
    ("Which products sold the fewest units in 2025?",
     f"SELECT p.name, SUM(i.quantity) u FROM {ITEMS} i JOIN {P} p USING (product_id) JOIN {ORD} o USING (order_id) "
     f"WHERE o.{NET} AND o.order_date LIKE '2025%' GROUP BY p.name ORDER BY u ASC, p.name LIMIT 10"),
    ("Average shipping time by carrier",
     f"SELECT carrier, ROUND(AVG(julianday(ship_date) - julianday(order_date)), 2) FROM {ORD} "
     "WHERE carrier IS NOT NULL GROUP BY carrier"),
    ("Revenue by quarter for Enterprise customers",
     f"SELECT substr(o.order_date, 1, 4) || '-Q' || ((CAST(substr(o.order_date, 6, 2) AS INT) + 2) / 3), "
     f"ROUND(SUM(o.total), 2) FROM {ORD} o JOIN {C} c USING (customer_id) WHERE o.{NET} "
     "AND c.segment = 'Enterprise' GROUP BY 1"),
    ("List all products in the Storage category",
     f"SELECT name FROM {P} WHERE category = 'Storage'"),
    ("How many orders are still open?",
     f"SELECT COUNT(*) FROM {ORD} WHERE status IN ('pending', 'processing')"),
    ("What is our average order value in the past 90 days?",
     f"SELECT ROUND(AVG(total), 2) FROM {ORD} WHERE {NET} AND order_date >= '2025-10-03'"),
    ("Orders over $10,000 in 2025",
     f"SELECT COUNT(*) FROM {ORD} WHERE total > 10000 AND order_date LIKE '2025%'"),
    ("Revenue in H1 2025 by region",
     f"SELECT region, ROUND(SUM(total), 2) FROM {ORD} WHERE {NET} AND order_date BETWEEN '2025-01-01' AND "
     "'2025-06-30' GROUP BY region"),
    ("How did EMEA do in Q4 2025?",
     f"SELECT ROUND(SUM(total), 2) FROM {ORD} WHERE {NET} AND region = 'EMEA' AND order_date >= '2025-10-01'"),
    ("Which segment buys the most laptops?",
     f"SELECT c.segment, SUM(i.quantity) u FROM {ITEMS} i JOIN {P} p USING (product_id) JOIN {ORD} o "
     f"USING (order_id) "
     f"JOIN {C} c USING (customer_id) WHERE o.{NET} AND p.category = 'Laptops' GROUP BY c.segment "
     "ORDER BY u DESC LIMIT 1"),
    ("Give me the number of orders per status",
     f"SELECT status, COUNT(*) FROM {ORD} GROUP BY status"),
    ("What was the best month for sales in 2024?",
     f"SELECT substr(order_date, 1, 7) m, SUM(total) s FROM {ORD} WHERE {NET} AND order_date LIKE '2024%' "
     "GROUP BY m ORDER BY s DESC LIMIT 1"),
    ("What is the top product in each category?",
     f"WITH r AS (SELECT p.category, p.name, SUM({ILINE}) rev FROM {ITEMS} i JOIN {P} p USING (product_id) "
     f"JOIN {ORD} o USING (order_id) WHERE o.{NET} GROUP BY 1, 2) "
     "SELECT category, name, ROUND(rev, 2) FROM r WHERE rev = (SELECT MAX(rev) FROM r r2 WHERE "
     "r2.category = r.category)"),
    ("Which region grew the most from 2024 to 2025?",
     f"SELECT region, 100.0 * (SUM(CASE WHEN order_date LIKE '2025%' THEN total END) - SUM(CASE "
     f"WHEN order_date "
     f"LIKE '2024%' THEN total END)) / SUM(CASE WHEN order_date LIKE '2024%' THEN total END) g FROM {ORD} "
     f"WHERE {NET} GROUP BY region ORDER BY g DESC LIMIT 1"),
    ("Who manages Germany?", f"SELECT manager FROM {R} WHERE country = 'Germany'"),
    ("How many orders did Acme customers place?",
     f"SELECT COUNT(*) FROM {ORD} o JOIN {C} c USING (customer_id) WHERE c.name LIKE 'Acme %'"),
    ("What is the average number of items per order?",
     f"SELECT ROUND(1.0 * SUM(i.quantity) / COUNT(DISTINCT o.order_id), 2) FROM {ITEMS} i JOIN {ORD} o "
     f"USING (order_id) "
     f"WHERE o.{NET}"),
    ("How much did the average enterprise order cost in 2024?",
     f"SELECT ROUND(AVG(o.total), 2) FROM {ORD} o JOIN {C} c USING (customer_id) WHERE o.{NET} "
     "AND c.segment = 'Enterprise' AND o.order_date LIKE '2024%'"),
    ("What percentage of orders were returned in 2024?",
     f"SELECT ROUND(100.0 * SUM(status = 'returned') / COUNT(*), 2) FROM {ORD} WHERE order_date LIKE '2024%'"),
    ("What was the largest single order ever?", f"SELECT order_id FROM {ORD} ORDER BY total DESC LIMIT 1"),
    ("Which country has the fewest customers?",
     f"SELECT country, COUNT(*) n FROM {C} GROUP BY country ORDER BY n ASC LIMIT 1"),
    ("What did Falcon Ventures AG buy?",
     f"SELECT p.name, SUM(i.quantity) FROM {ITEMS} i JOIN {P} p USING (product_id) JOIN {ORD} o USING (order_id) "
     f"JOIN {C} c USING (customer_id) WHERE o.{NET} AND c.name = 'Falcon Ventures AG' GROUP BY p.name"),
    ("Revenue from the UK in the first quarter of 2025",
     f"SELECT ROUND(SUM(o.total), 2) FROM {ORD} o JOIN {C} c USING (customer_id) WHERE o.{NET} "
     "AND c.country = 'United Kingdom' AND o.order_date BETWEEN '2025-01-01' AND '2025-03-31'"),
]

DECLINE = [
    "What's the weather in Berlin?",
    "Fire the sales manager",
    "Write a poem about laptops",
    "Delete all cancelled orders",
    "Who won the world cup?",
    "What will revenue be next year?",
    "Book a meeting with the EMEA manager",
    "Tell me a joke",
    "How many employees do we have?",
    "Update the price of the AeroBook 13 to 899",
    "Why did sales drop in February?",
    "Translate this into French",
    "Set all pending orders to shipped",
    "What's the profit margin by category?",
    "How many support tickets are open?",
]


@pytest.fixture(scope="module")
def wh() -> Warehouse:
    w = Warehouse()
    ensure_sales_in(w)
    return w


@pytest.fixture(scope="module")
def ctx(wh: Warehouse) -> Context:
    """The demo space's translator: its curated examples first, then the parser."""
    ensure_functions(wh)
    examples = [Example(q, sql) for q, sql in demo.EXAMPLES]
    return Context.load(lambda sql: wh.execute(sql).rows, examples)


def _norm(v: object) -> object:
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return round(float(v), 2)
    if isinstance(v, str):
        try:
            return round(float(v), 2)
        except ValueError:
            return v
    return v


def _close(a: object, b: object) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-6, abs_tol=0.011)
    return a == b


def _same_result(expected: list[tuple], actual: list[tuple]) -> bool:
    """Same rows, ignoring extra actual columns, column names and order: every expected column is
    matched to a distinct actual column holding the same values, then whole rows are compared."""
    if len(expected) != len(actual):
        return False
    if not expected:
        return True
    exp = [[_norm(v) for v in r] for r in expected]
    act = [[_norm(v) for v in r] for r in actual]

    def column(rows: list[list[object]], j: int) -> list[object]:
        return sorted((r[j] for r in rows), key=repr)

    mapping: list[int] = []
    for j in range(len(exp[0])):
        want = column(exp, j)
        k = next((k for k in range(len(act[0])) if k not in mapping and all(
            _close(a, b) for a, b in zip(want, column(act, k), strict=False))), None)
        if k is None:
            return False
        mapping.append(k)
    rows_e = sorted((tuple(r) for r in exp), key=repr)
    rows_a = sorted((tuple(r[k] for k in mapping) for r in act), key=repr)
    return all(all(_close(a, b) for a, b in zip(x, y, strict=False)) for x, y in zip(rows_e, rows_a, strict=False))


def test_accuracy_on_sales_manager_questions(wh: Warehouse, ctx: Context,
                                             capsys: pytest.CaptureFixture) -> None:
    assert len(CASES) >= 40
    misses = []
    for question, expected_sql in CASES:
        expected = list(wh.execute(expected_sql).rows)
        t = translate(question, ctx)
        if not t.ok:
            misses.append(f"{question!r}: declined ({t.reason})")
            continue
        try:
            actual = list(wh.execute(t.sql).rows)
        except Exception as exc:  # noqa: BLE001 - a miss, reported below
            misses.append(f"{question!r}: SQL failed: {exc}")
            continue
        if not _same_result(expected, actual):
            misses.append(f"{question!r}: got {actual[:3]}... expected {expected[:3]}...")
    accuracy = 1 - len(misses) / len(CASES)
    with capsys.disabled():
        print(f"\nnl2sql accuracy: {len(CASES) - len(misses)}/{len(CASES)} ({accuracy:.0%})")
        for m in misses:
            print("  miss:", m)
    assert accuracy >= 0.9, "\n".join(misses)


@pytest.mark.parametrize("question", DECLINE)
def test_declines_what_it_cannot_map(ctx: Context, question: str) -> None:
    t = translate(question, ctx)
    assert not t.ok, t.sql
    assert t.reason and t.suggestions
    assert t.suggestions[0] == demo.EXAMPLES[0][0]


def test_decline_names_the_words_it_did_not_understand(ctx: Context) -> None:
    t = translate("fire the sales manager", ctx)
    assert t.unmapped == ("fire",) and "'fire'" in t.reason
    assert "read data" in translate("delete all cancelled orders", ctx).reason
    assert "does not forecast" in translate("what will sales be in 2026?", ctx).reason


def test_curated_example_matches_by_similarity_not_exact_text(ctx: Context) -> None:
    t = translate("who are the 10 biggest customers by sales", ctx)
    assert t.source == "curated" and "LIMIT 10" in t.sql
    # a different number is a different question: the parser answers it
    t5 = translate("who are our top 5 customers by revenue", ctx)
    assert t5.source == "parser" and "LIMIT 5" in t5.sql


def test_curated_match_requires_same_values_and_time() -> None:
    ex = [Example("What was revenue by region last quarter?", "SELECT 1")]
    assert best_match("revenue by region last quarter", ex) is not None
    assert best_match("revenue by region this quarter", ex) is None
    assert best_match("revenue by region in 2024", ex) is None


def test_relative_time_anchors_on_the_data_not_the_clock() -> None:
    first, last = dt.date(2024, 1, 1), dt.date(2025, 12, 31)
    cases = {
        "last quarter": [("2025-07-01", "2025-09-30")],
        "Q3 2024": [("2024-07-01", "2024-09-30")],
        "in March 2025": [("2025-03-01", "2025-03-31")],
        "between March and May 2025": [("2025-03-01", "2025-05-31")],
        "last month": [("2025-11-01", "2025-11-30")],
        "since June": [("2025-06-01", "2025-12-31")],
        "the past 90 days": [("2025-10-03", "2025-12-31")],
        "2024 vs 2025": [("2024-01-01", "2024-12-31"), ("2025-01-01", "2025-12-31")],
        "before 2025": [("2024-01-01", "2024-12-31")],
        "from 2024-03-01 to 2024-06-30": [("2024-03-01", "2024-06-30")],
    }
    for text, want in cases.items():
        got = parse_time(tokenize(text), first, last).ranges
        assert [(s.isoformat(), e.isoformat()) for s, e in got] == want, text
    # a different anchor moves relative ranges with it
    got = parse_time(tokenize("last quarter"), first, dt.date(2025, 5, 15)).ranges
    assert got == [(dt.date(2025, 1, 1), dt.date(2025, 3, 31))]


def test_follow_up_completes_from_previous_question(wh: Warehouse, ctx: Context) -> None:
    first = translate("revenue by region in 2025", ctx)
    follow = translate("what about 2024?", ctx, previous=first.spec)
    assert follow.ok and "2024-01-01" in follow.sql and "GROUP BY o.region" in follow.sql
    narrowed = translate("and for laptops?", ctx, previous=follow.spec)
    assert "p.category = 'Laptops'" in narrowed.sql and "2024-01-01" in narrowed.sql
    by_month = translate("break it down by month", ctx, previous=first.spec)
    assert "DATE_FORMAT" in by_month.sql and "o.region" in by_month.sql
    wh.execute(by_month.sql)


def test_follow_up_chain(ctx: Context) -> None:
    spec = None
    steps = [("revenue by region in 2025", "GROUP BY o.region"),
             ("how about order count?", "COUNT(DISTINCT o.order_id)"),
             ("only enterprise customers", "c.segment = 'Enterprise'"),
             ("now by country", "GROUP BY c.country"),
             ("top 3", "LIMIT 3")]
    for question, expected in steps:
        t = translate(question, ctx, previous=spec)
        assert t.ok and expected in t.sql, (question, t.sql)
        spec = t.spec
    assert "o.region" not in t.sql and "2025-01-01" in t.sql
    lookup = translate("status of order SO-10050", ctx)
    items = translate("what products were in it?", ctx, previous=lookup.spec)
    assert "FROM main.sales.order_items i" in items.sql and "'SO-10050'" in items.sql


def test_filters_match_the_datas_own_values(ctx: Context) -> None:
    assert "c.segment = 'Enterprise'" in translate("revenue from enterprise customers", ctx).sql
    assert "o.status = 'cancelled'" in translate("how many canceled orders", ctx).sql
    assert "o.region = 'EMEA'" in translate("sales in europe", ctx).sql
    assert "o.carrier = 'FedEx'" in translate("orders shipped with fedex", ctx).sql
    assert "AeroBook 13" in translate("units of aerobook sold", ctx).sql  # a product family


def test_summary_sentence(wh: Warehouse, ctx: Context) -> None:
    t = translate("revenue by region in 2025", ctx)
    r = wh.execute(t.sql)
    text = summarize([c.name for c in r.columns], r.rows, t.spec)
    assert text.startswith("North America had the highest revenue in 2025 ($")
    t = translate("status of order SO-10042", ctx)
    r = wh.execute(t.sql)
    assert "SO-10042" in summarize([c.name for c in r.columns], r.rows, t.spec)
    assert summarize(["revenue"], [], Spec(measures=["revenue"])) == "No data matches this question."


def test_stemming_is_consistent() -> None:
    assert {stem(w) for w in ("categories", "category")} == {"category"}
    assert stem("statuses") == stem("status") and stem("switches") == "switch"
