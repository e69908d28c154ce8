"""Unity Catalog catalogs, schemas and connections through the SDK, errors through raw HTTP."""

from __future__ import annotations

import uuid

import httpx
import pytest
from databricks.sdk.errors import BadRequest, NotFound, PermissionDenied, ResourceAlreadyExists
from databricks.sdk.service.catalog import ConnectionType

from agent_lib.emulator.catalog.connections import get_connection
from agent_lib.emulator.core import demo_ids


def _unique(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:8]}"


def _http(emulator, token: str | None = None) -> httpx.Client:
    return httpx.Client(base_url=emulator.host,
                        headers={"Authorization": f"Bearer {token or emulator.token}"})


def test_demo_catalog_and_schemas(admin, alice):
    main = admin.catalogs.get("main")
    assert main.full_name == "main" and main.owner == "admin@example.com" and main.created_at > 10**12
    assert {s.full_name for s in admin.schemas.list("main")} >= {"main.sales", "main.support"}
    # every user may use the demo catalog and schemas (USE_CATALOG / USE_SCHEMA for account users)
    assert "main" in [c.name for c in alice.catalogs.list()]
    assert {s.full_name for s in alice.schemas.list("main")} >= {"main.sales", "main.support"}
    assert alice.schemas.get("main.sales").owner == "admin@example.com"


def test_catalog_and_schema_crud(admin):
    cat = _unique("cat")
    info = admin.catalogs.create(name=cat.upper(), comment="test")
    assert info.name == cat and info.owner == "admin@example.com" and info.comment == "test"
    with pytest.raises(ResourceAlreadyExists):
        admin.catalogs.create(name=cat)
    s = admin.schemas.create(name="things", catalog_name=cat, comment="c")
    assert s.full_name == f"{cat}.things" and s.catalog_name == cat and s.owner == "admin@example.com"
    assert admin.schemas.get(f"{cat}.THINGS").name == "things"
    with pytest.raises(ResourceAlreadyExists):
        admin.schemas.create(name="things", catalog_name=cat)
    with pytest.raises(BadRequest, match="not empty"):
        admin.catalogs.delete(cat)
    admin.schemas.delete(f"{cat}.things")
    with pytest.raises(NotFound):
        admin.schemas.get(f"{cat}.things")
    admin.schemas.create(name="again", catalog_name=cat)
    admin.catalogs.delete(cat, force=True)
    with pytest.raises(NotFound):
        admin.catalogs.get(cat)
    with pytest.raises(NotFound):
        admin.schemas.get(f"{cat}.again")


def test_not_found_and_validation(emulator, admin):
    with pytest.raises(NotFound, match="nope"):
        admin.catalogs.get("nope")
    with pytest.raises(NotFound, match="Catalog 'nope'"):
        admin.schemas.create(name="s", catalog_name="nope")
    with _http(emulator) as c:
        r = c.post("/api/2.1/unity-catalog/catalogs", json={"comment": "no name"})
        assert r.status_code == 400 and "name" in r.json()["message"]
        r = c.post("/api/2.1/unity-catalog/schemas", json={"name": "a.b", "catalog_name": "main"})
        assert r.status_code == 400 and "name" in r.json()["message"]
        r = c.get("/api/2.1/unity-catalog/schemas")
        assert r.status_code == 400 and "catalog_name" in r.json()["message"]


def test_ordinary_users_cannot_create_or_drop(alice, admin):
    with pytest.raises(PermissionDenied):
        alice.catalogs.create(name=_unique("alice"))
    with pytest.raises(PermissionDenied):
        alice.schemas.create(name=_unique("s"), catalog_name="main")
    with pytest.raises(PermissionDenied):
        alice.schemas.delete("main.sales")
    assert admin.schemas.get("main.sales")


def test_creator_owns_what_it_creates(admin, alice):
    cat = _unique("owned")
    admin.catalogs.create(name=cat)
    from databricks.sdk.service.catalog import PermissionsChange, Privilege

    admin.grants.update("catalog", cat, changes=[PermissionsChange(
        principal="alice@example.com", add=[Privilege.USE_CATALOG, Privilege.CREATE_SCHEMA])])
    s = alice.schemas.create(name="mine", catalog_name=cat)
    assert s.owner == "alice@example.com"
    alice.schemas.delete(f"{cat}.mine")  # owners may drop
    admin.catalogs.delete(cat, force=True)


