"""HTTP routes of Unity Catalog: catalogs, schemas, functions, connections, permissions (thin)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body

from ..core.deps import Caller, State
from ..core.errors import invalid
from ..core.identity import Principal, require_scope
from . import connections, grants, models, tables
from .securables import paginate

router = APIRouter(prefix="/api/2.1/unity-catalog")

UC = "unity-catalog"
CATALOG_SCOPES = (UC, "catalog.catalogs")
SCHEMA_SCOPES = (UC, "catalog.schemas")
FUNCTION_SCOPES = (UC, "catalog.functions")
FUNCTION_READ_SCOPES = (UC, "mcp.functions", "catalog.functions", "catalog.functions:read")
CONNECTION_SCOPES = ("catalog.connections", UC)
GRANT_SCOPES = (UC, "catalog.grants")
TABLE_SCOPES = (UC, "catalog.tables", "catalog.tables:read", "sql")


def _body(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise invalid("Malformed request: the body must be a JSON object.")
    return body


def _page(items: list[dict[str, Any]], key: str, max_results: int | None,
          page_token: str | None) -> dict[str, Any]:
    return paginate(items, key, max_results, page_token)


def _scope(caller: Principal, *scopes: str) -> None:
    require_scope(caller, *scopes)


# -- catalogs ---------------------------------------------------------------------------------

@router.post("/catalogs")
def create_catalog(state: State, caller: Caller, body: Any = Body(None)) -> dict[str, Any]:
    _scope(caller, *CATALOG_SCOPES)
    b = _body(body)
    return models.create_catalog(state, caller, b.get("name"), comment=b.get("comment"),
                                 properties=b.get("properties"), options=b.get("options"),
                                 storage_root=b.get("storage_root"))


@router.get("/catalogs")
def list_catalogs(state: State, caller: Caller, max_results: int | None = None,
                  page_token: str | None = None) -> dict[str, Any]:
    _scope(caller, *CATALOG_SCOPES, "catalog.catalogs:read")
    return _page(models.list_catalogs(state, caller), "catalogs", max_results, page_token)


@router.get("/catalogs/{name}")
def get_catalog(name: str, state: State, caller: Caller) -> dict[str, Any]:
    _scope(caller, *CATALOG_SCOPES, "catalog.catalogs:read")
    return models.get_catalog(state, caller, name)


@router.delete("/catalogs/{name}")
def delete_catalog(name: str, state: State, caller: Caller, force: bool = False) -> dict[str, Any]:
    _scope(caller, *CATALOG_SCOPES)
    models.delete_catalog(state, caller, name, force=force)
    return {}


# -- schemas ----------------------------------------------------------------------------------

@router.post("/schemas")
def create_schema(state: State, caller: Caller, body: Any = Body(None)) -> dict[str, Any]:
    _scope(caller, *SCHEMA_SCOPES)
    b = _body(body)
    return models.create_schema(state, caller, b.get("name"), b.get("catalog_name"),
                                comment=b.get("comment"), properties=b.get("properties"),
                                storage_root=b.get("storage_root"))


@router.get("/schemas")
def list_schemas(state: State, caller: Caller, catalog_name: str = "", max_results: int | None = None,
                 page_token: str | None = None) -> dict[str, Any]:
    _scope(caller, *SCHEMA_SCOPES, "catalog.schemas:read")
    return _page(models.list_schemas(state, caller, catalog_name), "schemas", max_results, page_token)


@router.get("/schemas/{full_name}")
def get_schema(full_name: str, state: State, caller: Caller) -> dict[str, Any]:
    _scope(caller, *SCHEMA_SCOPES, "catalog.schemas:read")
    return models.get_schema(state, caller, full_name)


@router.delete("/schemas/{full_name}")
def delete_schema(full_name: str, state: State, caller: Caller, force: bool = False) -> dict[str, Any]:
    _scope(caller, *SCHEMA_SCOPES)
    models.delete_schema(state, caller, full_name, force=force)
    return {}


# -- tables (read-only: the warehouse's tables) -----------------------------------------------

@router.get("/tables")
def list_tables(state: State, caller: Caller, catalog_name: str = "", schema_name: str = "",
                max_results: int | None = None, page_token: str | None = None) -> dict[str, Any]:
    _scope(caller, *TABLE_SCOPES)
    if not catalog_name:
        raise invalid("Missing required field: catalog_name")
    if not schema_name:
        raise invalid("Missing required field: schema_name")
    return _page(tables.list_tables(state, caller, catalog_name, schema_name), "tables",
                 max_results, page_token)


@router.get("/tables/{full_name}/exists")
def table_exists(full_name: str, state: State, caller: Caller) -> dict[str, Any]:
    _scope(caller, *TABLE_SCOPES)
    return {"table_exists": tables.table_exists(state, caller, full_name)}


@router.get("/tables/{full_name}")
def get_table(full_name: str, state: State, caller: Caller) -> dict[str, Any]:
    _scope(caller, *TABLE_SCOPES)
    return tables.get_table(state, caller, full_name)


# -- functions --------------------------------------------------------------------------------

@router.post("/functions")
def create_function(state: State, caller: Caller, body: Any = Body(None)) -> dict[str, Any]:
    _scope(caller, *FUNCTION_SCOPES)
    b = _body(body)
    if "function_info" not in b:
        raise invalid("Missing required field: function_info (the request body is "
                      "{\"function_info\": {...CreateFunction...}}).")
    unknown = sorted(set(b) - {"function_info"})
    if unknown:
        raise invalid(f"Unknown field: {unknown[0]}")
    return models.create_function(state, caller, b["function_info"])


@router.get("/functions")
def list_functions(state: State, caller: Caller, catalog_name: str = "", schema_name: str = "",
                   max_results: int | None = None, page_token: str | None = None) -> dict[str, Any]:
    _scope(caller, *FUNCTION_READ_SCOPES)
    return _page(models.list_functions(state, caller, catalog_name, schema_name), "functions",
                 max_results, page_token)


@router.get("/functions/{name}")
def get_function(name: str, state: State, caller: Caller) -> dict[str, Any]:
    _scope(caller, *FUNCTION_READ_SCOPES)
    return models.get_function(state, caller, name)


@router.patch("/functions/{name}")
def update_function(name: str, state: State, caller: Caller, body: Any = Body(None)) -> dict[str, Any]:
    _scope(caller, *FUNCTION_SCOPES)
    return models.update_function(state, caller, name, owner=_body(body or {}).get("owner"))


@router.delete("/functions/{name}")
def delete_function(name: str, state: State, caller: Caller, force: bool = False) -> dict[str, Any]:
    _scope(caller, *FUNCTION_SCOPES)
    models.delete_function(state, caller, name)
    return {}


# -- connections ------------------------------------------------------------------------------

@router.post("/connections")
def create_connection(state: State, caller: Caller, body: Any = Body(None)) -> dict[str, Any]:
    _scope(caller, *CONNECTION_SCOPES)
    return connections.create_connection(state, caller, _body(body))


@router.get("/connections")
def list_connections(state: State, caller: Caller, max_results: int | None = None,
                     page_token: str | None = None) -> dict[str, Any]:
    _scope(caller, *CONNECTION_SCOPES)
    return _page(connections.list_all(state, caller), "connections", max_results, page_token)


@router.get("/connections/{name}")
def get_connection(name: str, state: State, caller: Caller) -> dict[str, Any]:
    _scope(caller, *CONNECTION_SCOPES)
    return connections.get(state, caller, name)


@router.patch("/connections/{name}")
def update_connection(name: str, state: State, caller: Caller, body: Any = Body(None)) -> dict[str, Any]:
    _scope(caller, *CONNECTION_SCOPES)
    b = _body(body)
    options = b.get("options")
    for field in ("options", "secrets"):
        if b.get(field) is not None and not isinstance(b[field], dict):
            raise invalid(f"Invalid value for field '{field}': expected an object of string values.")
    if options is not None and b.get("secrets"):
        options = {**options, **b["secrets"]}
    return connections.update_connection(state, caller, name, options=options,
                                         new_name=b.get("new_name"), owner=b.get("owner"))


@router.delete("/connections/{name}")
def delete_connection(name: str, state: State, caller: Caller) -> dict[str, Any]:
    _scope(caller, *CONNECTION_SCOPES)
    connections.delete(state, caller, name)
    return {}


# -- permissions ------------------------------------------------------------------------------

@router.get("/permissions/{securable_type}/{full_name}")
def get_permissions(securable_type: str, full_name: str, state: State, caller: Caller,
                    principal: str | None = None) -> dict[str, Any]:
    _scope(caller, *GRANT_SCOPES)
    return grants.get_permissions(state, caller, securable_type, full_name, principal)


@router.patch("/permissions/{securable_type}/{full_name}")
def update_permissions(securable_type: str, full_name: str, state: State, caller: Caller,
                       body: Any = Body(None)) -> dict[str, Any]:
    _scope(caller, *GRANT_SCOPES)
    b = _body(body or {})
    unknown = sorted(set(b) - {"changes", "omit_permissions_in_response"})
    if unknown:
        raise invalid(f"Unknown field: {unknown[0]}")
    return grants.update_permissions(state, caller, securable_type, full_name, b.get("changes"),
                                     omit=bool(b.get("omit_permissions_in_response")))


@router.get("/effective-permissions/{securable_type}/{full_name}")
def get_effective_permissions(securable_type: str, full_name: str, state: State, caller: Caller,
                              principal: str | None = None) -> dict[str, Any]:
    _scope(caller, *GRANT_SCOPES)
    return grants.get_effective(state, caller, securable_type, full_name, principal)


@router.get("/privilege-assignments/{securable_type}/{full_name}")
def list_privilege_assignments(securable_type: str, full_name: str, state: State, caller: Caller,
                               principal: str | None = None) -> dict[str, Any]:
    _scope(caller, *GRANT_SCOPES)
    return grants.get_permissions(state, caller, securable_type, full_name, principal)


@router.get("/effective-privilege-assignments/{securable_type}/{full_name}")
def list_effective_privilege_assignments(securable_type: str, full_name: str, state: State,
                                         caller: Caller, principal: str | None = None) -> dict[str, Any]:
    _scope(caller, *GRANT_SCOPES)
    out = grants.get_effective(state, caller, securable_type, full_name, principal)
    return {"effective_privilege_assignments": out["privilege_assignments"]}

