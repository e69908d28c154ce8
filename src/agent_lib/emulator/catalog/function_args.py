"""A UC function's parameters and values: types, coercion, and binding a call's arguments to them.

Every way of calling a function goes through here, so a JSON argument (MCP, the Supervisor), a
`:parameter` of a statement and a SQL argument text are checked against the same declared types
and defaults, with a 400 that names the parameter and the function.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from typing import Any

from ..core.errors import ApiError, invalid
from . import sqltext
from .function_result import FunctionExecutionError

# type_name (ColumnTypeName) -> Databricks SQL type text
TYPE_TEXT = {"LONG": "BIGINT", "SHORT": "SMALLINT", "BYTE": "TINYINT", "TABLE_TYPE": "TABLE"}
_INTS = {"INT", "LONG", "SHORT", "BYTE", "BIGINT", "SMALLINT", "TINYINT", "INTEGER"}
_FLOATS = {"DOUBLE", "FLOAT", "DECIMAL", "REAL"}
_TEXTS = {"STRING", "CHAR", "VARCHAR"}


def params(doc: dict[str, Any], key: str = "input_params") -> list[dict[str, Any]]:
    """The declared parameters (`input_params`) or result columns (`return_params`) of a function."""
    return list((doc.get(key) or {}).get("parameters") or [])


def type_text(doc_or_param: dict[str, Any], key: str = "data_type") -> str:
    """The SQL type text of a function's result or of a parameter (BIGINT for LONG, ...)."""
    t = str(doc_or_param.get(key) or "STRING").upper()
    return TYPE_TEXT.get(t, t)


def type_key(param: dict[str, Any]) -> str:
    t = str(param.get("type_name") or param.get("type_text") or "STRING").upper()
    if t == "DECIMAL" or t.startswith("DECIMAL("):
        return "DECIMAL"
    return t


def coerce(value: Any, type_name: str, what: str) -> Any:
    """A JSON/Python value as the parameter type (STRING, INT/LONG, DOUBLE, BOOLEAN, DATE, ...)."""
    if value is None:
        return None
    t = type_name.upper()

    def bad(expected: str) -> ApiError:
        return invalid(f"Invalid value for {what}: expected {expected}, got {value!r}.")

    if t in _TEXTS:
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, (dict, list)):
            return json.dumps(value)
        return value if isinstance(value, str) else str(value)
    if t in _INTS:
        if isinstance(value, bool):
            raise bad(TYPE_TEXT.get(t, t))
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str):
            try:
                return int(value.strip())
            except ValueError:
                try:
                    f = float(value.strip())
                except ValueError:
                    raise bad(TYPE_TEXT.get(t, t)) from None
                if f.is_integer():
                    return int(f)
        raise bad(TYPE_TEXT.get(t, t))
    if t in _FLOATS:
        if isinstance(value, bool):
            raise bad(t)
        if isinstance(value, (int, float)):
            return float(value)
        if isinstance(value, str):
            try:
                return float(value.strip())
            except ValueError:
                raise bad(t) from None
        raise bad(t)
    if t == "BOOLEAN":
        if isinstance(value, bool):
            return value
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        if isinstance(value, str) and value.strip().lower() in ("true", "false", "1", "0"):
            return value.strip().lower() in ("true", "1")
        raise bad("BOOLEAN (true or false)")
    if t == "DATE":
        if isinstance(value, datetime):
            return value.date().isoformat()
        if isinstance(value, date):
            return value.isoformat()
        if isinstance(value, str):
            s = value.strip()
            if len(s) > 10 and s[10] in " T":
                s = s[:10]
            try:
                return date.fromisoformat(s).isoformat()
            except ValueError:
                raise bad("DATE as 'YYYY-MM-DD'") from None
        raise bad("DATE as 'YYYY-MM-DD'")
    if t in ("TIMESTAMP", "TIMESTAMP_NTZ"):
        if isinstance(value, datetime):
            return value.isoformat(sep=" ")
        if isinstance(value, str):
            try:
                return datetime.fromisoformat(value.strip().replace("Z", "+00:00")).isoformat(sep=" ")
            except ValueError:
                raise bad("TIMESTAMP as 'YYYY-MM-DD HH:MM:SS'") from None
        raise bad("TIMESTAMP")
    if t in ("ARRAY", "MAP", "STRUCT", "VARIANT") and isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def coerce_out(value: Any, type_name: str) -> Any:
    """A SQLite value as the declared result type (booleans come back from SQLite as 0/1)."""
    if value is None:
        return None
    try:
        return coerce(value, type_name, "result")
    except ApiError:
        return value


