"""Unity Catalog: catalogs, schemas and functions (state and rules; no HTTP here).

Objects are JSON documents in the store, shaped like the SDK's `CatalogInfo`, `SchemaInfo` and
`FunctionInfo` (`as_dict()`), keyed by their lower-cased full name (UC names are case-insensitive).
Ownership and privileges live in `state.grants` (the creator owns what it creates).

Other services call:

* `get_function(state, caller, full_name)` / `list_functions(state, caller, catalog, schema)`
* `execute_function(state, caller, full_name, arguments) -> FunctionResult` (from `functions.py`)
* `get_connection(state, name)` (from `connections.py`; includes secret options, never serve it)
"""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

from ..core.errors import ApiError, already_exists, invalid, not_found, permission_denied
from ..core.identity import Principal
from ..core.state import EmulatorState

METASTORE_ID = "5e1ec7ed-0a11-4c0d-9e57-0e3a7a570e11"

CATALOG, SCHEMA, FUNCTION = "uc_catalog", "uc_schema", "uc_function"

COLUMN_TYPE_NAMES = frozenset(
    "ARRAY BINARY BOOLEAN BYTE CHAR DATE DECIMAL DOUBLE FLOAT GEOGRAPHY GEOMETRY INT INTERVAL LONG "
    "MAP NULL SHORT STRING STRUCT TABLE_TYPE TIMESTAMP TIMESTAMP_NTZ USER_DEFINED_TYPE VARIANT".split()
)
_ENUMS: dict[str, tuple[str, ...]] = {
    "routine_body": ("SQL", "EXTERNAL"),
    "parameter_style": ("S",),
    "sql_data_access": ("CONTAINS_SQL", "NO_SQL", "READS_SQL_DATA"),
    "security_type": ("DEFINER",),
}
_FUNCTION_REQUIRED = (
    "name", "catalog_name", "schema_name", "input_params", "data_type", "full_data_type",
    "routine_body", "routine_definition", "parameter_style", "is_deterministic", "sql_data_access",
    "is_null_call", "security_type", "specific_name",
)
_FUNCTION_OPTIONAL = ("comment", "external_language", "external_name", "properties", "return_params",
                      "routine_dependencies", "sql_path")
_BAD_NAME = re.compile(r"[.\s/\x00-\x1f]")


def now_ms() -> int:
    return int(time.time() * 1000)


def clean(doc: dict[str, Any]) -> dict[str, Any]:
    """Drop absent fields, as Databricks omits them rather than sending nulls."""
    return {k: v for k, v in doc.items() if v is not None}


def check_name(field: str, value: Any) -> str:
    """A UC object name: a non-empty string without dots, slashes or whitespace; lower-cased."""
    if not isinstance(value, str) or not value.strip():
        raise invalid(f"Missing required field: {field}")
    if _BAD_NAME.search(value):
        raise invalid(f"Invalid name '{value}' for {field}: names cannot contain '.', '/', spaces "
                      "or control characters.")
    return value.lower()


def paginate(items: list[dict[str, Any]], key: str, max_results: int | None,
             page_token: str | None) -> dict[str, Any]:
    """UC list pagination: `max_results` 0/None = everything; tokens are opaque offsets."""
    if max_results is not None and max_results < 0:
        raise invalid("max_results must be greater than or equal to 0.")
    try:
        start = int(page_token) if page_token else 0
    except ValueError:
        raise invalid(f"Invalid page_token '{page_token}'.") from None
    end = len(items) if not max_results else start + max_results
    out: dict[str, Any] = {key: items[start:end]}
    if end < len(items):
        out["next_page_token"] = str(end)
    return out


def _audit(caller: Principal, doc: dict[str, Any], *, created: bool) -> None:
    ts = now_ms()
    if created:
        doc["created_at"], doc["created_by"] = ts, caller.name
    doc["updated_at"], doc["updated_by"] = ts, caller.name


def _owner_view(state: EmulatorState, securable: str, full_name: str, doc: dict[str, Any]) -> dict[str, Any]:
    owner = state.grants.get(securable, full_name).get("owner")
    return clean({**doc, "owner": owner})


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
    _audit(caller, doc, created=True)
    with state.store.transaction():
        if not state.store.insert(CATALOG, name, doc):
            raise already_exists(f"Catalog '{name}' already exists.")
        state.grants.create("catalog", name, caller.name)
    return _owner_view(state, "catalog", name, doc)


def get_catalog(state: EmulatorState, caller: Principal, name: str) -> dict[str, Any]:
    doc = catalog_doc(state, name)
    if not _sees(state, caller, "catalog", doc["name"], "USE_CATALOG"):
        raise permission_denied(f"User does not have USE CATALOG on Catalog '{doc['name']}'.")
    return _owner_view(state, "catalog", doc["name"], doc)


def list_catalogs(state: EmulatorState, caller: Principal) -> list[dict[str, Any]]:
    return [_owner_view(state, "catalog", d["name"], d) for d in state.store.list(CATALOG)
            if _sees(state, caller, "catalog", d["name"], "USE_CATALOG")]


