"""Pure derivations from an `AgentSpec`: the request body, OBO scopes, grants, bundle resources.

No workspace is consulted: anything that needs one (a Knowledge Assistant's serving endpoint name)
is passed in by the caller, with a documented fallback.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict

from agent_lib.errors import SpecError
from agent_lib.spec.model import AgentSpec

_SCOPES = {
    "genie_space": "genie",
    "uc_function": "mcp.functions",
    "knowledge_assistant": "model-serving",
    "uc_connection": "catalog.connections",
}
"""User-authorization scope per tool type (app-templates supervisor-api skill; `app` has none)."""


def supervisor_request(
    spec: AgentSpec, input: str | Sequence[Mapping[str, Any]], *, stream: bool = False
) -> dict[str, Any]:
    """The Supervisor API request body for one turn.

    `instructions` and `tools` are omitted when empty because the service's protobuf validation
    rejects `tools: []`/`null`; `stream` appears only when true.
    """
    body: dict[str, Any] = {
        "model": spec.model,
        "input": input if isinstance(input, str) else [dict(item) for item in input],
    }
    if spec.instructions:
        body["instructions"] = spec.instructions
    if spec.tools:
        body["tools"] = [tool.to_wire() for tool in spec.tools]
    if stream:
        body["stream"] = True
    return body


def user_scopes(spec: AgentSpec) -> list[str]:
    """The App's `user_api_scopes` for on-behalf-of authorization: `ai-gateway` plus one per tool type."""
    return sorted({"ai-gateway", *(_SCOPES[t.type] for t in spec.tools if t.type in _SCOPES)})


def app_user_scopes(spec: AgentSpec) -> list[str]:
    """The agent App's `user_api_scopes`: `user_scopes(spec)`, plus `model-serving` under engine
    `client`, whose loop calls the model endpoint itself with the user's token. Notebook 02, the
    SDK deployment and the bundle all declare this one list."""
    scopes = set(user_scopes(spec))
    if spec.engine == "client":
        scopes.add("model-serving")
    return sorted(scopes)


def function_tool_name(uc_name: str) -> str:
    """`catalog.schema.function` → `catalog__schema__function`, the name output items carry."""
    parts = uc_name.split(".")
    if len(parts) != 3 or not all(parts):
        raise SpecError(
            "uc_function.name",
            f"'{uc_name}' is not a three-part Unity Catalog name",
            "pass catalog.schema.function, e.g. main.sales.get_order_status",
        )
    return "__".join(parts)


class Permission(BaseModel):
    """One grant the agent's principal needs: `level` on `resource_type` `resource`, and why."""

    model_config = ConfigDict(frozen=True)

    resource_type: str
    """`serving_endpoint`, `genie_space`, `catalog`, `schema`, `function`, `knowledge_assistant`,
    `connection` or `app`."""
    resource: str
    """Name or id; a Knowledge Assistant is kept by id (its endpoint is resolved from the workspace)."""
    level: str
    reason: str


def required_permissions(spec: AgentSpec) -> list[Permission]:
    """Every grant the tools need, model first, in tool order, each grant once.

    The same list serves both authorization modes: the grantee is the App's service principal
    (`app`) or each user (`user`). A grant two tools need (a shared catalog) names both in `reason`.
    """
    grants: dict[tuple[str, str, str], list[str]] = {}

    def need(resource_type: str, resource: str, level: str, reason: str) -> None:
        reasons = grants.setdefault((resource_type, resource, level), [])
        if reason not in reasons:
            reasons.append(reason)

    need("serving_endpoint", spec.model, "CAN_QUERY", f"model {spec.model}")
    for tool in spec.tools:
        ref, why = tool.ref, tool.label
        if tool.type == "genie_space":
            need("genie_space", ref, "CAN_RUN", why)
        elif tool.type == "uc_function":
            catalog, schema, _ = ref.split(".")
            need("catalog", catalog, "USE_CATALOG", why)
            need("schema", f"{catalog}.{schema}", "USE_SCHEMA", why)
            need("function", ref, "EXECUTE", why)
        elif tool.type == "knowledge_assistant":
            need("knowledge_assistant", ref, "CAN_QUERY", why)
        elif tool.type == "uc_connection":
            need("connection", ref, "USE_CONNECTION", why)
        elif tool.type == "app":
            need("app", ref, "CAN_USE", why)
    return [
        Permission(resource_type=t, resource=r, level=level, reason="; ".join(reasons))
        for (t, r, level), reasons in grants.items()
    ]


