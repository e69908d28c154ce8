"""The demo's Unity Catalog: catalog `main`, schemas `main.sales` and `main.support`, three functions
over the sales data, the `ticketing` MCP connection, and the grants a new user starts with.

Every workspace user (UC's `account users` group) may use the catalog and both schemas but may not
EXECUTE any function or use the connection: granting those is the work of the package's grant step.
The admin owns everything.
"""

from __future__ import annotations

from typing import Any

from ..core import demo_ids
from ..core.identity import Principal
from ..core.state import ADMIN_USER, EmulatorState
from ..warehouse.demo import ensure_sales
from . import connections, models
from .securables import METASTORE_ID

EVERYONE = "account users"
TODAY = "2025-12-31"  # the demo's "today": the last day of the sales data, after the last ticket

_CONVERT = '''\
# Units of each currency per 1 USD (fixed demo rates).
rates = {"USD": 1.0, "EUR": 0.92, "GBP": 0.79, "JPY": 151.5, "CAD": 1.36}
src = from_currency.strip().upper()
dst = to_currency.strip().upper()
for code in (src, dst):
    if code not in rates:
        raise ValueError(f"unsupported currency {code!r}; supported: USD, EUR, GBP, JPY, CAD")
return round(amount / rates[src] * rates[dst], 2)
'''

_SLA = '''\
import datetime
sla_days = {"P1": 1, "P2": 3, "P3": 5, "P4": 10}
level = priority.strip().upper()
if level not in sla_days:
    raise ValueError(f"priority must be one of P1, P2, P3, P4, got {priority!r}")
opened = datetime.date.fromisoformat(opened_date.strip()[:10])
today = datetime.date.fromisoformat(as_of_date.strip()[:10])
deadline = opened + datetime.timedelta(days=sla_days[level])
return (deadline - today).days
'''


def _param(name: str, type_name: str, position: int, comment: str,
           default: str | None = None) -> dict[str, Any]:
    type_text = {"LONG": "bigint"}.get(type_name, type_name.lower())
    p = {"name": name, "type_name": type_name, "type_text": type_text, "position": position,
         "comment": comment, "parameter_mode": "IN", "parameter_type": "PARAM"}
    if default is not None:
        p["parameter_default"] = default
    return p


