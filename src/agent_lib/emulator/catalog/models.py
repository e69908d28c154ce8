"""Unity Catalog: catalogs, schemas and functions (state and rules; no HTTP here).

Objects are JSON documents in the store, shaped like the SDK's `CatalogInfo`, `SchemaInfo` and
`FunctionInfo` (`as_dict()`), keyed by their lower-cased full name (UC names are case-insensitive).
Ownership and privileges live in `state.grants` (the creator owns what it creates). What every
securable shares (names, audit fields, ownership, pagination) is in `securables.py`; the checks
of a `FunctionInfo` at create in `function_info.py`.

Other services call:

* `get_function(state, caller, full_name)` / `list_functions(state, caller, catalog, schema)`
* `execute_function(state, caller, full_name, arguments) -> FunctionResult` (from `functions.py`)
* `get_connection(state, name)` (from `connections.py`; includes secret options, never serve it)
"""

from __future__ import annotations

import uuid
from typing import Any

from ..core.errors import ApiError, invalid, not_found, permission_denied
from ..core.identity import Principal
from ..core.state import EmulatorState
from .function_info import validate_function
from .securables import (
    METASTORE_ID,
    audit,
    check_name,
    clean,
    insert_owned,
    owner_view,
    require_manage,
    sees,
    set_owner,
)

CATALOG, SCHEMA, FUNCTION = "uc_catalog", "uc_schema", "uc_function"


# -- catalogs ---------------------------------------------------------------------------------

def catalog_doc(state: EmulatorState, name: str) -> dict[str, Any]:
    doc = state.store.get(CATALOG, name.lower())
    if doc is None:
        raise not_found(f"Catalog '{name}' does not exist.")
    return doc


def create_catalog(state: EmulatorState, caller: Principal, name: Any, *, comment: str | None = None,
                   properties: dict[str, str] | None = None, options: dict[str, str] | None = None,
                   storage_root: str | None = None) -> dict[str, Any]:
    name = check_name("name", name)
    if not state.grants.has(caller, "metastore", METASTORE_ID, "CREATE_CATALOG"):
        raise permission_denied(f"User does not have CREATE CATALOG on Metastore '{METASTORE_ID}'.")
    doc = clean({"name": name, "full_name": name, "comment": comment, "properties": properties,
                 "options": options, "storage_root": storage_root, "catalog_type": "MANAGED_CATALOG",
                 "securable_type": "CATALOG", "metastore_id": METASTORE_ID,
                 "isolation_mode": "OPEN", "browse_only": False})
    insert_owned(state, caller, CATALOG, "catalog", name, doc, "Catalog")
    return owner_view(state, "catalog", name, doc)


def get_catalog(state: EmulatorState, caller: Principal, name: str) -> dict[str, Any]:
    doc = catalog_doc(state, name)
    if not sees(state, caller, "catalog", doc["name"], "USE_CATALOG"):
        raise permission_denied(f"User does not have USE CATALOG on Catalog '{doc['name']}'.")
    return owner_view(state, "catalog", doc["name"], doc)


def list_catalogs(state: EmulatorState, caller: Principal) -> list[dict[str, Any]]:
    return [owner_view(state, "catalog", d["name"], d) for d in state.store.list(CATALOG)
            if sees(state, caller, "catalog", d["name"], "USE_CATALOG")]


def delete_catalog(state: EmulatorState, caller: Principal, name: str, *, force: bool = False) -> None:
    doc = catalog_doc(state, name)
    name = doc["name"]
    require_manage(state, caller, "catalog", name, "Catalog")
    with state.store.transaction():
        schemas = state.store.list(SCHEMA, name + ".")
        if schemas and not force:
            raise ApiError(400, "INVALID_STATE",
                           f"Catalog '{name}' is not empty: it contains {len(schemas)} schema(s). "
                           "Delete them first or pass force=true.")
        for s in schemas:
            _drop_schema(state, s["full_name"])
        state.store.delete(CATALOG, name)
        state.grants.drop("catalog", name)


