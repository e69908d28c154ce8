"""The demo's MCP part: the `ticketing` UC connection reaches the built-in ticketing server.

Seeding starts nothing (the server starts on first use, see `servers.py`). It forgets the
ticketing data of an earlier run, so a reset workspace shows the 30 seeded tickets again, and makes
the connection's options designate the built-in server: `host` = this workspace, `base_path` =
`/_emulator/mcp/servers/ticketing`, `is_mcp_connection` = "true" (creating the connection, owned by
the admin, if the catalog's demo did not).
"""

from __future__ import annotations

from ..catalog import connections
from ..core import demo_ids
from ..core.errors import ApiError
from ..core.state import EmulatorState
from . import servers

SERVER = "ticketing"
COMMENT = ("Customer support ticketing system (MCP server): search, read and create support "
           "tickets about orders, deliveries, returns, devices and accounts.")


def connection_options(state: EmulatorState) -> dict[str, str]:
    return {"host": state.host or "http://127.0.0.1", "base_path": servers.internal_base_path(SERVER),
            "is_mcp_connection": "true"}


def seed(state: EmulatorState) -> None:
    servers.forget_data(state, SERVER)
    options = connection_options(state)
    try:
        existing = connections.get_connection(state, demo_ids.CONNECTION)
    except ApiError as exc:
        if exc.status != 404:
            raise
        admin = state.identities.resolve(state.admin_token)
        connections.create_connection(state, admin, {"name": demo_ids.CONNECTION, "connection_type": "HTTP",
                                               "options": options, "comment": COMMENT})
        return
    connections.update_connection(state, None, demo_ids.CONNECTION,
                            options={**existing.get("options", {}), **options})
