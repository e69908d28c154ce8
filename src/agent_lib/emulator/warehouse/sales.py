"""The demo company's sales data: a small hardware e-commerce business, generated deterministically.

Everything comes from one seeded `random.Random`, never from the clock, so every emulated
workspace holds the same rows (the same answers, the same checksums). The data has the shape a
sales manager expects to find: more orders in November and December, growth from 2024 to 2025
(fastest in APAC), regional carrier preferences, Enterprise customers buying in bulk at a discount,
a few cancellations and returns, and the last weeks of 2025 still pending or in transit.

`generate()` returns {full table name: (columns, rows)}; `warehouse/demo.py` loads it.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from typing import Any

from .engine import Column

SEED = 20240101
N_CUSTOMERS = 600
N_ORDERS = 2500
FIRST_DAY = dt.date(2024, 1, 1)
LAST_DAY = dt.date(2025, 12, 31)
FIRST_ORDER_NUMBER = 10001

REGIONS = "main.sales.regions"
CUSTOMERS = "main.sales.customers"
PRODUCTS = "main.sales.products"
ORDERS = "main.sales.orders"
ORDER_ITEMS = "main.sales.order_items"

STATUSES = ("pending", "processing", "shipped", "delivered", "cancelled", "returned")
SEGMENTS = ("Consumer", "Small Business", "Enterprise")
CATEGORIES = ("Laptops", "Monitors", "Accessories", "Networking", "Storage")
CARRIERS = ("UPS", "FedEx", "DHL", "USPS")

# region -> [(country, country manager, weight of the country within its region)]
_GEOGRAPHY: dict[str, list[tuple[str, str, float]]] = {
    "North America": [("United States", "Dana Whitfield", 0.85), ("Canada", "Marc Tremblay", 0.15)],
    "EMEA": [("United Kingdom", "Priya Shah", 0.32), ("Germany", "Jonas Becker", 0.30),
             ("France", "Camille Laurent", 0.22), ("Netherlands", "Sanne de Vries", 0.16)],
    "APAC": [("Japan", "Kenji Sato", 0.30), ("Australia", "Olivia Grant", 0.28),
             ("Singapore", "Wei Ling Tan", 0.17), ("India", "Arjun Mehta", 0.25)],
    "LATAM": [("Brazil", "Lucas Almeida", 0.6), ("Mexico", "Sofia Ramirez", 0.4)],
}
# share of customers, and of orders per year (APAC grows fastest, LATAM is small)
_REGION_CUSTOMERS = {"North America": 0.38, "EMEA": 0.31, "APAC": 0.21, "LATAM": 0.10}
_REGION_ORDERS = {2024: {"North America": 0.42, "EMEA": 0.31, "APAC": 0.17, "LATAM": 0.10},
                  2025: {"North America": 0.38, "EMEA": 0.30, "APAC": 0.23, "LATAM": 0.09}}
_CARRIERS = {"North America": {"UPS": 0.40, "FedEx": 0.35, "USPS": 0.25},
             "EMEA": {"DHL": 0.60, "UPS": 0.25, "FedEx": 0.15},
             "APAC": {"DHL": 0.50, "FedEx": 0.35, "UPS": 0.15},
             "LATAM": {"DHL": 0.55, "FedEx": 0.45}}
# orders per month: back-to-school in August, holiday peak in November and December
_SEASON = {1: 0.85, 2: 0.80, 3: 0.95, 4: 0.90, 5: 0.95, 6: 1.00, 7: 0.90, 8: 1.10, 9: 1.00,
           10: 1.05, 11: 1.50, 12: 1.35}
_GROWTH = {2024: 1.0, 2025: 1.22}

# product_id, name, category, unit price (USD)
PRODUCT_CATALOG: tuple[tuple[str, str, str, float], ...] = (
    ("P-101", "AeroBook 13", "Laptops", 999.0),
    ("P-102", "AeroBook 15 Pro", "Laptops", 1499.0),
    ("P-103", "WorkMate 14", "Laptops", 849.0),
    ("P-104", "WorkMate 16", "Laptops", 1099.0),
    ("P-105", "TitanBook X1", "Laptops", 2199.0),
    ("P-106", "StudentBook 11", "Laptops", 449.0),
    ("P-201", "ClearView 24", "Monitors", 179.0),
    ("P-202", "ClearView 27 QHD", "Monitors", 329.0),
    ("P-203", "UltraWide 34", "Monitors", 599.0),
    ("P-204", "ProColor 32 4K", "Monitors", 899.0),
    ("P-205", "PortaScreen 15", "Monitors", 219.0),
    ("P-301", "Wireless Mouse M2", "Accessories", 29.0),
    ("P-302", "Ergo Keyboard K5", "Accessories", 79.0),
    ("P-303", "USB-C Dock D7", "Accessories", 189.0),
    ("P-304", "Headset H3", "Accessories", 149.0),
    ("P-305", "StreamCam 1080", "Accessories", 69.0),
    ("P-306", "Laptop Sleeve 15", "Accessories", 35.0),
    ("P-307", "Power Adapter 65W", "Accessories", 49.0),
    ("P-401", "MeshNet Router AX3000", "Networking", 229.0),
    ("P-402", "MeshNet Satellite", "Networking", 149.0),
    ("P-403", "GigaSwitch 8", "Networking", 59.0),
    ("P-404", "GigaSwitch 24 Managed", "Networking", 399.0),
    ("P-405", "WiFi 6 USB Adapter", "Networking", 39.0),
    ("P-501", "SwiftSSD 1TB", "Storage", 109.0),
    ("P-502", "SwiftSSD 2TB", "Storage", 189.0),
    ("P-503", "VaultDrive 4TB", "Storage", 119.0),
    ("P-504", "VaultNAS 2-Bay", "Storage", 349.0),
    ("P-505", "PocketSSD 500GB", "Storage", 79.0),
)
# how often a line of an order is in each category, per segment
_CATEGORY_MIX = {
    "Consumer": {"Laptops": 0.22, "Monitors": 0.18, "Accessories": 0.34, "Networking": 0.12, "Storage": 0.14},
    "Small Business": {"Laptops": 0.24, "Monitors": 0.20, "Accessories": 0.24, "Networking": 0.18,
                       "Storage": 0.14},
    "Enterprise": {"Laptops": 0.30, "Monitors": 0.24, "Accessories": 0.20, "Networking": 0.16,
                   "Storage": 0.10},
}

_FIRST = ("James", "Mary", "Liam", "Emma", "Noah", "Olivia", "Lucas", "Mia", "Ethan", "Ava", "Mateo",
          "Sophia", "Hiro", "Yuki", "Arjun", "Ananya", "Chen", "Mei", "Lena", "Felix", "Chloe", "Hugo",
          "Isabel", "Diego", "Camila", "Oscar", "Freya", "Ravi", "Priya", "Tom", "Sara", "Jack", "Nora",
          "Leo", "Zoe", "Omar", "Aisha", "Daniel", "Grace", "Samuel")
_LAST = ("Smith", "Johnson", "Brown", "Garcia", "Miller", "Davis", "Martin", "Lee", "Walker", "Young",
         "King", "Wright", "Scott", "Green", "Baker", "Adams", "Nelson", "Hill", "Campbell", "Mitchell",
         "Roberts", "Carter", "Phillips", "Evans", "Turner", "Torres", "Parker", "Collins", "Edwards",
         "Stewart", "Morris", "Murphy", "Cook", "Rogers", "Morgan", "Cooper", "Peterson", "Reed", "Bailey",
         "Kelly")
_BIZ_A = ("Acme", "Bluebird", "Cedar", "Summit", "Northwind", "Harbor", "Granite", "Silverline", "Redwood",
          "Lighthouse", "Evergreen", "Falcon", "Horizon", "Ironbridge", "Juniper", "Keystone", "Lakeside",
          "Maple", "Nimbus", "Orchid", "Pioneer", "Quartz", "Riverside", "Sterling", "Tidewater", "Vertex",
          "Willow", "Zephyr", "Atlas", "Beacon")
_BIZ_B = ("Labs", "Systems", "Logistics", "Studio", "Partners", "Analytics", "Health", "Foods", "Media",
          "Robotics", "Consulting", "Dynamics", "Networks", "Ventures", "Works", "Group", "Solutions",
          "Designs", "Energy", "Capital")
_BIZ_SUFFIX = {"Small Business": ("", " Ltd", " LLC", " & Co"), "Enterprise": (" Inc", " Corp", " Holdings",
                                                                                " International", " AG")}


def _pick(rng: random.Random, weights: dict[str, float]) -> str:
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys], k=1)[0]


def _day(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    return start + dt.timedelta(days=rng.randrange((end - start).days + 1))


def regions_rows() -> list[tuple[str, str, str]]:
    return [(region, country, manager)
            for region, countries in _GEOGRAPHY.items() for country, manager, _ in countries]


def _customers(rng: random.Random) -> list[dict[str, Any]]:
    used: set[str] = set()
    out: list[dict[str, Any]] = []
    for n in range(N_CUSTOMERS):
        region = _pick(rng, _REGION_CUSTOMERS)
        country = _pick(rng, {c: w for c, _, w in _GEOGRAPHY[region]})
        segment = _pick(rng, {"Consumer": 0.55, "Small Business": 0.30, "Enterprise": 0.15})
        while True:
            if segment == "Consumer":
                first, last = rng.choice(_FIRST), rng.choice(_LAST)
                name = f"{first} {last}"
            else:
                name = f"{rng.choice(_BIZ_A)} {rng.choice(_BIZ_B)}{rng.choice(_BIZ_SUFFIX[segment])}"
            if name not in used:
                used.add(name)
                break
        cid = f"C-{1001 + n}"
        if segment == "Consumer":
            local = name.lower().replace(" ", ".")
            email = f"{local}@example.com"
        else:
            slug = "".join(ch for ch in name.lower() if ch.isalnum())[:24]
            email = f"purchasing@{slug}.example"
        # a third signed up before the data starts; the rest join over the two years
        if rng.random() < 0.35:
            signup = _day(rng, dt.date(2022, 3, 1), dt.date(2023, 12, 31))
        else:
            signup = _day(rng, dt.date(2024, 1, 1), dt.date(2025, 11, 30))
        out.append({"customer_id": cid, "name": name, "email": email, "segment": segment,
                    "region": region, "country": country, "signup_date": signup})
    return out


def _order_dates(rng: random.Random) -> list[dt.date]:
    """N_ORDERS dates over the two years, spread by season and growth (largest remainder)."""
    months = [(y, m) for y in (2024, 2025) for m in range(1, 13)]
    weights = [_SEASON[m] * _GROWTH[y] for y, m in months]
    total = sum(weights)
    exact = [w / total * N_ORDERS for w in weights]
    counts = [int(x) for x in exact]
    by_remainder = sorted(range(len(months)), key=lambda i: exact[i] - counts[i], reverse=True)
    for i in by_remainder[: N_ORDERS - sum(counts)]:
        counts[i] += 1
    dates: list[dt.date] = []
    for (y, m), count in zip(months, counts, strict=False):
        start = dt.date(y, m, 1)
        end = (dt.date(y + (m == 12), m % 12 + 1, 1)) - dt.timedelta(days=1)
        dates += [_day(rng, start, end) for _ in range(count)]
    dates.sort()
    dates[-1] = LAST_DAY  # the data ends on its last day, whatever the draw
    return dates


def _status(rng: random.Random, day: dt.date, region: str) -> str:
    age = (LAST_DAY - day).days
    if age <= 3:
        return "pending" if rng.random() < 0.6 else "processing"
    if age <= 10:
        return "processing" if rng.random() < 0.3 else "shipped"
    if age <= 20:
        return "shipped" if rng.random() < 0.6 else "delivered"
    roll = rng.random()
    cancel = 0.07 if region == "LATAM" else 0.04
    if roll < cancel:
        return "cancelled"
    if roll < cancel + 0.03:
        return "returned"
    return "delivered"


def _lines(rng: random.Random, segment: str, day: dt.date,
           by_category: dict[str, list[tuple[str, str, str, float]]]) -> list[tuple[str, int, float, float]]:
    n_lines = {"Consumer": rng.choice((1, 1, 1, 2, 2, 3)), "Small Business": rng.choice((1, 2, 2, 3, 4)),
               "Enterprise": rng.choice((2, 3, 3, 4, 5))}[segment]
    mix = dict(_CATEGORY_MIX[segment])
    if day.month in (8, 9):  # back to school
        mix["Laptops"] *= 1.6
    lines: list[tuple[str, int, float, float]] = []
    chosen: set[str] = set()
    for _ in range(n_lines):
        product = rng.choice(by_category[_pick(rng, mix)])
        if product[0] in chosen:
            continue
        chosen.add(product[0])
        if segment == "Consumer":
            qty = 1 if rng.random() < 0.85 else 2
            discount = 0.10 if day.month == 11 and rng.random() < 0.5 else 0.0
        elif segment == "Small Business":
            qty = rng.randint(1, 5)
            discount = rng.choice((0.0, 0.0, 0.05))
        else:
            qty = rng.randint(3, 20) if product[2] != "Laptops" else rng.randint(2, 12)
            discount = rng.choice((0.05, 0.10, 0.10, 0.15))
        lines.append((product[0], qty, product[3], discount))
    return lines


def generate() -> dict[str, tuple[tuple[Column, ...], list[tuple[Any, ...]]]]:
    """Every sales table as (columns, rows); the same output on every call and every machine."""
    rng = random.Random(SEED)
    customers = _customers(rng)
    by_region: dict[str, list[dict[str, Any]]] = {r: [] for r in _GEOGRAPHY}
    for c in customers:
        by_region[c["region"]].append(c)
    for group in by_region.values():
        group.sort(key=lambda c: c["signup_date"])
    by_category: dict[str, list[tuple[str, str, str, float]]] = {k: [] for k in CATEGORIES}
    for p in PRODUCT_CATALOG:
        by_category[p[2]].append(p)
    seg_weight = {"Consumer": 1.0, "Small Business": 1.4, "Enterprise": 1.8}

    orders: list[tuple[Any, ...]] = []
    items: list[tuple[Any, ...]] = []
    for n, day in enumerate(_order_dates(rng)):
        region = _pick(rng, _REGION_ORDERS[day.year])
        eligible = [c for c in by_region[region] if c["signup_date"] <= day] or by_region[region][:1]
        customer = rng.choices(eligible, weights=[seg_weight[c["segment"]] for c in eligible], k=1)[0]
        order_id = f"SO-{FIRST_ORDER_NUMBER + n}"
        lines = _lines(rng, customer["segment"], day, by_category)
        total = round(sum(q * price * (1 - disc) for _, q, price, disc in lines), 2)
        status = _status(rng, day, region)
        if status in ("pending", "processing", "cancelled"):
            ship_date, carrier = None, None
        else:
            lag = rng.randint(2, 5) if region == "LATAM" else rng.randint(1, 3)
            ship_date = (day + dt.timedelta(days=lag)).isoformat()
            carrier = _pick(rng, _CARRIERS[region])
        orders.append((order_id, customer["customer_id"], day.isoformat(), status, ship_date, carrier,
                       region, total, "USD"))
        items += [(order_id, pid, q, price, disc) for pid, q, price, disc in lines]

    return {
        REGIONS: (_cols("region STRING", "country STRING", "manager STRING"), regions_rows()),
        CUSTOMERS: (_cols("customer_id STRING", "name STRING", "email STRING", "segment STRING",
                          "region STRING", "country STRING", "signup_date DATE"),
                    [(c["customer_id"], c["name"], c["email"], c["segment"], c["region"], c["country"],
                      c["signup_date"].isoformat()) for c in customers]),
        PRODUCTS: (_cols("product_id STRING", "name STRING", "category STRING", "unit_price DOUBLE",
                         "currency STRING"),
                   [(pid, name, cat, price, "USD") for pid, name, cat, price in PRODUCT_CATALOG]),
        ORDERS: (_cols("order_id STRING", "customer_id STRING", "order_date DATE", "status STRING",
                       "ship_date DATE", "carrier STRING", "region STRING", "total DOUBLE",
                       "currency STRING"),
                 orders),
        ORDER_ITEMS: (_cols("order_id STRING", "product_id STRING", "quantity INT", "unit_price DOUBLE",
                            "discount DOUBLE"), items),
    }


def _cols(*specs: str) -> tuple[Column, ...]:
    return tuple(Column(*spec.split(" ", 1)) for spec in specs)


# What the catalog service can show as table and column comments.
TABLE_COMMENTS: dict[str, str] = {
    REGIONS: "Sales regions and their countries, with each country's sales manager.",
    CUSTOMERS: "Customers of the online store: consumers, small businesses and enterprises.",
    PRODUCTS: "The product catalog with list prices in USD.",
    ORDERS: "One row per order (2024-2025). total is the order value in USD after discounts.",
    ORDER_ITEMS: "Order lines: product, quantity, unit price and discount (a fraction, 0.10 = 10%).",
}
COLUMN_COMMENTS: dict[str, dict[str, str]] = {
    ORDERS: {"status": "pending, processing, shipped, delivered, cancelled or returned",
             "ship_date": "NULL until the order ships",
             "carrier": "UPS, FedEx, DHL or USPS; NULL until shipped",
             "total": "order value in USD: sum of quantity * unit_price * (1 - discount) over its lines"},
    CUSTOMERS: {"segment": "Consumer, Small Business or Enterprise"},
    ORDER_ITEMS: {"discount": "fraction of the unit price taken off, e.g. 0.10"},
}


def table_names() -> Sequence[str]:
    return (REGIONS, CUSTOMERS, PRODUCTS, ORDERS, ORDER_ITEMS)
