"""The demo's Unity Catalog: catalog `main`, schemas `main.sales` and `main.support`, three functions
over the sales data (from `demo_functions/*.sql`), the `ticketing` MCP connection, and the grants a
new user starts with.

Every workspace user (UC's `account users` group) may use the catalog and both schemas and read
their tables (SELECT on each schema, inherited by its tables) but may not EXECUTE any function or
use the connection: granting those is the work of the package's grant step. A table elsewhere is
read only by those granted SELECT on it (the warehouse's sandbox enforces it). The admin owns
everything.
"""

from __future__ import annotations

from importlib import resources
from typing import Any

from ...function_definitions import parse_definition
from ..core import demo_ids
from ..core.identity import Principal
from ..core.state import ADMIN_USER, EmulatorState
from ..warehouse.demo import ensure_sales
from . import connections, models
from .securables import METASTORE_ID

EVERYONE = "account users"
DEMO_FUNCTIONS = ("get_order_status.sql", "convert_currency.sql", "days_until_sla_breach.sql")
"""The files in `demo_functions/`, in the order the functions are created."""


def demo_functions() -> list[dict[str, Any]]:
    """The demo's functions as `CreateFunction` fields, read from the SQL files in `demo_functions/`:
    the same files agent.yml names, so notebook 01 finds them unchanged here."""
    folder = resources.files("agent_lib.emulator.catalog").joinpath("demo_functions")
    return [parse_definition(folder.joinpath(name).read_text(encoding="utf-8"), f"demo_functions/{name}")
            for name in DEMO_FUNCTIONS]


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
    for info in demo_functions():
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
        state.grants.update("schema", full, EVERYONE, add=["USE_SCHEMA", "SELECT"])
