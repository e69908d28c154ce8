"""`FunctionInfo` as a client sends it to `POST /functions`: every field checked before it is stored.

The checks follow the SDK's `CreateFunction`: required fields, the enums (`routine_body`,
`parameter_style`, ...), ColumnTypeName types, parameters (names, unique positions, defaults
last), `return_params` for table functions, and Python bodies that compile. A 400 names the field
(`function_info.input_params.parameters[1].type_name`), so a notebook author can fix the call.
"""

from __future__ import annotations

import re
from typing import Any

from ..core.errors import invalid
from .function_python import check_python_body
from .securables import check_name, clean

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


def validate_function(info: Any) -> dict[str, Any]:
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
        check_python_body(info["routine_definition"], [p["name"] for p in inputs])
    for f in _FUNCTION_REQUIRED + _FUNCTION_OPTIONAL:
        doc.setdefault(f, info.get(f))
    doc["input_params"] = {"parameters": inputs} if inputs else {}
    doc["return_params"] = {"parameters": returns} if returns else None
    return doc
