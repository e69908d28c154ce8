"""Request validation of the emulated Supervisor API (supervisor-api.md §13).

Every rule answers 400 `INVALID_PARAMETER_VALUE` with a message that names the field, as the
service's protobuf validation does: model, input items, tools (nested shape, retired and flat
shapes, required id/name, non-empty description, function tool names), parameters unsupported with
tools, hosted tools mixed with client-side `function` tools (the service cannot mix them: "Cannot
mix hosted and client-side tools"), `stream` with `background`, `previous_response_id`, orphan calls
and outputs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ..core.errors import invalid

SUPPORTED_MODELS = (
    "databricks-claude-sonnet-4", "databricks-claude-sonnet-4-5", "databricks-claude-sonnet-4-6",
    "databricks-claude-haiku-4-5", "databricks-claude-opus-4-1", "databricks-claude-opus-4-5",
    "databricks-claude-opus-4-6",
)
"""The models the Supervisor API runs (app-templates supervisor-api skill, May 2026)."""

HOSTED = {"genie_space": "id", "uc_function": "name", "knowledge_assistant": "knowledge_assistant_id",
          "uc_connection": "name", "app": "name"}
"""Hosted tool type -> its required reference field."""

RETIRED = {
    "genie": "genie_space {id, description}",
    "agent_endpoint": "knowledge_assistant {knowledge_assistant_id, description}",
    "mcp": "uc_connection {name, description}",
    "unity_catalog_function": "uc_function {name, description}",
    "external_mcp_server": "uc_connection {name, description}",
    "connection": "uc_connection {name, description}",
}
_UNSUPPORTED_TYPES = ("uc_table", "volume", "memory_store")

FUNCTION_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
MAX_ID = 64
INPUT_TYPES = ("message", "function_call", "function_call_output", "mcp_approval_request",
               "mcp_approval_response")
ROLES = ("user", "assistant", "system", "developer")
ACCEPTED = {
    "model", "input", "tools", "instructions", "stream", "background", "temperature", "top_p",
    "previous_response_id", "trace_destination", "databricks_options", "reasoning", "tool_choice",
    "parallel_tool_calls", "metadata", "store", "include", "max_output_tokens", "text", "user",
    "truncation", "service_tier", "prompt_cache_key", "safety_identifier", "stream_options", "max_tool_calls",
}
NOT_WITH_TOOLS = ("temperature", "top_p")


@dataclass
class SupervisorRequest:
    """A validated request: what the loop needs, the rest recorded."""

    model: str
    input: str | list[dict[str, Any]]
    hosted_tools: list[dict[str, Any]] = field(default_factory=list)
    function_tools: list[dict[str, Any]] = field(default_factory=list)
    instructions: str = ""
    stream: bool = False
    background: bool = False
    recorded: dict[str, Any] = field(default_factory=dict)


def _text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def validate(body: Any, *, obo: bool = False) -> SupervisorRequest:
    """The request, or `ApiError` 400 naming the first bad field. `obo`: a user's narrowed token."""
    if not isinstance(body, dict):
        raise invalid("The request body must be a JSON object.")
    unknown = sorted(set(body) - ACCEPTED)
    if unknown:
        raise invalid(f"Unknown field: {unknown[0]}")
    model = body.get("model")
    if not _text(model):
        raise invalid("Missing required field: model (a foundation model endpoint, e.g. "
                      "databricks-claude-sonnet-4-5)")
    if model not in SUPPORTED_MODELS:
        raise invalid(f"model '{model}' is not supported by the Supervisor API; use one of: "
                      f"{', '.join(SUPPORTED_MODELS)}")
    if body.get("previous_response_id") is not None:
        raise invalid("previous_response_id is not supported: send the full conversation history in input")
    if body.get("stream") and body.get("background"):
        raise invalid("stream and background cannot both be true: background responses are polled with "
                      "GET /responses/{id}")
    instructions = body.get("instructions")
    if instructions is not None and not isinstance(instructions, str):
        raise invalid("instructions must be a string")
    hosted, functions = _tools(body, obo)
    if hosted and functions:
        kinds = [t.get("type") for t in body["tools"]]
        first_fn = kinds.index("function")
        first_hosted = next(i for i, k in enumerate(kinds) if k != "function")
        raise invalid(f"Cannot mix hosted and client-side tools in one request: tools[{first_fn}] is a "
                      f"client-side function tool and tools[{first_hosted}] a hosted {kinds[first_hosted]} "
                      "tool; send either hosted tools or function tools.")
    if hosted or functions:
        for name in NOT_WITH_TOOLS:
            if body.get(name) is not None:
                raise invalid(f"{name}: Parameter not supported when tools are provided")
    items = _input(body.get("input"))
    recorded = {k: body[k] for k in ("trace_destination", "databricks_options", "reasoning", "tool_choice",
                                     "metadata") if k in body}
    return SupervisorRequest(model=model, input=items, hosted_tools=hosted, function_tools=functions,
                             instructions=instructions or "", stream=bool(body.get("stream")),
                             background=bool(body.get("background")), recorded=recorded)


