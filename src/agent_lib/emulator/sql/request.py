"""A `POST /api/2.0/sql/statements` body, checked as Databricks checks it before anything runs.

Unknown fields, INLINE / JSON_ARRAY only (EXTERNAL_LINKS, ARROW_STREAM and CSV are refused with a
400 saying so), `wait_timeout` 0s or 5s-50s, and typed `parameters` coerced as UC function
arguments are, so `:name` in a statement gets the same value a function call would.
"""

from __future__ import annotations

import re
from typing import Any

from ..catalog.function_args import coerce
from ..core.errors import ApiError, invalid

_FIELDS = {"statement", "warehouse_id", "parameters", "catalog", "schema", "wait_timeout",
           "on_wait_timeout", "disposition", "format", "row_limit", "byte_limit", "query_tags"}
_PARAM_TYPES = {"STRING", "INT", "INTEGER", "BIGINT", "LONG", "SMALLINT", "SHORT", "TINYINT", "BYTE",
                "DOUBLE", "FLOAT", "DECIMAL", "BOOLEAN", "DATE", "TIMESTAMP", "TIMESTAMP_NTZ",
                "VOID"}


DEFAULT_WAIT_S = 10  # Databricks waits 10 s when the request names no wait_timeout
_INT_RANGE = {"BYTE": 2 ** 7, "SHORT": 2 ** 15, "INT": 2 ** 31, "LONG": 2 ** 63}


def _wait_timeout(value: Any) -> int:
    if value is None:
        return DEFAULT_WAIT_S
    m = re.fullmatch(r"(\d{1,3})s", str(value).strip())
    if not m or not (int(m.group(1)) == 0 or 5 <= int(m.group(1)) <= 50):
        raise invalid(f"Invalid value for field 'wait_timeout': '{value}' (expected 0s, or "
                      "between 5s and 50s).")
    return int(m.group(1))


def _param_value(name: str, value: Any, type_text: str) -> Any:
    t = type_text.strip().upper()
    base = t.split("(", 1)[0]
    if base not in _PARAM_TYPES:
        raise invalid(f"Invalid value for field 'parameters': parameter '{name}' has unsupported "
                      f"type '{type_text}'.")
    if value is None or base == "VOID":
        return None
    kind = {"INTEGER": "INT", "BIGINT": "LONG", "SMALLINT": "SHORT", "TINYINT": "BYTE"}.get(base, base)
    try:
        v = coerce(value, kind, f"parameter '{name}'")
    except ApiError as exc:
        raise invalid(f"Invalid value for field 'parameters': {exc.message}") from None
    v = int(v) if isinstance(v, bool) else v
    bound = _INT_RANGE.get(kind)
    if bound and isinstance(v, int) and not -bound <= v < bound:
        raise invalid(f"Invalid value for field 'parameters': parameter '{name}' is out of range for "
                      f"{base} (from {-bound} to {bound - 1}).")
    return v


def parse_request(body: dict[str, Any]) -> dict[str, Any]:
    """The request as {statement, warehouse_id, params, catalog, schema, row_limit, wait_s,
    on_wait_timeout}; a 400 naming the field otherwise."""
    unknown = sorted(set(body) - _FIELDS)
    if unknown:
        raise invalid(f"Unknown field: {unknown[0]}")
    statement = body.get("statement")
    if not isinstance(statement, str) or not statement.strip():
        raise invalid("Missing required field: statement")
    warehouse_id = body.get("warehouse_id")
    if not warehouse_id:
        raise invalid("Missing required field: warehouse_id")
    disposition = body.get("disposition") or "INLINE"
    if disposition == "EXTERNAL_LINKS":
        raise invalid("Invalid value for field 'disposition': EXTERNAL_LINKS is not supported by "
                      "the emulated warehouse; use INLINE (the default).")
    if disposition != "INLINE":
        raise invalid(f"Invalid value for field 'disposition': '{disposition}' (expected INLINE).")
    fmt = body.get("format") or "JSON_ARRAY"
    if fmt != "JSON_ARRAY":
        raise invalid(f"Invalid value for field 'format': '{fmt}'; INLINE results support only "
                      "JSON_ARRAY (ARROW_STREAM and CSV need EXTERNAL_LINKS).")
    wait_s = _wait_timeout(body.get("wait_timeout"))
    if body.get("on_wait_timeout") not in (None, "CONTINUE", "CANCEL"):
        raise invalid(f"Invalid value for field 'on_wait_timeout': '{body['on_wait_timeout']}' "
                      "(expected CONTINUE or CANCEL).")
    row_limit = body.get("row_limit")
    if row_limit is not None and (not isinstance(row_limit, int) or isinstance(row_limit, bool)
                                  or not 0 <= row_limit < 2 ** 63):
        raise invalid("Invalid value for field 'row_limit': expected a non-negative 64-bit integer.")
    params: dict[str, Any] = {}
    raw_params = body.get("parameters") or []
    if not isinstance(raw_params, list):
        raise invalid("Invalid value for field 'parameters': expected a list.")
    for i, p in enumerate(raw_params):
        if not isinstance(p, dict) or not p.get("name"):
            raise invalid(f"Missing required field: parameters[{i}].name")
        params[p["name"]] = _param_value(p["name"], p.get("value"), p.get("type") or "STRING")
    for f in ("catalog", "schema"):
        if body.get(f) is not None and not isinstance(body[f], str):
            raise invalid(f"Invalid value for field '{f}': expected a string.")
    return {"statement": statement, "warehouse_id": warehouse_id, "params": params,
            "catalog": (body.get("catalog") or "main").lower(),
            "schema": body["schema"].lower() if body.get("schema") else None,
            "row_limit": row_limit or None, "wait_s": wait_s,
            "on_wait_timeout": body.get("on_wait_timeout") or "CONTINUE"}
