"""UC functions as MCP tools: `/api/2.0/mcp/functions/{catalog}/{schema}[/{function}]`.

The tools are UC functions, named as Databricks names them, `catalog__schema__function`
(`databricks_mcp` turns `__` back into dots for `get_databricks_resources`), with a JSON schema
built from `input_params`. Listing the schema's tools follows UC's ListFunctions: the caller needs
USE_CATALOG and USE_SCHEMA (else HTTP 403 for the whole server) and sees the functions it may
EXECUTE. A call runs `catalog.execute_function` as the caller; a refusal or a failure of the
function is a tool result with `isError: true` whose text starts with the error code
(`PERMISSION_DENIED: ...`), so an agent loop sees it as a failed tool call.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from ..catalog import functions as uc_functions
from ..catalog import models as catalog
from ..catalog.sqltext import unquote_literal
from ..core.identity import Principal
from ..core.state import EmulatorState
from .protocol import ToolFailure, text_result

FUNCTION_SCOPES = ("mcp.functions", "unity-catalog", "sql")


def tool_name(full_name: str) -> str:
    """`main.sales.get_order_status` -> `main__sales__get_order_status` (Databricks' MCP tool name)."""
    return "__".join(full_name.split("."))


def full_name_of(tool: str) -> str:
    return ".".join(tool.split("__"))


_JSON_TYPES = {
    "STRING": "string", "CHAR": "string", "VARCHAR": "string", "BINARY": "string",
    "DATE": "string", "TIMESTAMP": "string", "TIMESTAMP_NTZ": "string", "INTERVAL": "string",
    "BYTE": "integer", "SHORT": "integer", "INT": "integer", "LONG": "integer", "BIGINT": "integer",
    "TINYINT": "integer", "SMALLINT": "integer", "INTEGER": "integer",
    "FLOAT": "number", "DOUBLE": "number", "DECIMAL": "number",
    "BOOLEAN": "boolean", "ARRAY": "array", "MAP": "object", "STRUCT": "object",
}
_FORMATS = {"DATE": "date", "TIMESTAMP": "date-time", "TIMESTAMP_NTZ": "date-time"}


def _type_schema(type_name: str | None, type_text: str | None) -> dict[str, Any]:
    text = (type_text or "").strip().upper()
    name = (type_name or text.split("<", 1)[0].split("(", 1)[0]).upper()
    schema: dict[str, Any] = {"type": _JSON_TYPES.get(name, "string")}
    if name in _FORMATS:
        schema["format"] = _FORMATS[name]
    if name == "ARRAY":
        inner = re.match(r"ARRAY\s*<\s*(.+)\s*>$", text)
        schema["items"] = _type_schema(None, inner.group(1)) if inner else {}
    return schema


def input_schema(function: dict[str, Any]) -> dict[str, Any]:
    """A JSON schema for a UC function's `input_params` (required: parameters without a default)."""
    params = sorted((function.get("input_params") or {}).get("parameters") or [],
                    key=lambda p: p.get("position", 0))
    properties: dict[str, Any] = {}
    required: list[str] = []
    for p in params:
        prop = _type_schema(p.get("type_name"), p.get("type_text"))
        if p.get("comment"):
            prop["description"] = p["comment"]
        if "parameter_default" in p and p["parameter_default"] is not None:
            default = _sql_literal(p["parameter_default"])
            if default is not None:
                prop["default"] = default
        else:
            required.append(p["name"])
        properties[p["name"]] = prop
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    return schema


def _sql_literal(text: str) -> Any:
    """A parameter default as JSON when it is a plain literal ('USD', 10, 0.5, true); else None."""
    value = unquote_literal(str(text))
    plain = value is not None and not (isinstance(value, str) and value == str(text).strip())
    return value if plain else None


def function_tool(function: dict[str, Any]) -> dict[str, Any]:
    full = function["full_name"]
    return {"name": tool_name(full),
            "description": function.get("comment") or f"Unity Catalog function {full}.",
            "inputSchema": input_schema(function)}


def result_text(result: Any) -> str:
    """What the model reads from a UC function result: the scalar value, or the rows as JSON."""
    if hasattr(result, "as_dict"):
        result = result.as_dict()
    elif hasattr(result, "value") and not isinstance(result, dict):
        result = {"value": result.value}
    if isinstance(result, str):
        return result
    if isinstance(result, dict) and "value" in result:
        value = result["value"]
        return value if isinstance(value, str) else json.dumps(value, default=str)
    return json.dumps(result, default=str)


@dataclass
class FunctionsServer:
    """The managed MCP server of one UC schema (or of one function in it), seen by one caller."""

    state: EmulatorState
    caller: Principal
    catalog_name: str
    schema_name: str
    function_name: str | None = None
    instructions: str | None = None

    @property
    def name(self) -> str:
        parts = [self.catalog_name, self.schema_name] + ([self.function_name] if self.function_name else [])
        return "uc-functions-" + "-".join(parts)

    @property
    def schema_full_name(self) -> str:
        return f"{self.catalog_name}.{self.schema_name}"

    def check(self) -> None:
        """Refuse the whole server (HTTP 403/404) as UC's ListFunctions / GetFunction would."""
        if self.function_name:
            catalog.get_function(self.state, self.caller,
                                          f"{self.schema_full_name}.{self.function_name}")
        else:
            catalog.list_functions(self.state, self.caller, self.catalog_name, self.schema_name)

    def _functions(self) -> list[dict[str, Any]]:
        """The functions the caller may execute (UC filters them)."""
        if self.function_name:
            full = f"{self.schema_full_name}.{self.function_name}"
            return [catalog.get_function(self.state, self.caller, full)]
        return list(catalog.list_functions(self.state, self.caller, self.catalog_name,
                                                    self.schema_name))

    def list_tools(self) -> list[dict[str, Any]]:
        return [function_tool(f) for f in self._functions()]

    def call_tool(self, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
        full = full_name_of(name)
        parts = full.split(".")
        served = (len(parts) == 3 and f"{parts[0]}.{parts[1]}".lower() == self.schema_full_name.lower()
                  and (self.function_name is None or parts[2].lower() == self.function_name.lower()))
        if not served:
            served_name = tool_name(f"{self.schema_full_name}.{self.function_name or '<function>'}")
            raise ToolFailure(f"Unknown tool: {name}. This server's tools are named {served_name}.")
        result = uc_functions.execute_function(self.state, self.caller, full, arguments)
        return text_result(result_text(result))