def test_pagination(admin, emulator):
    cat = _unique("pages")
    admin.catalogs.create(name=cat)
    for i in range(5):
        admin.schemas.create(name=f"s{i}", catalog_name=cat)
    with _http(emulator) as c:
        r = c.get("/api/2.1/unity-catalog/schemas", params={"catalog_name": cat, "max_results": 2}).json()
        assert len(r["schemas"]) == 2 and r["next_page_token"]
    assert len(list(admin.schemas.list(cat, max_results=2))) == 5
    admin.catalogs.delete(cat, force=True)


# -- connections ------------------------------------------------------------------------------

def test_connection_crud_hides_secrets(emulator, admin):
    name = _unique("conn")
    created = admin.connections.create(
        name=name, connection_type=ConnectionType.HTTP, comment="mcp",
        options={"host": "https://mcp.example.com", "base_path": "/api/mcp", "bearer_token": "s3cret",
                 "is_mcp_connection": "true"})
    assert created.owner == "admin@example.com" and created.full_name == name
    assert "bearer_token" not in created.options and created.options["host"] == "https://mcp.example.com"
    assert created.url == "https://mcp.example.com/api/mcp"
    assert created.credential_type.value == "BEARER_TOKEN"
    got = admin.connections.get(name)
    assert got.options == {"host": "https://mcp.example.com", "base_path": "/api/mcp",
                           "is_mcp_connection": "true"}
    with _http(emulator) as c:
        assert "s3cret" not in c.get(f"/api/2.1/unity-catalog/connections/{name}").text
        assert "s3cret" not in c.get("/api/2.1/unity-catalog/connections").text
    assert name in [x.name for x in admin.connections.list()]
    # the MCP proxy's view keeps the secret
    internal = get_connection(emulator.state, name)
    assert internal["options"]["bearer_token"] == "s3cret" and internal["owner"] == "admin@example.com"
    # updating options without the secret keeps the stored secret
    admin.connections.update(name, options={"host": "https://mcp2.example.com", "base_path": "/mcp"})
    assert get_connection(emulator.state, name)["options"]["bearer_token"] == "s3cret"
    assert admin.connections.get(name).options["host"] == "https://mcp2.example.com"
    with pytest.raises(ResourceAlreadyExists):
        admin.connections.create(name=name, connection_type=ConnectionType.HTTP,
                                 options={"host": "https://x.example.com"})
    admin.connections.delete(name)
    with pytest.raises(NotFound):
        admin.connections.get(name)


def test_connection_validation_and_access(emulator, admin, alice):
    with _http(emulator) as c:
        r = c.post("/api/2.1/unity-catalog/connections",
                   json={"name": "c1", "connection_type": "HTTP", "options": {"base_path": "/x"}})
        assert r.status_code == 400 and "options.host" in r.json()["message"]
        r = c.post("/api/2.1/unity-catalog/connections",
                   json={"name": "c1", "connection_type": "CARRIER_PIGEON", "options": {}})
        assert r.status_code == 400 and "connection_type" in r.json()["message"]
        r = c.post("/api/2.1/unity-catalog/connections", json={"name": "c1", "connection_type": "HTTP"})
        assert r.status_code == 400 and "options" in r.json()["message"]
    with pytest.raises(PermissionDenied):
        alice.connections.create(name="alice_conn", connection_type=ConnectionType.HTTP,
                                 options={"host": "https://x.example.com"})
    # the demo connection exists, is an MCP connection, and alice may not use it yet
    demo = admin.connections.get(demo_ids.CONNECTION)
    assert demo.options["is_mcp_connection"] == "true" and demo.connection_type == ConnectionType.HTTP
    with pytest.raises(PermissionDenied):
        alice.connections.get(demo_ids.CONNECTION)
    assert demo_ids.CONNECTION not in [x.name for x in alice.connections.list()]
    token = emulator.token_for("admin@example.com", scopes=["genie"])
    with _http(emulator, token) as c:
        assert c.get("/api/2.1/unity-catalog/connections").status_code == 403
    token = emulator.token_for("admin@example.com", scopes=["catalog.connections"])
    with _http(emulator, token) as c:
        assert c.get("/api/2.1/unity-catalog/connections").status_code == 200


# -- tables (read-only) -----------------------------------------------------------------------

def test_tables_of_the_warehouse(admin, alice):
    names = [t.full_name for t in alice.tables.list("main", "sales")]
    assert "main.sales.orders" in names
    t = admin.tables.get("main.sales.orders")
    assert t.table_type.value == "MANAGED" and t.owner == "admin@example.com"
    cols = {c.name: c for c in t.columns}
    assert cols["order_date"].type_name.value == "DATE" and cols["total"].type_name.value == "DOUBLE"
    assert admin.tables.exists("main.sales.orders").table_exists
    assert not admin.tables.exists("main.sales.nope").table_exists
    with pytest.raises(NotFound):
        admin.tables.get("main.sales.nope")
