"""The demo Genie space "Sales analytics" over `main.sales.*`, and the sales data it needs.

`seed(state)` runs at first start (emulator.services.SERVICES): it makes sure the sales tables exist
(`warehouse.demo.ensure_sales`) and creates the space, owned by the workspace admin. Demo users
get no permission on it: granting CAN_RUN is the package's grant step.
"""

from __future__ import annotations

from typing import Any

from ..core import demo_ids
from ..core.state import ADMIN_USER, EmulatorState
from ..warehouse import sales
from . import models

DESCRIPTION = ("Ask questions about the online hardware store's sales: orders, revenue, products, "
               "customers and regions, 2024-2025.")

INSTRUCTIONS = """\
Revenue (sales) is the sum of orders.total in USD; cancelled and returned orders do not count as revenue, \
units sold or average order value unless the question asks about those statuses.
At product or category level, revenue is the sum of quantity * unit_price * (1 - discount) over order_items.
Order counts include every status. An order's region is its customer's region; country comes from customers.
Each country has one sales manager (main.sales.regions.manager).
"Last quarter", "this year" and other relative dates are relative to the latest order date (2025-12-31).
Discounts are fractions (0.10 = 10%); show them as percentages."""

NET = "o.status NOT IN ('cancelled', 'returned')"
LINE = "i.quantity * i.unit_price * (1 - i.discount)"

# (question, SQL) -- the curated examples; the first five are the space's sample questions.
EXAMPLES: tuple[tuple[str, str], ...] = (
    ("What was total revenue by region in 2025?",
     f"""SELECT o.region, ROUND(SUM(o.total), 2) AS revenue
FROM main.sales.orders o
WHERE {NET}
  AND o.order_date BETWEEN '2025-01-01' AND '2025-12-31'
GROUP BY o.region
ORDER BY revenue DESC"""),
    ("Who are our top 10 customers by revenue?",
     f"""SELECT c.name AS customer, c.segment, c.country, ROUND(SUM(o.total), 2) AS revenue
FROM main.sales.orders o
JOIN main.sales.customers c ON c.customer_id = o.customer_id
WHERE {NET}
GROUP BY c.name, c.segment, c.country
ORDER BY revenue DESC
LIMIT 10"""),
    ("Show monthly revenue for 2025",
     f"""SELECT DATE_FORMAT(o.order_date, 'yyyy-MM') AS month, ROUND(SUM(o.total), 2) AS revenue
FROM main.sales.orders o
WHERE {NET}
  AND o.order_date BETWEEN '2025-01-01' AND '2025-12-31'
GROUP BY DATE_FORMAT(o.order_date, 'yyyy-MM')
ORDER BY month"""),
    ("Which product categories sell best?",
     f"""SELECT p.category, SUM(i.quantity) AS units_sold, ROUND(SUM({LINE}), 2) AS revenue
FROM main.sales.orders o
JOIN main.sales.order_items i ON i.order_id = o.order_id
JOIN main.sales.products p ON p.product_id = i.product_id
WHERE {NET}
GROUP BY p.category
ORDER BY revenue DESC"""),
    ("What is the average order value by customer segment?",
     f"""SELECT c.segment, COUNT(*) AS order_count, ROUND(AVG(o.total), 2) AS avg_order_value
FROM main.sales.orders o
JOIN main.sales.customers c ON c.customer_id = o.customer_id
WHERE {NET}
GROUP BY c.segment
ORDER BY avg_order_value DESC"""),
    ("How many orders were cancelled or returned by region?",
     """SELECT o.region,
       SUM(CASE WHEN o.status = 'cancelled' THEN 1 ELSE 0 END) AS cancelled_orders,
       SUM(CASE WHEN o.status = 'returned' THEN 1 ELSE 0 END) AS returned_orders,
       COUNT(*) AS order_count
FROM main.sales.orders o
WHERE o.status IN ('cancelled', 'returned')
GROUP BY o.region
ORDER BY order_count DESC"""),
    ("Which carrier ships the most orders?",
     """SELECT o.carrier, COUNT(*) AS order_count,
       ROUND(AVG(DATEDIFF(o.ship_date, o.order_date)), 2) AS avg_days_to_ship
FROM main.sales.orders o
WHERE o.carrier IS NOT NULL
GROUP BY o.carrier
ORDER BY order_count DESC
LIMIT 1"""),
    ("What are the top 5 best-selling products?",
     f"""SELECT p.name AS product, p.category, SUM(i.quantity) AS units_sold, ROUND(SUM({LINE}), 2) AS revenue
FROM main.sales.orders o
JOIN main.sales.order_items i ON i.order_id = o.order_id
JOIN main.sales.products p ON p.product_id = i.product_id
WHERE {NET}
GROUP BY p.name, p.category
ORDER BY units_sold DESC, product
LIMIT 5"""),
    ("How did revenue in Q4 2025 compare with Q4 2024?",
     f"""SELECT CONCAT(YEAR(o.order_date), '-Q', QUARTER(o.order_date)) AS quarter,
       ROUND(SUM(o.total), 2) AS revenue, COUNT(*) AS order_count
FROM main.sales.orders o
WHERE {NET}
  AND (o.order_date BETWEEN '2024-10-01' AND '2024-12-31'
       OR o.order_date BETWEEN '2025-10-01' AND '2025-12-31')
GROUP BY CONCAT(YEAR(o.order_date), '-Q', QUARTER(o.order_date))
ORDER BY quarter"""),
    ("Which country managers had the highest revenue last quarter?",
     f"""SELECT r.manager, r.country, ROUND(SUM(o.total), 2) AS revenue
FROM main.sales.orders o
JOIN main.sales.customers c ON c.customer_id = o.customer_id
JOIN main.sales.regions r ON r.country = c.country
WHERE {NET}
  AND o.order_date BETWEEN '2025-07-01' AND '2025-09-30'
GROUP BY r.manager, r.country
ORDER BY revenue DESC"""),
    ("What is the status of order SO-10042?",
     """SELECT o.order_id, o.status, o.order_date, o.ship_date, o.carrier, o.total, o.currency,
       c.name AS customer
FROM main.sales.orders o
JOIN main.sales.customers c ON c.customer_id = o.customer_id
WHERE o.order_id = 'SO-10042'"""),
    ("What is the average number of days to ship by carrier?",
     """SELECT o.carrier, ROUND(AVG(DATEDIFF(o.ship_date, o.order_date)), 2) AS avg_days_to_ship,
       COUNT(*) AS shipped_orders
FROM main.sales.orders o
WHERE o.ship_date IS NOT NULL
GROUP BY o.carrier
ORDER BY avg_days_to_ship"""),
)