def ka_endpoint_fallback(knowledge_assistant_id: str) -> str:
    """The endpoint name Knowledge Assistants get by convention: `ka-<first 8 hex of the id>-endpoint`."""
    return f"ka-{knowledge_assistant_id.replace('-', '')[:8]}-endpoint"


def _resource_key(prefix: str, ref: str, used: set[str]) -> str:
    """A unique lowercase-hyphen key for `value_from`, derived from the resource it names."""
    key = re.sub(r"[^a-z0-9]+", "-", f"{prefix}-{ref}".lower()).strip("-")
    candidate, n = key, 2
    while candidate in used:
        candidate, n = f"{key}-{n}", n + 1
    used.add(candidate)
    return candidate


def bundle_app_resources(
    spec: AgentSpec, *, ka_endpoints: Mapping[str, str] | None = None,
    experiment_id: str | None = None, warehouse_id: str | None = None,
) -> list[dict[str, Any]]:
    """`resources.apps.<key>.resources` entries for the agent App (app-templates.md §3.5).

    Under `authorization: app` the App's service principal needs every tool's resource; under
    `authorization: user` only the model endpoint is bound and `user_scopes(spec)` goes into
    `user_api_scopes`. The model's entry is always named `model-endpoint`. A genie_space entry's
    own `name` (a display name in the bundle schema) is the space id, since the spec has no title.

    With `experiment_id` the App may write its traces (`experiment`, CAN_EDIT, both modes); with
    `warehouse_id` its service principal may use the SQL warehouse that Genie spaces and UC
    functions run on (`sql-warehouse`, CAN_USE, app authorization with such tools). The bundle passes
    references (`${resources.experiments...id}`), notebook 02 the workspace's ids.
    """
    used: set[str] = set()
    model = {
        "name": _resource_key("model", "endpoint", used),
        "serving_endpoint": {"name": spec.model, "permission": "CAN_QUERY"},
    }
    resources = [model]
    if experiment_id:
        resources.append({"name": _resource_key("experiment", "", used),
                          "experiment": {"experiment_id": experiment_id, "permission": "CAN_EDIT"}})
    if spec.authorization == "user":
        return resources
    if warehouse_id and any(t.type in ("genie_space", "uc_function") for t in spec.tools):
        resources.append({"name": _resource_key("sql-warehouse", "", used),
                          "sql_warehouse": {"id": warehouse_id, "permission": "CAN_USE"}})
    endpoints = ka_endpoints or {}
    for tool in spec.tools:
        ref = tool.ref
        if tool.type == "genie_space":
            key = _resource_key("genie-space", ref, used)
            entry = {"genie_space": {"name": ref, "space_id": ref, "permission": "CAN_RUN"}}
        elif tool.type == "uc_function":
            key = _resource_key("function", ref, used)
            entry = {"uc_securable": _securable(ref, "FUNCTION", "EXECUTE")}
        elif tool.type == "knowledge_assistant":
            key = _resource_key("knowledge-assistant", ref.replace("-", "")[:8], used)
            name = endpoints.get(ref) or ka_endpoint_fallback(ref)
            entry = {"serving_endpoint": {"name": name, "permission": "CAN_QUERY"}}
        elif tool.type == "uc_connection":
            key = _resource_key("connection", ref, used)
            entry = {"uc_securable": _securable(ref, "CONNECTION", "USE_CONNECTION")}
        else:
            key = _resource_key("app", ref, used)
            entry = {"app": {"name": ref, "permission": "CAN_USE"}}
        resources.append({"name": key, **entry})
    return resources


def _securable(full_name: str, securable_type: str, permission: str) -> dict[str, str]:
    return {"securable_full_name": full_name, "securable_type": securable_type, "permission": permission}