# -- schemas ----------------------------------------------------------------------------------

def schema_doc(state: EmulatorState, full_name: str) -> dict[str, Any]:
    parts = full_name.split(".")
    if len(parts) != 2 or not all(parts):
        raise invalid(f"Invalid schema full name '{full_name}': expected <catalog>.<schema>.")
    doc = state.store.get(SCHEMA, full_name.lower())
    if doc is None:
        catalog_doc(state, parts[0])
        raise not_found(f"Schema '{full_name}' does not exist.")
    return doc


def create_schema(state: EmulatorState, caller: Principal, name: Any, catalog_name: Any, *,
                  comment: str | None = None, properties: dict[str, str] | None = None,
                  storage_root: str | None = None) -> dict[str, Any]:
    name = check_name("name", name)
    catalog = check_name("catalog_name", catalog_name)
    catalog_doc(state, catalog)
    if not (state.grants.has(caller, "catalog", catalog, "USE_CATALOG")
            and state.grants.has(caller, "catalog", catalog, "CREATE_SCHEMA")):
        raise permission_denied(
            f"User does not have USE CATALOG and CREATE SCHEMA on Catalog '{catalog}'.")
    full = f"{catalog}.{name}"
    doc = clean({"name": name, "catalog_name": catalog, "full_name": full, "comment": comment,
                 "properties": properties, "storage_root": storage_root,
                 "catalog_type": "MANAGED_CATALOG", "metastore_id": METASTORE_ID,
                 "schema_id": str(uuid.uuid4()), "browse_only": False})
    insert_owned(state, caller, SCHEMA, "schema", full, doc, "Schema")
    return owner_view(state, "schema", full, doc)


def get_schema(state: EmulatorState, caller: Principal, full_name: str) -> dict[str, Any]:
    doc = schema_doc(state, full_name)
    if not sees(state, caller, "schema", doc["full_name"], "USE_SCHEMA"):
        raise permission_denied(f"User does not have USE SCHEMA on Schema '{doc['full_name']}' "
                                "(or USE CATALOG on its catalog).")
    return owner_view(state, "schema", doc["full_name"], doc)


def list_schemas(state: EmulatorState, caller: Principal, catalog_name: str) -> list[dict[str, Any]]:
    if not catalog_name:
        raise invalid("Missing required field: catalog_name")
    catalog = catalog_doc(state, catalog_name)["name"]
    if not state.grants.has(caller, "catalog", catalog, "USE_CATALOG"):
        raise permission_denied(f"User does not have USE CATALOG on Catalog '{catalog}'.")
    return [owner_view(state, "schema", d["full_name"], d)
            for d in state.store.list(SCHEMA, catalog + ".")
            if sees(state, caller, "schema", d["full_name"], "USE_SCHEMA")]


def delete_schema(state: EmulatorState, caller: Principal, full_name: str, *, force: bool = False) -> None:
    doc = schema_doc(state, full_name)
    full = doc["full_name"]
    require_manage(state, caller, "schema", full, "Schema")
    with state.store.transaction():
        functions = state.store.keys(FUNCTION, full + ".")
        tables = state.warehouse.tables(full)
        if (functions or tables) and not force:
            raise ApiError(400, "INVALID_STATE",
                           f"Schema '{full}' is not empty: it contains {len(functions)} function(s) "
                           f"and {len(tables)} table(s). Delete them first or pass force=true.")
        _drop_schema(state, full)


def _drop_schema(state: EmulatorState, full: str) -> None:
    for key in state.store.keys(FUNCTION, full + "."):
        state.store.delete(FUNCTION, key)
        state.grants.drop("function", key)
    state.store.delete(SCHEMA, full)
    state.grants.drop("schema", full)


# -- functions --------------------------------------------------------------------------------

