"""Connection credentials are write-only: get, list, create and update never return them,
however the option is spelt, while the MCP proxy still reads them."""

from __future__ import annotations

import uuid

from databricks.sdk.service.catalog import ConnectionType

from agent_lib.emulator.catalog import connections

SECRETS = {"personalAccessToken": "dapi-secret-1", "bearer_token": "secret-2", "Client-Secret": "secret-3",
           "api_key": "secret-4", "oauthPassword": "secret-5"}


def test_secret_options_are_never_served(emulator, admin):
    name = "conn_" + uuid.uuid4().hex[:8]
    options = {"host": "https://tickets.example.com", "base_path": "/mcp", **SECRETS}
    created = admin.connections.create(name=name, connection_type=ConnectionType.HTTP, options=options)
    try:
        updated = admin.connections.update(name, options={**options, "base_path": "/mcp2"})
        served = [created, admin.connections.get(name), updated,
                  next(c for c in admin.connections.list() if c.name == name)]
        for info in served:
            assert set(info.options) == {"host", "base_path"}, info.options
            assert not any(v in str(info.as_dict()) for v in SECRETS.values())
        stored = connections.get_connection(emulator.state, name)["options"]
        assert {k: stored[k] for k in SECRETS} == SECRETS  # kept for the MCP proxy
    finally:
        admin.connections.delete(name)
