"""The emulator's OpenAPI description: every operation with a unique id, every body with a schema.

Many routes read their body raw (so their errors are Databricks' own, not pydantic's), which left
FastAPI nothing to describe and a schema-driven fuzzer nothing to aim at. Their request schemas
come from the SDK instead: the body of `POST /api/2.0/sql/statements` is the parameters of
`StatementExecutionAPI.execute_statement` (path parameters left out), with the SDK's dataclasses
and enums turned into JSON Schema. The few bodies the SDK does not describe (the Supervisor
API's Responses request, MCP's JSON-RPC, the OAuth token form) have small schemas here.

Served at `/_emulator/openapi.json`; `bench/fuzz_emulator.py` and the bounded fuzz test read it.
"""

from __future__ import annotations

import dataclasses
import enum
import inspect
import re
import typing
import warnings
from typing import Any

OPENAPI_PATH = "/_emulator/openapi.json"

# (method, path template) -> "module:Class.method" of the SDK call that sends this body
SDK_BODIES: dict[tuple[str, str], str] = {
    ("post", "/api/2.1/unity-catalog/catalogs"): "catalog:CatalogsAPI.create",
    ("post", "/api/2.1/unity-catalog/schemas"): "catalog:SchemasAPI.create",
    ("post", "/api/2.1/unity-catalog/functions"): "catalog:FunctionsAPI.create",
    ("patch", "/api/2.1/unity-catalog/functions/{name}"): "catalog:FunctionsAPI.update",
    ("post", "/api/2.1/unity-catalog/connections"): "catalog:ConnectionsAPI.create",
    ("patch", "/api/2.1/unity-catalog/connections/{name}"): "catalog:ConnectionsAPI.update",
    ("patch", "/api/2.1/unity-catalog/permissions/{securable_type}/{full_name}"): "catalog:GrantsAPI.update",
    ("post", "/api/2.0/sql/statements"): "sql:StatementExecutionAPI.execute_statement",
    ("post", "/api/2.0/workspace/import"): "workspace:WorkspaceAPI.import_",
}

_ITEM = {"type": "object", "properties": {"type": {"type": "string"}, "role": {"type": "string"},
                                          "content": {}}}
RESPONSES_BODY = {
    "type": "object", "required": ["model", "input"],
    "properties": {
        "model": {"type": "string"}, "input": {"anyOf": [{"type": "string"}, {"type": "array", "items": _ITEM}]},
        "tools": {"type": "array", "items": {"type": "object", "properties": {"type": {"type": "string"}}}},
        "instructions": {"type": "string"}, "stream": {"type": "boolean"}, "background": {"type": "boolean"},
        "temperature": {"type": "number"}, "top_p": {"type": "number"}, "tool_choice": {},
        "metadata": {"type": "object"}, "previous_response_id": {"type": "string"},
    },
}
JSONRPC_BODY = {
    "type": "object", "required": ["jsonrpc", "method"],
    "properties": {"jsonrpc": {"type": "string", "enum": ["2.0"]},
                   "id": {"anyOf": [{"type": "integer"}, {"type": "string"}]},
                   "method": {"type": "string"}, "params": {"type": "object"}},
}
TOKEN_FORM = {
    "type": "object", "required": ["grant_type"],
    "properties": {k: {"type": "string"} for k in (
        "grant_type", "scope", "client_id", "client_secret", "subject_token", "subject_token_type",
        "code", "redirect_uri", "code_verifier", "refresh_token")},
}
_INLINE = (
    (re.compile(r"^/(ai-gateway/mlflow/v1|mlflow/v1|api/2\.0/mas)/responses$"), "application/json", RESPONSES_BODY),
    (re.compile(r"^/(api/2\.0/mcp/|_emulator/mcp/servers/)"), "application/json", JSONRPC_BODY),
    (re.compile(r"^/oidc/v1/token$"), "application/x-www-form-urlencoded", TOKEN_FORM),
)
_BODY_METHODS = ("post", "put", "patch")


