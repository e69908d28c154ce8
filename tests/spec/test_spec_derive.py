"""Scopes, grants and bundle resources for every tool type and both authorization modes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from agent_lib.errors import SpecError
from agent_lib.spec import (
    AgentSpec,
    Permission,
    bundle_app_resources,
    function_tool_name,
    ka_endpoint_fallback,
    load_spec,
    required_permissions,
    spec_from_dict,
    user_scopes,
)

MODEL = "databricks-claude-sonnet-4-5"
KA_ID = "8c765842-f021-4946-85b4-df326cc01b03"
TOOLS: dict[str, dict[str, Any]] = {
    "genie_space": {"genie_space": {"id": "01f0c0ffee5a1e5d4a7a5e5a1e5c0de1", "description": "Sales."}},
    "uc_function": {"uc_function": {"name": "main.sales.get_order_status", "description": "Order status."}},
    "knowledge_assistant": {"knowledge_assistant": {"knowledge_assistant_id": KA_ID, "description": "Policies."}},
    "uc_connection": {"uc_connection": {"name": "ticketing", "description": "Tickets."}},
    "app": {"app": {"name": "agent-lib-helpdesk", "description": "IT helpdesk."}},
}
MODEL_RESOURCE = {"name": "model-endpoint", "serving_endpoint": {"name": MODEL, "permission": "CAN_QUERY"}}
MODEL_GRANT = Permission(
    resource_type="serving_endpoint", resource=MODEL, level="CAN_QUERY", reason=f"model {MODEL}"
)


def spec(*kinds: str, authorization: str = "app") -> AgentSpec:
    return spec_from_dict({"model": MODEL, "authorization": authorization, "tools": [TOOLS[k] for k in kinds]})


# --- user_scopes -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "scope"),
    [
        ("genie_space", "genie"),
        ("uc_function", "mcp.functions"),
        ("knowledge_assistant", "model-serving"),
        ("uc_connection", "catalog.connections"),
    ],
)
def test_user_scope_per_tool_type(kind: str, scope: str) -> None:
    assert user_scopes(spec(kind, authorization="user")) == sorted(["ai-gateway", scope])


def test_user_scopes_always_include_ai_gateway_sorted_and_unique() -> None:
    assert user_scopes(spec()) == ["ai-gateway"]
    two_functions = spec_from_dict(
        {
            "model": MODEL,
            "tools": [
                TOOLS["uc_function"],
                {"uc_function": {"name": "main.sales.convert_currency", "description": "FX."}},
                TOOLS["genie_space"],
            ],
        }
    )
    assert user_scopes(two_functions) == ["ai-gateway", "genie", "mcp.functions"]


def test_app_tool_adds_no_user_scope() -> None:
    assert user_scopes(spec("app")) == ["ai-gateway"]


# --- required_permissions --------------------------------------------------------------------------


GRANTS = {
    "genie_space": [("genie_space", "01f0c0ffee5a1e5d4a7a5e5a1e5c0de1", "CAN_RUN")],
    "uc_function": [
        ("catalog", "main", "USE_CATALOG"),
        ("schema", "main.sales", "USE_SCHEMA"),
        ("function", "main.sales.get_order_status", "EXECUTE"),
    ],
    "knowledge_assistant": [("knowledge_assistant", KA_ID, "CAN_QUERY")],
    "uc_connection": [("connection", "ticketing", "USE_CONNECTION")],
    "app": [("app", "agent-lib-helpdesk", "CAN_USE")],
}


# Every tool type under app authorization; all but `app` (rejected upstream) under user authorization.
@pytest.mark.parametrize(
    ("kind", "authorization"),
    [(k, "app") for k in GRANTS] + [(k, "user") for k in GRANTS if k != "app"],
)
def test_permissions_per_tool_type(kind: str, authorization: str) -> None:
    perms = required_permissions(spec(kind, authorization=authorization))
    assert perms[0] == MODEL_GRANT
    assert [(p.resource_type, p.resource, p.level) for p in perms[1:]] == GRANTS[kind]
    label = f"{kind} {spec(kind).tools[0].ref}"
    assert all(p.reason == label for p in perms[1:])


def test_shared_catalog_and_schema_granted_once_naming_every_tool() -> None:
    perms = required_permissions(load_spec(Path(__file__).parents[2] / "agent.yml"))
    keys = [(p.resource_type, p.resource, p.level) for p in perms]
    assert len(keys) == len(set(keys))
    catalog = next(p for p in perms if p.resource_type == "catalog")
    assert catalog.resource == "main"
    for name in ("main.sales.get_order_status", "main.sales.convert_currency", "main.support.days_until_sla_breach"):
        assert f"uc_function {name}" in catalog.reason
    schemas = {p.resource for p in perms if p.resource_type == "schema"}
    assert schemas == {"main.sales", "main.support"}


def test_permission_is_frozen() -> None:
    with pytest.raises(Exception):  # noqa: B017 - pydantic's frozen error
        MODEL_GRANT.level = "CAN_MANAGE"  # type: ignore[misc]


# --- bundle_app_resources --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "entry"),
    [
        (
            "genie_space",
            {
                "name": "genie-space-01f0c0ffee5a1e5d4a7a5e5a1e5c0de1",
                "genie_space": {
                    "name": "01f0c0ffee5a1e5d4a7a5e5a1e5c0de1",
                    "space_id": "01f0c0ffee5a1e5d4a7a5e5a1e5c0de1",
                    "permission": "CAN_RUN",
                },
            },
        ),
        (
            "uc_function",
            {
                "name": "function-main-sales-get-order-status",
                "uc_securable": {
                    "securable_full_name": "main.sales.get_order_status",
                    "securable_type": "FUNCTION",
                    "permission": "EXECUTE",
                },
            },
        ),
        (
            "knowledge_assistant",
            {
                "name": "knowledge-assistant-8c765842",
                "serving_endpoint": {"name": "ka-8c765842-endpoint", "permission": "CAN_QUERY"},
            },
        ),
        (
            "uc_connection",
            {
                "name": "connection-ticketing",
                "uc_securable": {
                    "securable_full_name": "ticketing",
                    "securable_type": "CONNECTION",
                    "permission": "USE_CONNECTION",
                },
            },
        ),
        ("app", {"name": "app-agent-lib-helpdesk", "app": {"name": "agent-lib-helpdesk", "permission": "CAN_USE"}}),
    ],
)
def test_bundle_resource_per_tool_type_under_app_authorization(kind: str, entry: dict[str, Any]) -> None:
    assert bundle_app_resources(spec(kind)) == [MODEL_RESOURCE, entry]


def test_ka_endpoint_name_from_the_workspace_wins_over_the_fallback() -> None:
    resources = bundle_app_resources(spec("knowledge_assistant"), ka_endpoints={KA_ID: "ka-policies"})
    assert resources[1]["serving_endpoint"]["name"] == "ka-policies"
    assert ka_endpoint_fallback(KA_ID) == "ka-8c765842-endpoint"


@pytest.mark.parametrize("kinds", [(), ("genie_space", "uc_function", "knowledge_assistant", "uc_connection")])
def test_user_authorization_binds_only_the_model(kinds: tuple[str, ...]) -> None:
    assert bundle_app_resources(spec(*kinds, authorization="user")) == [MODEL_RESOURCE]


def test_resource_keys_are_unique_lowercase_hyphenated() -> None:
    demo = load_spec(Path(__file__).parents[2] / "agent.yml")
    names = [r["name"] for r in bundle_app_resources(demo)]
    assert len(names) == len(set(names)) == 1 + len(demo.tools)
    assert all(n == n.lower() and "_" not in n and "." not in n for n in names)
    colliding = spec_from_dict(
        {
            "model": MODEL,
            "tools": [
                {"uc_function": {"name": "main.sales.a_b", "description": "d"}},
                {"uc_function": {"name": "main.sales.a-b", "description": "d"}},
            ],
        }
    )
    names = [r["name"] for r in bundle_app_resources(colliding)]
    assert names == ["model-endpoint", "function-main-sales-a-b", "function-main-sales-a-b-2"]


def test_every_resource_has_exactly_one_type_and_a_permission() -> None:
    demo = load_spec(Path(__file__).parents[2] / "agent.yml")
    for resource in bundle_app_resources(demo):
        (kind,) = set(resource) - {"name"}
        assert kind in {"serving_endpoint", "genie_space", "uc_securable", "app"}
        assert resource[kind]["permission"]


# --- function_tool_name ----------------------------------------------------------------------------


def test_function_tool_name() -> None:
    assert function_tool_name("main.sales.get_order_status") == "main__sales__get_order_status"
    with pytest.raises(SpecError) as info:
        function_tool_name("sales.get_order_status")
    assert "catalog.schema.function" in info.value.fix


@pytest.mark.parametrize("authorization", ["app", "user"])
def test_a_spec_without_tools_needs_only_the_model(authorization: str) -> None:
    assert required_permissions(spec(authorization=authorization)) == [MODEL_GRANT]
    assert bundle_app_resources(spec(authorization=authorization)) == [MODEL_RESOURCE]