def delete_catalog(state: EmulatorState, caller: Principal, name: str, *, force: bool = False) -> None:
    doc = catalog_doc(state, name)
    name = doc["name"]
    _require_manage(state, caller, "catalog", name, "Catalog")
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
    _audit(caller, doc, created=True)
    with state.store.transaction():
        if not state.store.insert(SCHEMA, full, doc):
            raise already_exists(f"Schema '{full}' already exists.")
        state.grants.create("schema", full, caller.name)
    return _owner_view(state, "schema", full, doc)


def get_schema(state: EmulatorState, caller: Principal, full_name: str) -> dict[str, Any]:
    doc = schema_doc(state, full_name)
    if not _sees(state, caller, "schema", doc["full_name"], "USE_SCHEMA"):
        raise permission_denied(f"User does not have USE SCHEMA on Schema '{doc['full_name']}' "
                                "(or USE CATALOG on its catalog).")
    return _owner_view(state, "schema", doc["full_name"], doc)


def list_schemas(state: EmulatorState, caller: Principal, catalog_name: str) -> list[dict[str, Any]]:
    if not catalog_name:
        raise invalid("Missing required field: catalog_name")
    catalog = catalog_doc(state, catalog_name)["name"]
    if not state.grants.has(caller, "catalog", catalog, "USE_CATALOG"):
        raise permission_denied(f"User does not have USE CATALOG on Catalog '{catalog}'.")
    return [_owner_view(state, "schema", d["full_name"], d)
            for d in state.store.list(SCHEMA, catalog + ".")
            if _sees(state, caller, "schema", d["full_name"], "USE_SCHEMA")]


def delete_schema(state: EmulatorState, caller: Principal, full_name: str, *, force: bool = False) -> None:
    doc = schema_doc(state, full_name)
    full = doc["full_name"]
    _require_manage(state, caller, "schema", full, "Schema")
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


def _check_params(field: str, value: Any, *, required: bool) -> list[dict[str, Any]]:
    if value is None:
        if required:
            raise invalid(f"Missing required field: {field}")
        return []
    if not isinstance(value, dict):
        raise invalid(f"Invalid value for field '{field}': expected an object with 'parameters'.")
    params = value.get("parameters") or []
    if not isinstance(params, list):
        raise invalid(f"Invalid value for field '{field}.parameters': expected a list.")
    seen: set[str] = set()
    positions: set[int] = set()
    out = []
    for i, p in enumerate(params):
        where = f"{field}.parameters[{i}]"
        if not isinstance(p, dict):
            raise invalid(f"Invalid value for field '{where}': expected an object.")
        for req in ("name", "type_text", "type_name", "position"):
            if p.get(req) is None or p.get(req) == "":
                raise invalid(f"Missing required field: {where}.{req}")
        name = p["name"]
        if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise invalid(f"Invalid value for field '{where}.name': '{name}' is not a valid "
                          "parameter name (letters, digits and underscores).")
        if name.lower() in seen:
            raise invalid(f"Duplicate parameter name '{name}' in {field}.")
        seen.add(name.lower())
        if p["type_name"] not in COLUMN_TYPE_NAMES:
            raise invalid(f"Invalid value for field '{where}.type_name': '{p['type_name']}' is not "
                          f"a ColumnTypeName (e.g. STRING, INT, LONG, DOUBLE, BOOLEAN, DATE).")
        if not isinstance(p["position"], int) or isinstance(p["position"], bool) or p["position"] < 0:
            raise invalid(f"Invalid value for field '{where}.position': expected a non-negative integer.")
        if p["position"] in positions:
            raise invalid(f"Duplicate position {p['position']} in {field}.")
        positions.add(p["position"])
        if p.get("parameter_default") is not None and not isinstance(p["parameter_default"], str):
            raise invalid(f"Invalid value for field '{where}.parameter_default': expected a SQL "
                          "literal as a string, e.g. \"'USD'\" or \"10\".")
        out.append(clean(dict(p)))
    out.sort(key=lambda p: p["position"])
    if field == "input_params":
        defaulted = False
        for p in out:
            if p.get("parameter_default") is not None:
                defaulted = True
            elif defaulted:
                raise invalid(f"Parameter '{p['name']}' has no default but follows a parameter "
                              "with a default; parameters with defaults must come last.")
    return out