def _tools(body: dict[str, Any], obo: bool) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    if "tools" not in body:
        return [], []
    tools = body["tools"]
    if not isinstance(tools, list) or not tools:
        raise invalid("tools must be a non-empty array when present; omit it when there are no tools")
    hosted: list[dict[str, Any]] = []
    functions: list[dict[str, Any]] = []
    for i, tool in enumerate(tools):
        at = f"tools[{i}]"
        if not isinstance(tool, dict) or not isinstance(tool.get("type"), str):
            raise invalid(f"{at} must be an object with a string 'type'")
        kind = tool["type"]
        if kind == "function":
            functions.append(_function(tool, at))
            continue
        if kind in RETIRED:
            raise invalid(f"{at}.type '{kind}' is no longer supported; use {RETIRED[kind]}")
        if kind in _UNSUPPORTED_TYPES:
            raise invalid(f"{at}.type '{kind}' is not supported by the emulated Supervisor API")
        if kind not in HOSTED:
            raise invalid(f"{at}.type '{kind}' is unknown; use one of: {', '.join(HOSTED)}, function")
        config = tool.get(kind)
        if config is None:
            flat = ", ".join(k for k in tool if k != "type") or "no settings"
            nested = f'{{"type": "{kind}", "{kind}": {{...}}}}'
            raise invalid(f"{at}.{kind} is required: hosted tools nest their settings under the type key "
                          f"({nested}); the flat form ({flat}) is rejected")
        extra = [k for k in tool if k not in ("type", kind)]
        if extra:
            raise invalid(f"{at}.{extra[0]}: unknown field beside '{kind}'")
        if not isinstance(config, dict):
            raise invalid(f"{at}.{kind} must be an object")
        ref = HOSTED[kind]
        allowed = {ref, "description"}
        stray = sorted(set(config) - allowed)
        if stray:
            raise invalid(f"{at}.{kind}.{stray[0]}: unknown field (expected {ref} and description)")
        if not _text(config.get(ref)):
            raise invalid(f"{at}.{kind}.{ref} is required and must be a non-empty string")
        if not _text(config.get("description")):
            raise invalid(f"{at}.{kind}.description is required and must be a non-empty string "
                          "(the supervisor routes on it)")
        if kind == "uc_function" and len([p for p in config[ref].split(".") if p]) != 3:
            raise invalid(f"{at}.uc_function.name '{config[ref]}' must be a three-part name "
                          "catalog.schema.function")
        if kind == "app" and obo:
            raise invalid(f"{at}: app tools are not supported with on-behalf-of-user authorization; "
                          "call the Supervisor API as the App's service principal")
        hosted.append({"type": kind, kind: dict(config)})
    return hosted, functions


def _function(tool: dict[str, Any], at: str) -> dict[str, Any]:
    name = tool.get("name")
    if not isinstance(name, str) or not FUNCTION_NAME.match(name):
        raise invalid(f"{at}.name: function tool '{name}' must match ^[a-zA-Z0-9_-]{{1,64}}$")
    params = tool.get("parameters")
    if params is not None and not isinstance(params, dict):
        raise invalid(f"{at}.parameters must be a JSON schema object")
    out = {"type": "function", "name": name, "description": tool.get("description") or ""}
    out["parameters"] = params if params is not None else {"type": "object", "properties": {}}
    return out


def _input(value: Any) -> str | list[dict[str, Any]]:
    if value is None:
        raise invalid("Missing required field: input")
    if isinstance(value, str):
        if not value.strip():
            raise invalid("input must not be empty")
        return value
    if not isinstance(value, list) or not value:
        raise invalid("input must be a string or a non-empty array of items")
    items: list[dict[str, Any]] = []
    for i, item in enumerate(value):
        at = f"input[{i}]"
        if not isinstance(item, dict):
            raise invalid(f"{at} must be an object")
        kind = item.get("type", "message" if "role" in item else None)
        if kind not in INPUT_TYPES:
            raise invalid(f"{at}.type '{kind}' is not supported; use one of: {', '.join(INPUT_TYPES)}")
        if isinstance(item.get("id"), str) and len(item["id"]) > MAX_ID:
            raise invalid(f"{at}.id is longer than {MAX_ID} characters")
        _check_item(kind, item, at)
        items.append({"type": kind, **{k: v for k, v in item.items() if k != "type"}})
    _orphans(items)
    return items


def _check_item(kind: str, item: dict[str, Any], at: str) -> None:
    def need(key: str, kind_of: type | tuple[type, ...] = str) -> None:
        if not isinstance(item.get(key), kind_of) or (kind_of is str and not item[key]):
            raise invalid(f"{at}.{key} is required on {kind} items")

    if kind == "message":
        if item.get("role") not in ROLES:
            raise invalid(f"{at}.role must be one of {', '.join(ROLES)} (got {item.get('role')!r})")
        if not isinstance(item.get("content"), str | list):
            raise invalid(f"{at}.content must be a string or an array of content parts")
    elif kind == "function_call":
        need("call_id"), need("name")
        if not isinstance(item.get("arguments", ""), str):
            raise invalid(f"{at}.arguments must be a JSON-encoded string")
    elif kind == "function_call_output":
        need("call_id")
        if not isinstance(item.get("output"), str | list):
            raise invalid(f"{at}.output is required on function_call_output items")
    elif kind == "mcp_approval_request":
        need("id"), need("name"), need("server_label")
    elif kind == "mcp_approval_response":
        need("approval_request_id")
        if not isinstance(item.get("approve"), bool):
            raise invalid(f"{at}.approve must be true or false")


def _orphans(items: list[dict[str, Any]]) -> None:
    calls = {i["call_id"] for i in items if i["type"] == "function_call"}
    outputs = {i["call_id"] for i in items if i["type"] == "function_call_output"}
    requests = {i["id"] for i in items if i["type"] == "mcp_approval_request"}
    for i in items:
        if i["type"] == "function_call" and i["call_id"] not in outputs:
            raise invalid(f"No tool output found for function call {i['call_id']}.")
        if i["type"] == "function_call_output" and i["call_id"] not in calls:
            raise invalid(f"No tool call found for function call output with call_id {i['call_id']}.")
        if i["type"] == "mcp_approval_response" and i["approval_request_id"] not in requests:
            raise invalid(f"No approval request found for approval_request_id {i['approval_request_id']}.")


__all__ = ["SUPPORTED_MODELS", "SupervisorRequest", "validate"]