def _hex(n: int, kind: int) -> str:
    return f"{kind:02x}{n:030x}"


def serialized_space() -> dict[str, Any]:
    """The demo space in Genie's export format (version 2)."""
    return {
        "version": 2,
        "config": {"sample_questions": [{"id": _hex(i, 1), "question": [q]}
                                        for i, (q, _) in enumerate(EXAMPLES[:5])]},
        "data_sources": {"tables": [{"identifier": name, "description": [sales.TABLE_COMMENTS[name]]}
                                    for name in sorted(sales.table_names())]},
        "instructions": {
            "text_instructions": [{"id": _hex(0, 2), "content": [INSTRUCTIONS]}],
            "example_question_sqls": [{"id": _hex(i, 3), "question": [q], "sql": [sql]}
                                      for i, (q, sql) in enumerate(EXAMPLES)],
        },
    }


def seed(state: EmulatorState) -> None:
    """Sales tables (if absent) and the demo space (if absent), owned by the admin."""
    from ..warehouse.demo import ensure_sales

    ensure_sales(state)
    if state.store.get(models.KIND, demo_ids.GENIE_SPACE_ID) is not None:
        return
    admin_doc = state.identities.find("user", ADMIN_USER)
    owner = None
    if admin_doc is not None:
        from ..core.identity import Principal

        owner = Principal(id=admin_doc["id"], kind="user", name=admin_doc["name"],
                          display_name=admin_doc["display_name"], admin=True,
                          groups=tuple(admin_doc.get("groups", ["users", "admins"])))
    models.create_space(state, owner, warehouse_id=demo_ids.WAREHOUSE_ID, serialized_space=serialized_space(),
                        title=demo_ids.GENIE_SPACE_TITLE, description=DESCRIPTION,
                        parent_path=f"/Users/{ADMIN_USER}", space_id=demo_ids.GENIE_SPACE_ID)