def _validate_function(info: Any) -> dict[str, Any]:
    if not isinstance(info, dict):
        raise invalid("Missing required field: function_info")
    for f in _FUNCTION_REQUIRED:
        if info.get(f) is None or (isinstance(info.get(f), str) and not info[f].strip()
                                   and f != "full_data_type"):
            raise invalid(f"Missing required field: function_info.{f}")
    doc: dict[str, Any] = {"name": check_name("function_info.name", info["name"]),
                           "catalog_name": check_name("function_info.catalog_name", info["catalog_name"]),
                           "schema_name": check_name("function_info.schema_name", info["schema_name"])}
    for f, allowed in _ENUMS.items():
        if info[f] not in allowed:
            raise invalid(f"Invalid value for field 'function_info.{f}': '{info[f]}' "
                          f"(expected one of {', '.join(allowed)}).")
    if info["data_type"] not in COLUMN_TYPE_NAMES:
        raise invalid(f"Invalid value for field 'function_info.data_type': '{info['data_type']}' "
                      "is not a ColumnTypeName.")
    for f in ("is_deterministic", "is_null_call"):
        if not isinstance(info[f], bool):
            raise invalid(f"Invalid value for field 'function_info.{f}': expected a boolean.")
    for f in ("full_data_type", "routine_definition", "specific_name"):
        if not isinstance(info[f], str):
            raise invalid(f"Invalid value for field 'function_info.{f}': expected a string.")
    inputs = _check_params("input_params", info["input_params"], required=True)
    returns = _check_params("return_params", info.get("return_params"), required=False)
    if info["data_type"] == "TABLE_TYPE" and not returns:
        raise invalid("Missing required field: function_info.return_params (a function whose "
                      "data_type is TABLE_TYPE must declare its result columns).")
    if info["routine_body"] == "EXTERNAL":
        lang = info.get("external_language")
        if not lang:
            raise invalid("Missing required field: function_info.external_language (required when "
                          "routine_body is EXTERNAL).")
        if str(lang).lower() != "python":
            raise invalid(f"Invalid value for field 'function_info.external_language': '{lang}' "
                          "(the emulated workspace runs Python bodies only).")
        if info["data_type"] == "TABLE_TYPE":
            raise invalid("Invalid value for field 'function_info.data_type': TABLE_TYPE needs "
                          "routine_body SQL; Python function bodies return a single value.")
        from .functions import check_python_body

        check_python_body(info["routine_definition"], [p["name"] for p in inputs])
    for f in _FUNCTION_REQUIRED + _FUNCTION_OPTIONAL:
        doc.setdefault(f, info.get(f))
    doc["input_params"] = {"parameters": inputs} if inputs else {}
    doc["return_params"] = {"parameters": returns} if returns else None
    return doc


def create_function(state: EmulatorState, caller: Principal, function_info: Any) -> dict[str, Any]:
    doc = _validate_function(function_info)
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
    _audit(caller, doc, created=True)
    doc = clean(doc)
    with state.store.transaction():
        if not state.store.insert(FUNCTION, full, doc):
            raise already_exists(f"Function '{full}' already exists.")
        state.grants.create("function", full, caller.name)
    return _owner_view(state, "function", full, doc)


def get_function(state: EmulatorState, caller: Principal, full_name: str) -> dict[str, Any]:
    """`FunctionInfo` as a dict; needs EXECUTE (with USE_CATALOG/USE_SCHEMA) or ownership."""
    doc = function_doc(state, full_name)
    if not state.grants.has(caller, "function", doc["full_name"], "EXECUTE"):
        raise permission_denied(
            f"User does not have EXECUTE on Routine or Model '{doc['full_name']}' "
            "(or USE CATALOG / USE SCHEMA on its parents).")
    return _owner_view(state, "function", doc["full_name"], doc)


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
    return [_owner_view(state, "function", d["full_name"], d)
            for d in state.store.list(FUNCTION, schema + ".")
            if state.grants.has(caller, "function", d["full_name"], "EXECUTE")]


def update_function(state: EmulatorState, caller: Principal, full_name: str, *,
                    owner: str | None = None) -> dict[str, Any]:
    doc = function_doc(state, full_name)
    full = doc["full_name"]
    _require_manage(state, caller, "function", full, "Function")
    with state.store.transaction():
        if owner:
            grant_doc = state.grants.get("function", full)
            grant_doc["owner"] = owner
            state.grants.put("function", full, grant_doc)
        _audit(caller, doc, created=False)
        state.store.put(FUNCTION, full, doc)
    return _owner_view(state, "function", full, doc)


def delete_function(state: EmulatorState, caller: Principal, full_name: str) -> None:
    doc = function_doc(state, full_name)
    _require_manage(state, caller, "function", doc["full_name"], "Function")
    with state.store.transaction():
        state.store.delete(FUNCTION, doc["full_name"])
        state.grants.drop("function", doc["full_name"])


# -- shared checks ----------------------------------------------------------------------------

def _sees(state: EmulatorState, caller: Principal, securable: str, full_name: str, use_priv: str) -> bool:
    return state.grants.has(caller, securable, full_name, use_priv) or \
        state.grants.has(caller, securable, full_name, "BROWSE")


def _require_manage(state: EmulatorState, caller: Principal, securable: str, full_name: str,
                    label: str) -> None:
    """Owners (of the object or a parent), MANAGE holders and admins may change or drop it."""
    if not state.grants.has(caller, securable, full_name, "MANAGE"):
        raise permission_denied(f"User is not an owner of {label} '{full_name}'.")


def __getattr__(name: str) -> Any:  # re-exports, imported lazily to keep this module light
    if name in ("execute_function", "FunctionResult", "FunctionExecutionError"):
        from . import functions

        return getattr(functions, name)
    if name in ("get_connection", "update_connection"):
        from . import connections

        return getattr(connections, name)
    raise AttributeError(name)
