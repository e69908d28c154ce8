"""The ticketing system's data: support tickets in their own SQLite database.

The demo company sells computer hardware online; its support desk files tickets about orders,
returns, laptops, shipping delays and sign-in problems. `TicketStore` seeds the same 30 tickets
(`TCK-1001` .. `TCK-1030`, fixed timestamps) into an empty database, so every fresh demo looks
the same; tickets created later continue the numbering.
"""

from __future__ import annotations

import re
import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

PRIORITIES = ("P1", "P2", "P3", "P4")
STATUSES = ("open", "in_progress", "waiting_on_customer", "resolved", "closed")
CATEGORIES = ("orders", "returns", "shipping", "hardware", "account", "billing", "other")
FIRST_ID = 1001

_ID = re.compile(r"^\s*TCK-(\d+)\s*$", re.IGNORECASE)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS tickets (
    num             INTEGER PRIMARY KEY,
    title           TEXT NOT NULL,
    description     TEXT NOT NULL,
    status          TEXT NOT NULL,
    priority        TEXT NOT NULL,
    category        TEXT NOT NULL,
    requester_email TEXT NOT NULL,
    assignee        TEXT,
    order_id        TEXT,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
"""

# (title, description, status, priority, category, requester, assignee, order_id, created, updated)
# Orders and requesters are real rows of the demo sales data (`main.sales.orders` / `customers`).
SEED: tuple[tuple[str, str, str, str, str, str, str | None, str | None, str, str], ...] = (
    ("Laptop arrived with cracked screen",
     "My TitanBook X1 was delivered on December 6 and the display has a crack across the lower left "
     "corner. The box looked fine. I need a replacement before I travel next week.",
     "in_progress", "P2", "hardware", "isabel.carter@example.com", "sam.support@example.com",
     "SO-12360", "2025-12-08T09:14:00Z", "2025-12-08T11:40:00Z"),
    ("Order still processing after 6 days",
     "We ordered UltraWide 34 and ClearView 27 QHD monitors plus StudentBook 11 laptops on December 21 "
     "and the order still says 'processing'. We need the equipment for new hires on January 5.",
     "open", "P2", "shipping", "purchasing@pioneerpartnersllc.example", None,
     "SO-12456", "2025-12-27T10:02:00Z", "2025-12-27T10:02:00Z"),
    ("Cannot log in after password reset",
     "I reset my password using the email link but the site keeps saying 'invalid credentials'. "
     "I tried two browsers and cleared cookies.",
     "resolved", "P3", "account", "priya.bailey@example.com", "alex.it@example.com",
     None, "2025-12-02T13:25:00Z", "2025-12-03T08:10:00Z"),
    ("Return label not received for keyboards",
     "I requested a return for the two Ergo Keyboard K5 (wrong layout) three days ago but never "
     "received the prepaid return label.",
     "open", "P3", "returns", "jack.garcia@example.com", None,
     "SO-12422", "2025-12-22T08:47:00Z", "2025-12-22T08:47:00Z"),
    ("Charged twice for the same order",
     "My credit card statement shows two charges of $1,499.00 for one AeroBook 15 Pro. Please refund "
     "the duplicate charge.",
     "in_progress", "P1", "billing", "leo.wright@example.com", "dana.billing@example.com",
     "SO-12486", "2025-12-28T11:30:00Z", "2025-12-28T12:05:00Z"),
    ("Docking station not detected by laptop",
     "The USB-C Dock D7 is not recognised by my laptop. Power passes through but no displays or USB "
     "devices work. Firmware is up to date.",
     "waiting_on_customer", "P3", "hardware", "nora.morris@example.com", "sam.support@example.com",
     "SO-12323", "2025-12-03T15:12:00Z", "2025-12-04T09:00:00Z"),
    ("Package marked delivered but not received",
     "Tracking says my order was delivered yesterday at 2pm but nothing arrived. Neighbours have not "
     "seen it either. It contained a TitanBook X1 laptop.",
     "in_progress", "P1", "shipping", "sophia.scott@example.com", "sam.support@example.com",
     "SO-12420", "2025-12-17T07:55:00Z", "2025-12-17T10:20:00Z"),
    ("Refund not received for returned laptop",
     "I returned my AeroBook 13 in October and the return shows as received, but I still have not "
     "been refunded the $999.00.",
     "open", "P2", "returns", "emma.kelly@example.com", None,
     "SO-12142", "2025-12-01T09:41:00Z", "2025-12-01T09:41:00Z"),
    ("Two-factor codes not arriving by SMS",
     "I enabled two-factor authentication and now the SMS codes never arrive, so I am locked out of "
     "my account and cannot check my order.",
     "in_progress", "P2", "account", "grace.evans@example.com", "alex.it@example.com",
     None, "2025-12-23T14:18:00Z", "2025-12-23T15:02:00Z"),
    ("Laptop battery drains in two hours",
     "My new WorkMate 16 lasts about two hours on battery; the listing says up to 12 hours. Is this "
     "a defective unit?",
     "open", "P3", "hardware", "leo.young@example.com", None,
     "SO-12364", "2025-12-15T08:05:00Z", "2025-12-15T08:05:00Z"),
    ("Wrong item shipped: received mouse instead of SSDs",
     "I ordered two SwiftSSD 2TB drives and the package contained a wireless mouse. I need the SSDs "
     "for a build this weekend.",
     "in_progress", "P2", "orders", "jack.baker@example.com", "sam.support@example.com",
     "SO-12437", "2025-12-20T10:33:00Z", "2025-12-20T11:10:00Z"),
    ("Discount code rejected at checkout",
     "The code HOLIDAY10 from your newsletter says 'not valid for this cart' for a laptop sleeve and "
     "a keyboard. The terms say accessories are included.",
     "resolved", "P4", "billing", "liam.edwards@example.com", "dana.billing@example.com",
     None, "2025-11-26T16:47:00Z", "2025-11-27T09:30:00Z"),
    ("Shipment stuck in transit for a week",
     "My order shipped with DHL on December 15 and tracking has not moved since it left the hub. "
     "It has an AeroBook 15 Pro and two PortaScreen 15 monitors.",
     "open", "P3", "shipping", "lucas.scott@example.com", None,
     "SO-12415", "2025-12-23T09:20:00Z", "2025-12-23T09:20:00Z"),
    ("Account locked after too many attempts",
     "My account got locked after I mistyped my password several times. The unlock email link has "
     "expired. Please unlock it.",
     "closed", "P3", "account", "noah.evans@example.com", "alex.it@example.com",
     None, "2025-12-06T11:02:00Z", "2025-12-06T11:30:00Z"),
    ("Keyboard keys sticking on two units",
     "Two of the four Ergo Keyboard K5 we received have sticking E, R and space keys after two weeks "
     "of use. We would like an exchange.",
     "open", "P3", "hardware", "purchasing@keystonecapitalltd.example", None,
     "SO-12363", "2025-12-18T15:40:00Z", "2025-12-18T15:40:00Z"),
    ("Order cancelled without explanation",
     "We got an email saying our order of TitanBook X1 and WorkMate 14 laptops with monitors was "
     "cancelled. We did not request this and need the equipment this quarter.",
     "in_progress", "P1", "orders", "purchasing@horizonstudioag.example", "dana.billing@example.com",
     "SO-12378", "2025-12-08T08:12:00Z", "2025-12-08T09:00:00Z"),
    ("Return window question for opened headset",
     "Can I still return a Headset H3 that I opened and tried once? It was delivered 16 days ago.",
     "resolved", "P4", "returns", "olivia.rogers@example.com", "sam.support@example.com",
     "SO-12409", "2025-12-29T10:25:00Z", "2025-12-29T14:00:00Z"),
    ("Business invoice missing VAT number",
     "The invoice for our order of ProColor 32 4K and UltraWide 34 monitors does not show our "
     "company VAT number, which our accounting team needs. Please reissue it.",
     "open", "P3", "billing", "purchasing@acmeenergyltd.example", None,
     "SO-12411", "2025-12-19T13:50:00Z", "2025-12-19T13:50:00Z"),
    ("Cannot add items to cart on mobile",
     "On the mobile site the 'Add to cart' button does nothing for the AeroBook 15 Pro. It works on "
     "desktop. iPhone, Safari.",
     "in_progress", "P2", "other", "chen.miller@example.com", "alex.it@example.com",
     None, "2025-12-18T09:05:00Z", "2025-12-18T10:15:00Z"),
    ("Monitor has dead pixels",
     "My new ClearView 27 QHD has a cluster of three dead pixels near the centre. Is this covered "
     "by the dead-pixel policy?",
     "waiting_on_customer", "P3", "hardware", "emma.evans@example.com", "sam.support@example.com",
     "SO-12385", "2025-12-09T11:45:00Z", "2025-12-10T08:20:00Z"),
    ("Express shipping paid but order still in transit",
     "I paid for express shipping for two TitanBook X1 laptops. The order shipped on December 12 "
     "and has still not arrived. Please refund the express fee.",
     "open", "P3", "shipping", "ethan.walker@example.com", None,
     "SO-12402", "2025-12-19T08:30:00Z", "2025-12-19T08:30:00Z"),
    ("Company single sign-on fails for all buyers",
     "Our purchasing team cannot sign in to the business portal with single sign-on since this "
     "morning; the page shows 'SAML response invalid'. Six buyers are affected.",
     "in_progress", "P1", "account", "purchasing@willowfoods.example", "alex.it@example.com",
     None, "2025-12-22T09:02:00Z", "2025-12-22T09:20:00Z"),
    ("Laptop overheating during video calls",
     "The AeroBook 15 Pro gets very hot and the fan is loud during video calls, then the call lags. "
     "BIOS and drivers are updated.",
     "open", "P3", "hardware", "sophia.collins@example.com", None,
     "SO-12320", "2025-12-10T14:10:00Z", "2025-12-10T14:10:00Z"),
    ("Charger missing from laptop box",
     "The StudentBook 11 box did not contain the power adapter listed in the box contents.",
     "resolved", "P3", "orders", "ravi.nelson@example.com", "sam.support@example.com",
     "SO-12366", "2025-12-08T08:40:00Z", "2025-12-08T16:00:00Z"),
    ("Return rejected as outside window",
     "My return for a ProColor 32 4K monitor was rejected as outside the 30-day window, but it was "
     "delivered on November 28 according to tracking, 28 days ago.",
     "open", "P2", "returns", "hugo.adams@example.com", None,
     "SO-12312", "2025-12-26T10:15:00Z", "2025-12-26T10:15:00Z"),
    ("Order confirmation email never arrived",
     "I ordered two USB-C Dock D7 an hour ago and was charged, but I never got a confirmation email "
     "and I do not see the order in my account.",
     "open", "P2", "orders", "chloe.green@example.com", None,
     "SO-12494", "2025-12-30T15:55:00Z", "2025-12-30T15:55:00Z"),
    ("International shipment held at customs",
     "My ClearView 24 monitor has been 'held at customs' for several days. Do I need to pay duties "
     "or send documents?",
     "waiting_on_customer", "P3", "shipping", "daniel.mitchell@example.com", "sam.support@example.com",
     "SO-12481", "2025-12-31T09:12:00Z", "2025-12-31T12:30:00Z"),
    ("Extended warranty not showing on account",
     "We bought the 3-year extended warranty with our four TitanBook X1 laptops but it does not "
     "appear under 'My warranties'.",
     "open", "P4", "account", "purchasing@northwindenergyltd.example", None,
     "SO-12397", "2025-12-16T13:05:00Z", "2025-12-16T13:05:00Z"),
    ("Price dropped the week after purchase",
     "The UltraWide 34 I bought on December 4 is $50 cheaper today. Do you offer a price adjustment?",
     "closed", "P4", "billing", "james.baker@example.com", "dana.billing@example.com",
     "SO-12371", "2025-12-11T16:20:00Z", "2025-12-12T09:00:00Z"),
    ("Replacement laptop also defective",
     "The replacement TitanBook X1 I received for the cracked screen (TCK-1001) does not power on "
     "at all. This is the second defective unit.",
     "open", "P1", "hardware", "isabel.carter@example.com", None,
     "SO-12360", "2025-12-30T08:05:00Z", "2025-12-30T08:05:00Z"),
)

_COLUMNS = ("num", "title", "description", "status", "priority", "category", "requester_email",
            "assignee", "order_id", "created_at", "updated_at")


class TicketError(ValueError):
    """A request the ticketing system refuses; the message says which argument and why."""


def ticket_id(num: int) -> str:
    return f"TCK-{num}"


def parse_ticket_id(value: str) -> int:
    match = _ID.match(value or "")
    if not match:
        raise TicketError(f"ticket_id must look like 'TCK-1001', got {value!r}")
    return int(match.group(1))


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _row(row: sqlite3.Row | tuple[Any, ...]) -> dict[str, Any]:
    doc = dict(zip(_COLUMNS, row, strict=True))
    num = doc.pop("num")
    ticket = {"ticket_id": ticket_id(num), **doc}
    return {k: v for k, v in ticket.items() if v is not None}


class TicketStore:
    """Tickets in SQLite (`path=None`: in memory); seeded with `SEED` when empty; thread-safe."""

    def __init__(self, path: str | Path | None = None) -> None:
        target = str(path) if path is not None else ":memory:"
        self._db = sqlite3.connect(target, check_same_thread=False, isolation_level=None, timeout=10)
        self._lock = threading.RLock()
        with self._lock:
            self._db.executescript(_SCHEMA)
            self._seed()

    def _seed(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            if self._db.execute("SELECT COUNT(*) FROM tickets").fetchone()[0] == 0:
                self._db.executemany(
                    f"INSERT INTO tickets({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))})",
                    [(FIRST_ID + i, *row) for i, row in enumerate(SEED)],
                )
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # -- reads --------------------------------------------------------------------------------
    def get(self, ticket: str) -> dict[str, Any] | None:
        num = parse_ticket_id(ticket)
        with self._lock:
            row = self._db.execute(
                f"SELECT {', '.join(_COLUMNS)} FROM tickets WHERE num=?", (num,)).fetchone()
        return _row(row) if row else None

    def search(self, query: str = "", status: str | None = None, priority: str | None = None,
               limit: int = 10) -> list[dict[str, Any]]:
        """Tickets whose text contains every word of `query` or its root (any field), best first.

        When no ticket has every word, the tickets with the most of them are returned instead, as
        a search box would ("shipping delays" still finds the shipping tickets).

        Title hits rank above description hits; ties go to the higher priority, then the most
        recently updated ticket.
        """
        if status is not None and status not in STATUSES:
            raise TicketError(f"status must be one of {', '.join(STATUSES)}, got {status!r}")
        if priority is not None and priority not in PRIORITIES:
            raise TicketError(f"priority must be one of {', '.join(PRIORITIES)}, got {priority!r}")
        if not 1 <= limit <= 50:
            raise TicketError(f"limit must be between 1 and 50, got {limit}")
        words = [w for w in re.findall(r"[\w@.\-]+", (query or "").lower()) if w]
        with self._lock:
            rows = self._db.execute(f"SELECT {', '.join(_COLUMNS)} FROM tickets").fetchall()
        roots = [_root(w) for w in words if w not in _STOP]
        full: list[tuple[int, dict[str, Any]]] = []
        partial: list[tuple[int, dict[str, Any]]] = []
        for row in rows:
            t = _row(row)
            if status and t["status"] != status or priority and t["priority"] != priority:
                continue
            title = t["title"].lower()
            rest = " ".join(str(t.get(k, "")) for k in
                            ("ticket_id", "description", "category", "requester_email", "order_id",
                             "status", "assignee")).lower()
            hits = [r for r in roots if r in title or r in rest]
            score = sum(2 if r in title else 1 for r in hits)
            if len(hits) == len(roots):
                full.append((score, t))
            elif any(len(r) >= 4 and re.search(rf"\b{re.escape(r)}", title + " " + rest) for r in hits):
                partial.append((score, t))
        # Every word found beats some words found; partial matches only when nothing has them all.
        scored = full or partial
        scored.sort(key=lambda st: st[1]["updated_at"], reverse=True)
        scored.sort(key=lambda st: (-st[0], st[1]["priority"]))
        return [t for _, t in scored[:limit]]

    # -- writes -------------------------------------------------------------------------------
    def create(self, title: str, description: str, priority: str, requester_email: str,
               category: str = "other", order_id: str | None = None) -> dict[str, Any]:
        title, description = (title or "").strip(), (description or "").strip()
        requester_email = (requester_email or "").strip()
        if not title:
            raise TicketError("title must not be empty")
        if len(title) > 200:
            raise TicketError(f"title must be at most 200 characters, got {len(title)}")
        if not description:
            raise TicketError("description must not be empty")
        if priority not in PRIORITIES:
            raise TicketError(f"priority must be one of {', '.join(PRIORITIES)}, got {priority!r}")
        if not _EMAIL.match(requester_email):
            raise TicketError(f"requester_email must be an email address, got {requester_email!r}")
        if category not in CATEGORIES:
            raise TicketError(f"category must be one of {', '.join(CATEGORIES)}, got {category!r}")
        now = _now()
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                num = (self._db.execute("SELECT MAX(num) FROM tickets").fetchone()[0] or FIRST_ID - 1) + 1
                self._db.execute(
                    f"INSERT INTO tickets({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))})",
                    (num, title, description, "open", priority, category, requester_email, None,
                     (order_id or "").strip() or None, now, now),
                )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        created = self.get(ticket_id(num))
        assert created is not None
        return created


_STOP = frozenset("a an and the of for to in on at by with about any all my our your is are was "
                  "no not such ticket tickets support find show".split())


def _root(word: str) -> str:
    """A search word without its inflection, so 'delays' finds 'delayed' and 'refunds' 'refund'."""
    for suffix in ("ing", "ies", "es", "ed", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word