def _function(name: str, schema: str, *, params: list[dict[str, Any]], data_type: str,
              full_data_type: str, body: str, comment: str, python: bool,
              returns: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    info: dict[str, Any] = {
        "name": name, "catalog_name": demo_ids.CATALOG, "schema_name": schema,
        "input_params": {"parameters": params}, "data_type": data_type,
        "full_data_type": full_data_type, "routine_body": "EXTERNAL" if python else "SQL",
        "routine_definition": body, "parameter_style": "S", "is_deterministic": python,
        "sql_data_access": "NO_SQL" if python else "READS_SQL_DATA", "is_null_call": False,
        "security_type": "DEFINER", "specific_name": name, "comment": comment}
    if python:
        info["external_language"] = "Python"
    if returns:
        info["return_params"] = {"parameters": returns}
    return info


FUNCTIONS: tuple[dict[str, Any], ...] = (
    _function(
        "get_order_status", "sales",
        params=[_param("order_id", "STRING", 0,
                       "The order number, for example 'SO-10042' (case and surrounding spaces are "
                       "ignored).")],
        data_type="TABLE_TYPE",
        full_data_type="TABLE (status STRING, order_date DATE, ship_date DATE, carrier STRING, "
                       "total DOUBLE)",
        returns=[_param("status", "STRING", 0, "pending, processing, shipped, delivered, cancelled "
                        "or returned"),
                 _param("order_date", "DATE", 1, "The day the order was placed."),
                 _param("ship_date", "DATE", 2, "The day the order shipped; NULL until it ships."),
                 _param("carrier", "STRING", 3, "UPS, FedEx, DHL or USPS; NULL until it ships."),
                 _param("total", "DOUBLE", 4, "Order value in USD after discounts.")],
        body="SELECT o.status, o.order_date, o.ship_date, o.carrier, o.total\n"
             "FROM main.sales.orders AS o\n"
             "WHERE o.order_id = upper(trim(get_order_status.order_id))",
        comment="Looks up one sales order by its order number (like 'SO-10042') and returns its "
                "status (pending, processing, shipped, delivered, cancelled or returned), order "
                "date, ship date, carrier and total in USD. Returns no row when no order has that "
                "number. Use it for questions about where a specific order is or when it shipped.",
        python=False),
    _function(
        "convert_currency", "sales",
        params=[_param("amount", "DOUBLE", 0, "The amount of money to convert, e.g. 1499.0."),
                _param("from_currency", "STRING", 1, "ISO code of the amount's currency: USD, EUR, "
                       "GBP, JPY or CAD."),
                _param("to_currency", "STRING", 2, "ISO code of the currency to convert to: USD, "
                       "EUR, GBP, JPY or CAD.")],
        data_type="DOUBLE", full_data_type="DOUBLE", body=_CONVERT,
        comment="Converts an amount of money between USD, EUR, GBP, JPY and CAD at the company's "
                "fixed reference rates (per 1 USD: EUR 0.92, GBP 0.79, JPY 151.5, CAD 1.36) and "
                "returns the converted amount rounded to 2 decimals. Order totals are in USD.",
        python=True),
    _function(
        "days_until_sla_breach", "support",
        params=[_param("priority", "STRING", 0, "The ticket's priority: P1 (critical), P2 (high), "
                       "P3 (normal) or P4 (low)."),
                _param("opened_date", "STRING", 1, "When the ticket was opened, 'YYYY-MM-DD' (a "
                       "timestamp such as '2025-12-28T11:30:00Z' is accepted; its date is used)."),
                _param("as_of_date", "STRING", 2, f"The day to count from, 'YYYY-MM-DD'; defaults "
                       f"to the demo's today, {TODAY}.", default=f"'{TODAY}'")],
        data_type="LONG", full_data_type="BIGINT", body=_SLA,
        comment="Days left before a support ticket breaches its resolution SLA. The SLA is counted "
                "in calendar days from the opened date: P1 = 1 day, P2 = 3 days, P3 = 5 days, "
                "P4 = 10 days. Returns (opened_date + SLA days) - as_of_date in days: positive = "
                "days left, 0 = breaches today, negative = already breached by that many days. "
                f"as_of_date defaults to the demo's fixed today, {TODAY}.",
        python=True),
)


def _admin(state: EmulatorState) -> Principal:
    principal = state.identities.resolve(state.admin_token)
    assert principal is not None
    return principal


def _exists(kind: str, key: str, state: EmulatorState) -> bool:
    return state.store.get(kind, key.lower()) is not None


def seed(state: EmulatorState) -> None:
    ensure_sales(state)  # the demo's sales tables (idempotent; the functions read them)
    admin = _admin(state)
    state.grants.create("metastore", METASTORE_ID, ADMIN_USER)
    if not _exists(models.CATALOG, demo_ids.CATALOG, state):
        models.create_catalog(state, admin, demo_ids.CATALOG,
                              comment="The company's main catalog: sales data and support tools.")
    schemas = {demo_ids.SALES_SCHEMA: "Orders, order lines, customers, products and regions of the "
                                      "online store (2024-2025), and functions over them.",
               demo_ids.SUPPORT_SCHEMA: "Customer support tools: SLA rules for support tickets."}
    for full, comment in schemas.items():
        if not _exists(models.SCHEMA, full, state):
            models.create_schema(state, admin, full.split(".")[1], demo_ids.CATALOG, comment=comment)
    for info in FUNCTIONS:
        full = f"{info['catalog_name']}.{info['schema_name']}.{info['name']}"
        if not _exists(models.FUNCTION, full, state):
            models.create_function(state, admin, info)
    if not _exists(connections.CONNECTION, demo_ids.CONNECTION, state):
        connections.create_connection(state, admin, {
            "name": demo_ids.CONNECTION, "connection_type": "HTTP",
            "options": {"host": state.host or "http://127.0.0.1", "base_path": "/mcp",
                        "is_mcp_connection": "true"},
            "comment": "Customer support ticketing system (MCP server): search, read and create "
                       "support tickets."})
    state.grants.update("catalog", demo_ids.CATALOG, EVERYONE, add=["USE_CATALOG"])
    for full in schemas:
        state.grants.update("schema", full, EVERYONE, add=["USE_SCHEMA"])
