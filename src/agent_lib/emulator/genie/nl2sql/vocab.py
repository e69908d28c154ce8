"""The data's own words: distinct values of the filterable columns, with everyday synonyms.

"in EMEA", "for Laptops", "enterprise customers", "cancelled orders", "shipped with DHL" are
matched against what the tables hold, read once per warehouse (`DataVocabulary.load`), so a value
that is not in the data is never guessed. Relative time ranges anchor on the latest order date.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .lexicon import Lexicon, M, stems

Execute = Callable[[str], Sequence[Sequence[Any]]]

# field -> (SQL giving its distinct values)
_DISTINCT = {
    "region": "SELECT DISTINCT region FROM main.sales.regions",
    "country": "SELECT DISTINCT country FROM main.sales.regions",
    "manager": "SELECT DISTINCT manager FROM main.sales.regions",
    "segment": "SELECT DISTINCT segment FROM main.sales.customers",
    "customer": "SELECT DISTINCT name FROM main.sales.customers",
    "business": "SELECT DISTINCT name FROM main.sales.customers WHERE segment <> 'Consumer'",
    "category": "SELECT DISTINCT category FROM main.sales.products",
    "product": "SELECT DISTINCT name FROM main.sales.products",
    "carrier": "SELECT DISTINCT carrier FROM main.sales.orders WHERE carrier IS NOT NULL",
    "status": "SELECT DISTINCT status FROM main.sales.orders",
}
# Everyday words for values, used only when the value is in the data.
SYNONYMS: dict[str, dict[str, tuple[str, ...]]] = {
    "region": {"North America": ("na", "namer", "north american", "us and canada", "north america region"),
               "EMEA": ("europe", "european", "middle east", "africa", "europe middle east and africa"),
               "APAC": ("asia", "asia pacific", "asia-pacific", "apj", "pacific", "asian", "asia pac"),
               "LATAM": ("latin america", "south america", "latin american", "latin-america",
                         "south american", "lat am")},
    "country": {"United States": ("usa", "america", "united states of america", "american", "us market",
                                  "the states", "stateside"),
                "United Kingdom": ("uk", "britain", "great britain", "england", "british", "u.k"),
                "Netherlands": ("holland", "dutch", "the netherlands"), "Germany": ("german",),
                "France": ("french",), "Japan": ("japanese",), "Canada": ("canadian",),
                "Australia": ("australian", "aussie"), "Brazil": ("brazilian",), "Mexico": ("mexican",),
                "India": ("indian",), "Singapore": ("singaporean",)},
    "segment": {"Consumer": ("consumer", "individual", "retail", "b2c", "personal", "private",
                             "home user", "households", "household"),
                "Small Business": ("smb", "smbs", "small business", "small biz", "sme", "smes",
                                   "small company", "small companies", "small firm", "small firms"),
                "Enterprise": ("enterprise", "large company", "large companies", "corporate",
                               "large account", "big company", "big companies", "corporation", "b2b")},
    "category": {"Laptops": ("notebook", "computer", "pc", "laptop computer"),
                 "Monitors": ("screen", "monitor", "external display"),
                 "Accessories": ("peripheral", "accessory"),
                 "Networking": ("network", "network gear", "networking equipment", "networking gear",
                                "network equipment"),
                 "Storage": ("storage device", "disk", "storage product", "storage gear")},
    "carrier": {"FedEx": ("fed ex", "federal express"),
                "USPS": ("postal service", "us postal service", "usa postal service", "post office")},
    "status": {"cancelled": ("canceled", "cancellation", "cancelation", "cancelled", "were cancelled",
                             "got cancelled"),
               "returned": ("returned", "return", "refunded", "sent back"),
               "delivered": ("completed", "fulfilled", "complete", "arrived", "received by the customer"),
               "shipped": ("in transit", "on the way", "out for delivery", "en route", "shipped"),
               "pending": ("awaiting", "not yet processed", "waiting"),
               "processing": ("being processed", "in progress", "in process")},
}
# A word standing for several values of one field.
GROUPS: dict[str, dict[str, tuple[str, ...]]] = {
    "status": {"open": ("pending", "processing"), "unfulfilled": ("pending", "processing"),
               "outstanding": ("pending", "processing"), "not shipped yet": ("pending", "processing"),
               "unshipped": ("pending", "processing"), "undelivered": ("pending", "processing", "shipped"),
               "in flight": ("pending", "processing", "shipped"),
               "active": ("pending", "processing", "shipped"),
               "cancelled or returned": ("cancelled", "returned"),
               "returned or cancelled": ("cancelled", "returned"),
               "failed": ("cancelled", "returned"), "lost": ("cancelled", "returned")},
}
# Everyday product words -> a part of the product name they stand for (all products whose name
# contains it).
PRODUCT_WORDS: dict[str, str] = {
    "switch": "GigaSwitch", "network switch": "GigaSwitch", "ssd": "SSD", "solid state drive": "SSD",
    "webcam": "StreamCam", "camera": "StreamCam", "web cam": "StreamCam", "charger": "Power Adapter",
    "hard drive": "VaultDrive", "hdd": "VaultDrive", "nas": "VaultNAS", "docking station": "Dock",
    "dock": "Dock", "headphone": "Headset", "mice": "Mouse", "ultrawide": "UltraWide",
    "ultra wide": "UltraWide", "wifi adapter": "WiFi", "wi-fi adapter": "WiFi", "mesh router": "MeshNet",
    "mesh": "MeshNet", "4k monitor": "4K",
}
# Words of product names too vague to stand for a product on their own.
_VAGUE = frozenset({"pro", "managed", "power", "ultra", "usb", "wireless", "bay", "adapter"})
# Legal suffixes a business name may be referred to without.
_SUFFIXES = (" Inc", " Corp", " Holdings", " International", " AG", " Ltd", " LLC", " & Co")


@dataclass
class DataVocabulary:
    """Distinct values per field and the date span of the orders."""

    values: dict[str, list[str]] = field(default_factory=dict)
    first_date: dt.date = dt.date(2024, 1, 1)
    last_date: dt.date = dt.date(2025, 12, 31)
    _lexicon: Lexicon | None = None

    @classmethod
    def load(cls, execute: Execute) -> DataVocabulary:
        values = {key: sorted(str(r[0]) for r in execute(sql) if r[0] is not None)
                  for key, sql in _DISTINCT.items()}
        span = execute("SELECT MIN(order_date), MAX(order_date) FROM main.sales.orders")
        first, last = span[0] if span else (None, None)
        vocab = cls(values)
        if first and last:
            vocab.first_date = dt.date.fromisoformat(str(first)[:10])
            vocab.last_date = dt.date.fromisoformat(str(last)[:10])
        return vocab

    def lexicon(self) -> Lexicon:
        if self._lexicon is None:
            from .semantic import grammar

            self._lexicon = _build(self.values, grammar())
        return self._lexicon


def _build(values: dict[str, list[str]], reserved: Lexicon | None = None) -> Lexicon:
    lx = Lexicon()
    # Field order is priority: a phrase meaning two things (a name shared by a product family and a
    # category) keeps the meaning listed first.
    for key in ("status", "segment", "category", "region", "country", "carrier", "manager", "product",
                "customer"):
        present = set(values.get(key, ()))
        for value in values.get(key, ()):
            lx.add(value, M("value", (key, (value,))))
            for syn in SYNONYMS.get(key, {}).get(value, ()):
                lx.add(syn, M("value", (key, (value,))))
        for word, members in GROUPS.get(key, {}).items():
            kept = tuple(v for v in members if v in present)
            if kept:
                lx.add(word, M("value", (key, kept)))
    _product_families(lx, values.get("product", []), reserved)
    _product_words(lx, values.get("product", []), reserved)
    _customer_aliases(lx, values.get("customer", []))
    _business_families(lx, values.get("business", []), reserved)
    return lx


def _business_families(lx: Lexicon, businesses: list[str], reserved: Lexicon | None) -> None:
    """'Acme customers': every business whose name starts with that word."""
    families: dict[tuple[str, ...], list[str]] = {}
    for name in businesses:
        first = stems(name)[:1]
        if first and first[0].isalpha() and len(first[0]) >= 4:
            families.setdefault(first, []).append(name)
    for key, names in families.items():
        if key in lx or (reserved is not None and key in reserved):
            continue
        lx.add(key, M("value", ("customer", tuple(sorted(names)))))


def _product_words(lx: Lexicon, products: list[str], reserved: Lexicon | None) -> None:
    """'routers', 'keyboards', 'SSDs': a word of product names, or an everyday word for one."""
    words: dict[tuple[str, ...], set[str]] = {}
    for name in products:
        for word in stems(name):
            if word.isalpha() and len(word) >= 3 and word not in _VAGUE:
                words.setdefault((word,), set()).add(name)
    for phrase, part in PRODUCT_WORDS.items():
        names = {n for n in products if part.lower() in n.lower()}
        if names:
            words.setdefault(stems(phrase), set()).update(names)
    for key, names in words.items():
        if key in lx or (reserved is not None and key in reserved):
            continue
        lx.add(key, M("value", ("product", tuple(sorted(names)))))


def _product_families(lx: Lexicon, products: list[str], reserved: Lexicon | None) -> None:
    """'AeroBook' means every AeroBook: prefixes of product names shared by several products."""
    families: dict[tuple[str, ...], list[str]] = {}
    for name in products:
        words = stems(name)
        for n in range(1, len(words)):
            families.setdefault(words[:n], []).append(name)
    for prefix, names in families.items():
        if prefix in lx or not prefix[0].isalpha() or len(prefix[0]) < 4 or (
                reserved is not None and prefix in reserved):
            continue
        lx.add(prefix, M("value", ("product", tuple(sorted(names)))))


def _customer_aliases(lx: Lexicon, customers: list[str]) -> None:
    """Business names without their legal suffix ('Orchid Designs' for 'Orchid Designs AG')."""
    short: dict[tuple[str, ...], list[str]] = {}
    for name in customers:
        for suffix in _SUFFIXES:
            if name.endswith(suffix):
                short.setdefault(stems(name[: -len(suffix)]), []).append(name)
    for key, names in short.items():
        if key not in lx and len(names) == 1:
            lx.add(key, M("value", ("customer", (names[0],))))