def function_doc(state: EmulatorState, full_name: str) -> dict[str, Any]:
    parts = full_name.split(".")
    if len(parts) != 3 or not all(parts):
        raise invalid(f"Invalid function full name '{full_name}': expected "
                      "<catalog>.<schema>.<function>.")
    doc = state.store.get(FUNCTION, full_name.lower())
    if doc is None:
        schema_doc(state, ".".join(parts[:2]))
        raise not_found(f"Function '{full_name}' does not exist.")
    return doc


def create_function(state: EmulatorState, caller: Principal, function_info: Any) -> dict[str, Any]:
    doc = validate_function(function_info)
    schema = f"{doc['catalog_name']}.{doc['schema_name']}"
    schema_doc(state, schema)
    if not (state.grants.has(caller, "schema", schema, "USE_SCHEMA")
            and state.grants.has(caller, "schema", schema, "CREATE_FUNCTION")):
        raise permission_denied(
            f"User does not have USE CATALOG on Catalog '{doc['catalog_name']}', or USE SCHEMA and "
            f"CREATE FUNCTION on Schema '{schema}'.")
    full = f"{schema}.{doc['name']}"
    doc.update(full_name=full, function_id=str(uuid.uuid4()), metastore_id=METASTORE_ID,
               browse_only=False)
    doc = clean(doc)
    insert_owned(state, caller, FUNCTION, "function", full, doc, "Function")
    return owner_view(state, "function", full, doc)


def get_function(state: EmulatorState, caller: Principal, full_name: str) -> dict[str, Any]:
    """`FunctionInfo` as a dict; needs EXECUTE (with USE_CATALOG/USE_SCHEMA) or ownership."""
    doc = function_doc(state, full_name)
    if not state.grants.has(caller, "function", doc["full_name"], "EXECUTE"):
        raise permission_denied(
            f"User does not have EXECUTE on Routine or Model '{doc['full_name']}' "
            "(or USE CATALOG / USE SCHEMA on its parents).")
    return owner_view(state, "function", doc["full_name"], doc)


def list_functions(state: EmulatorState, caller: Principal, catalog_name: str,
                   schema_name: str) -> list[dict[str, Any]]:
    """Functions of a schema that the caller may execute (all of them for admins)."""
    if not catalog_name:
        raise invalid("Missing required field: catalog_name")
    if not schema_name:
        raise invalid("Missing required field: schema_name")
    schema = schema_doc(state, f"{catalog_name}.{schema_name}")["full_name"]
    if not state.grants.has(caller, "schema", schema, "USE_SCHEMA"):
        raise permission_denied(f"User does not have USE CATALOG on Catalog '{catalog_name}' "
                                f"or USE SCHEMA on Schema '{schema}'.")
    return [owner_view(state, "function", d["full_name"], d)
            for d in state.store.list(FUNCTION, schema + ".")
            if state.grants.has(caller, "function", d["full_name"], "EXECUTE")]


def update_function(state: EmulatorState, caller: Principal, full_name: str, *,
                    owner: str | None = None) -> dict[str, Any]:
    doc = function_doc(state, full_name)
    full = doc["full_name"]
    require_manage(state, caller, "function", full, "Function")
    if owner and not caller.admin and owner.strip().lower() != caller.name.lower():
        # a SQL body reads with its owner's rights (catalog/reads.py): handing a function one
        # wrote to a principal with more rights would let its author read through it
        raise permission_denied(f"To prevent privilege escalation, only a metastore admin can transfer "
                                f"the ownership of Function '{full}' to another principal.")
    with state.store.transaction():
        if owner:
            set_owner(state, "function", full, owner)
        audit(caller, doc, created=False)
        state.store.put(FUNCTION, full, doc)
    return owner_view(state, "function", full, doc)


def delete_function(state: EmulatorState, caller: Principal, full_name: str) -> None:
    doc = function_doc(state, full_name)
    require_manage(state, caller, "function", doc["full_name"], "Function")
    with state.store.transaction():
        state.store.delete(FUNCTION, doc["full_name"])
        state.grants.drop("function", doc["full_name"])