def coerce_result(doc: dict[str, Any], value: Any) -> Any:
    """A scalar body's value as the function's declared type, or the error saying it is not one."""
    t = str(doc.get("data_type") or "STRING").upper()
    try:
        return coerce(value, t, "result")
    except ApiError:
        raise FunctionExecutionError(
            f"Function {doc['full_name']} returned {value!r}, which is not a {type_text(doc)}.") from None


def bind_arguments(doc: dict[str, Any], arguments: dict[str, Any] | None) -> dict[str, Any]:
    """Arguments by name -> {param: coerced value} in declaration order, defaults applied."""
    full = doc["full_name"]
    if arguments is None:
        arguments = {}
    if not isinstance(arguments, dict):
        raise invalid(f"Arguments of function {full} must be an object mapping parameter names "
                      f"to values, got {type(arguments).__name__}.")
    declared = params(doc)
    by_lower = {p["name"].lower(): p for p in declared}
    given: dict[str, Any] = {}
    for k, v in arguments.items():
        p = by_lower.get(str(k).lower())
        if p is None:
            names = ", ".join(p["name"] for p in declared) or "none"
            raise invalid(f"Function {full} has no parameter '{k}' (its parameters: {names}).")
        given[p["name"]] = v
    bound: dict[str, Any] = {}
    for p in declared:
        name = p["name"]
        what = f"parameter '{name}' of function {full}"
        if name in given:
            bound[name] = coerce(given[name], type_key(p), what)
        elif p.get("parameter_default") is not None:
            bound[name] = coerce(sqltext.unquote_literal(p["parameter_default"]), type_key(p), what)
        else:
            raise invalid(f"Missing required parameter '{name}' ({p.get('type_text', '')}) "
                          f"for function {full}.")
    return bound


def positional(doc: dict[str, Any], values: tuple[Any, ...] | list[Any]) -> dict[str, Any]:
    """Values in declaration order (a call from SQL) -> bound arguments, defaults applied."""
    declared = params(doc)
    if len(values) > len(declared):
        raise invalid(f"Function {doc['full_name']} takes {len(declared)} argument(s) but "
                      f"{len(values)} were given.")
    return bind_arguments(doc, {p["name"]: v for p, v in zip(declared, values, strict=False)})


def order_args(doc: dict[str, Any], args: list[str]) -> list[str]:
    """Positional and named (`name => value`) arguments -> positional SQL texts, defaults filled."""
    declared = params(doc)
    full = doc["full_name"]
    slots: dict[str, str] = {}
    seen_named = False
    for k, a in enumerate(args):
        named = re.match(r"^([A-Za-z_]\w*)\s*=>\s*(.*)$", a, re.DOTALL)
        if named:
            seen_named = True
            key = named.group(1).lower()
            p = next((p for p in declared if p["name"].lower() == key), None)
            if p is None:
                raise invalid(f"Function {full} has no parameter '{named.group(1)}'.")
            slots[p["name"]] = named.group(2)
        else:
            if seen_named:
                raise invalid(f"Positional argument {k + 1} of {full} follows a named argument.")
            if k >= len(declared):
                raise FunctionExecutionError(
                    f"[WRONG_NUM_ARGS] Function {full} takes {len(declared)} argument(s) but "
                    f"{len(args)} were given.")
            slots[declared[k]["name"]] = a
    ordered = []
    for p in declared:
        if p["name"] in slots:
            ordered.append(slots[p["name"]])
        elif p.get("parameter_default") is not None:
            ordered.append(p["parameter_default"])
        else:
            raise FunctionExecutionError(
                f"[WRONG_NUM_ARGS] Function {full} needs parameter '{p['name']}' "
                f"({p.get('type_text', '')}), which has no default.")
    return ordered