def _sdk_call(ref: str) -> Any:
    from databricks.sdk.service import catalog, sql, workspace  # heavy: only when the document is built

    modules = {"catalog": catalog, "sql": sql, "workspace": workspace}
    module, _, attr = ref.partition(":")
    cls, _, method = attr.partition(".")
    return getattr(getattr(modules[module], cls), method)


class _Schemas:
    """JSON Schema for SDK types, dataclasses and enums shared as components (they may recurse)."""

    def __init__(self, components: dict[str, Any]) -> None:
        self.components = components

    def of(self, hint: Any) -> dict[str, Any]:
        origin, args = typing.get_origin(hint), typing.get_args(hint)
        if origin is typing.Union:
            inner = [a for a in args if a is not type(None)]
            return self.of(inner[0]) if len(inner) == 1 else {"anyOf": [self.of(a) for a in inner]}
        if origin in (list, typing.List):  # noqa: UP006 - the SDK spells it typing.List
            return {"type": "array", "items": self.of(args[0]) if args else {}}
        if origin in (dict, typing.Dict):  # noqa: UP006
            return {"type": "object", "additionalProperties": self.of(args[1]) if len(args) > 1 else {}}
        if hint is str:
            return {"type": "string"}
        if hint is bool:
            return {"type": "boolean"}
        if hint is int:
            return {"type": "integer", "format": "int64"}
        if hint is float:
            return {"type": "number"}
        if inspect.isclass(hint) and issubclass(hint, enum.Enum):
            return {"type": "string", "enum": [m.value for m in hint]}
        if dataclasses.is_dataclass(hint):
            name = f"sdk.{hint.__module__.rsplit('.', 1)[-1]}.{hint.__name__}"
            if name not in self.components:
                self.components[name] = {}  # placeholder: recursion ends here
                hints = typing.get_type_hints(hint)
                self.components[name] = {"type": "object", "properties": {
                    f.name: self.of(hints[f.name]) for f in dataclasses.fields(hint)}}
            return {"$ref": f"#/components/schemas/{name}"}
        return {}

    def call_body(self, fn: Any, path: str) -> dict[str, Any]:
        in_path = set(re.findall(r"{(\w+)}", path))
        hints = typing.get_type_hints(fn)
        props, required = {}, []
        for name, param in inspect.signature(fn).parameters.items():
            if name == "self" or name in in_path or name not in hints:
                continue
            props[name] = self.of(hints[name])
            if param.default is inspect.Parameter.empty:
                required.append(name)
        return {"type": "object", "properties": props, **({"required": required} if required else {})}


def _untyped(op: dict[str, Any]) -> bool:
    body = op.get("requestBody")
    if not body:
        return True
    schema = next(iter(body.get("content", {}).values()), {}).get("schema", {})
    return not ({"$ref", "type", "anyOf", "allOf", "oneOf"} & set(schema))


def describe(app: Any) -> dict[str, Any]:
    """The OpenAPI document of `app`: FastAPI's, with request bodies and operation ids completed."""
    from fastapi.openapi.utils import get_openapi

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # FastAPI's duplicate-id warnings: the ids are replaced below
        spec = get_openapi(title=app.title, version="1.0", routes=app.routes,
                           description="The emulated Databricks workspace of agent_lib.")
    schemas = _Schemas(spec.setdefault("components", {}).setdefault("schemas", {}))
    for path, ops in spec.get("paths", {}).items():
        for method, op in ops.items():
            op["operationId"] = f"{method}_{re.sub(r'[^A-Za-z0-9]+', '_', path).strip('_')}"
            if method not in _BODY_METHODS or not _untyped(op):
                continue
            ref = SDK_BODIES.get((method, path))
            if ref is not None:
                body = schemas.call_body(_sdk_call(ref), path)
                op["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
                continue
            for pattern, content_type, schema in _INLINE:
                if pattern.search(path) and method == "post":
                    op["requestBody"] = {"required": True, "content": {content_type: {"schema": schema}}}
    return spec


def body_operations(spec: dict[str, Any]) -> list[tuple[str, str, bool]]:
    """(method, path, has a typed body) of every POST/PUT/PATCH: what the tests check."""
    return [(m, p, not _untyped(op)) for p, ops in spec["paths"].items() for m, op in ops.items()
            if m in _BODY_METHODS]
