"""Every invalid spec fails before any network call with SpecError(field, problem, fix)."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from agent_lib.errors import SpecError
from agent_lib.spec import (
    TOOL_TYPES,
    AgentSpec,
    GenieSpace,
    GenieSpaceTool,
    UcFunction,
    spec_from_dict,
)

GENIE = {"genie_space": {"id": "01f0c0ffee5a1e5d4a7a5e5a1e5c0de1", "description": "Sales data."}}
FUNC = {"uc_function": {"name": "main.sales.get_order_status", "description": "One order's status."}}
APP = {"app": {"name": "agent-lib-helpdesk", "description": "IT helpdesk agent."}}


def fails(data: dict[str, Any]) -> SpecError:
    with pytest.raises(SpecError) as info:
        spec_from_dict(data)
    assert not isinstance(info.value, ValidationError)
    return info.value


def with_tools(*tools: Any, **top: Any) -> dict[str, Any]:
    return {"model": "databricks-claude-sonnet-4-5", "tools": list(tools), **top}


def test_unknown_tool_type_lists_the_five_types() -> None:
    err = fails(with_tools(GENIE, {"vector_search": {"name": "x", "description": "d"}}))
    assert err.field == "tools[1].vector_search"
    assert "vector_search" in err.problem
    for kind in TOOL_TYPES:
        assert kind in err.fix


def test_unknown_tool_type_in_nested_form_points_at_type() -> None:
    err = fails(with_tools({"type": "web_search", "web_search": {}}))
    assert err.field == "tools[0].type"
    assert all(kind in str(err) for kind in TOOL_TYPES)


@pytest.mark.parametrize("description", [None, "", "   ", "\n\t"])
def test_missing_or_blank_description(description: str | None) -> None:
    config = {"name": "main.sales.get_order_status"}
    if description is not None:
        config["description"] = description
    err = fails(with_tools(GENIE, {"type": "uc_function", "uc_function": config}))
    assert err.field == "tools[1].uc_function.description"
    assert "add a non-empty description" in err.fix
    assert err.fix in str(err)


@pytest.mark.parametrize(
    "name", ["get_order_status", "sales.get_order_status", "main..get_order_status", "a.b.c.d", "main.sales."]
)
def test_uc_function_name_must_be_three_part(name: str) -> None:
    err = fails(with_tools({"uc_function": {"name": name, "description": "d"}}))
    assert err.field == "tools[0].uc_function.name"
    assert "catalog.schema.function" in err.fix


def test_uc_function_name_without_spaces() -> None:
    err = fails(with_tools({"uc_function": {"name": "main.sales.get order", "description": "d"}}))
    assert err.field == "tools[0].uc_function.name"
    assert "remove the spaces" in err.fix


def test_app_tool_under_user_authorization() -> None:
    err = fails(with_tools(GENIE, APP, authorization="user"))
    assert err.field == "tools[1].app"
    assert "not supported" in err.problem and "on-behalf-of" in err.problem
    assert "authorization: app" in err.fix


def test_app_tool_under_app_authorization_is_fine() -> None:
    assert spec_from_dict(with_tools(APP)).tools[0].type == "app"


@pytest.mark.parametrize(
    ("retired", "replacement"),
    [
        ({"genie": {"name": "s", "space_id": "01f0", "description": "d"}}, "genie_space {id, description}"),
        (
            {"agent_endpoint": {"name": "ka", "endpoint_name": "ka-1-endpoint", "description": "d"}},
            "knowledge_assistant {knowledge_assistant_id, description}",
        ),
        ({"mcp": {"name": "t", "connection_name": "ticketing", "description": "d"}}, "uc_connection {name, description}"),
        ({"unity_catalog_function": {"name": "a.b.c", "description": "d"}}, "uc_function {name, description}"),
        (
            {"external_mcp_server": {"connection_name": "ticketing", "description": "d"}},
            "uc_connection {name, description}",
        ),
    ],
)
def test_retired_shapes_name_their_replacement(retired: dict[str, Any], replacement: str) -> None:
    kind = next(iter(retired))
    for form, field in ((retired, f"tools[0].{kind}"), ({"type": kind, **retired}, "tools[0].type")):
        err = fails(with_tools(form))
        assert err.field == field
        assert "retired" in err.problem
        assert replacement in err.fix


def test_retired_keys_inside_current_types() -> None:
    err = fails(with_tools({"genie_space": {"space_id": "01f0", "description": "d"}}))
    assert err.field == "tools[0].genie_space.space_id"
    assert "rename space_id to id" in err.fix
    err = fails(with_tools({"uc_connection": {"connection_name": "ticketing", "description": "d"}}))
    assert err.field == "tools[0].uc_connection.connection_name"
    assert "rename connection_name to name" in err.fix


def test_genie_space_id_becomes_id_in_the_retired_message() -> None:
    err = fails(with_tools({"genie": {"space_id": "01f0", "description": "d"}}))
    assert "space_id becomes id" in err.fix


def test_flat_form_is_rejected_with_the_nested_form_as_fix() -> None:
    err = fails(with_tools({"type": "uc_function", "name": "main.sales.f", "description": "d"}))
    assert err.field == "tools[0]"
    assert "flat" in err.problem
    assert "{type: uc_function, uc_function: {name: ..., description: ...}}" in err.fix


def test_key_beside_the_nested_settings() -> None:
    err = fails(with_tools({"type": "app", "app": APP["app"], "description": "d"}))
    assert err.field == "tools[0].description"
    assert "inside the app mapping" in err.fix


def test_tool_without_type_and_several_keys() -> None:
    err = fails(with_tools({"name": "x", "description": "d"}))
    assert err.field == "tools[0]"
    assert all(kind in err.fix for kind in TOOL_TYPES)


def test_tool_that_is_not_a_mapping() -> None:
    err = fails(with_tools("genie_space"))
    assert err.field == "tools[0]"
    assert "genie_space: {...}" in err.fix


def test_tool_settings_that_are_not_a_mapping() -> None:
    err = fails(with_tools({"app": "agent-lib-helpdesk"}))
    assert err.field == "tools[0].app"
    assert "key: value" in err.fix


def test_unknown_key_inside_a_tool_lists_allowed_keys() -> None:
    err = fails(with_tools({"genie_space": {**GENIE["genie_space"], "title": "Sales"}}))
    assert err.field == "tools[0].genie_space.title"
    assert "id, description" in err.fix


@pytest.mark.parametrize(
    "second",
    [
        FUNC,
        {"type": "uc_function", "uc_function": {**FUNC["uc_function"], "description": "Other words."}},
    ],
)
def test_duplicate_tools(second: dict[str, Any]) -> None:
    err = fails(with_tools(FUNC, GENIE, second))
    assert err.field == "tools[2]"
    assert "duplicate" in err.problem and "tools[0]" in err.problem
    assert "remove one of tools[0] and tools[2]" in err.fix


def test_same_name_different_type_is_not_a_duplicate() -> None:
    spec = spec_from_dict(
        with_tools(
            {"uc_connection": {"name": "helpdesk", "description": "Tickets."}},
            {"app": {"name": "helpdesk", "description": "Agent."}},
        )
    )
    assert len(spec.tools) == 2


@pytest.mark.parametrize(("key", "value", "choices"), [("engine", "local", "client"), ("authorization", "obo", "user")])
def test_bad_engine_or_authorization(key: str, value: str, choices: str) -> None:
    err = fails({"model": "m", key: value})
    assert err.field == key
    assert repr(value) in err.problem
    assert choices in err.fix


@pytest.mark.parametrize("data", [{}, {"model": ""}, {"model": "  "}, {"model": None}])
def test_missing_model(data: dict[str, Any]) -> None:
    err = fails(data)
    assert err.field == "model"
    assert "serving endpoint name" in err.fix


def test_unknown_top_level_key_lists_allowed_keys() -> None:
    err = fails({"model": "m", "temperature": 0.2})
    assert err.field == "temperature"
    assert "temperature" in err.problem
    assert "name, model, instructions, engine, authorization, tools" in err.fix


@pytest.mark.parametrize("name", ["Agent", "my agent", "my_agent", "-agent"])
def test_bad_agent_name(name: str) -> None:
    err = fails({"model": "m", "name": name})
    assert err.field == "name"
    assert "lowercase letters, digits and hyphens" in err.fix or "remove the spaces" in err.fix


def test_tools_must_be_a_list() -> None:
    err = fails({"model": "m", "tools": GENIE})
    assert err.field == "tools"
    assert "list" in err.fix


def test_spec_must_be_a_mapping() -> None:
    with pytest.raises(SpecError) as info:
        spec_from_dict(["model"])  # type: ignore[arg-type]
    assert "key: value" in info.value.fix


def test_direct_construction_raises_spec_error_too() -> None:
    with pytest.raises(SpecError) as info:
        UcFunction(name="sales.f", description="d")
    assert info.value.field == "uc_function.name"
    with pytest.raises(SpecError) as info:
        AgentSpec(model="m", tools=[GenieSpaceTool(genie_space=GenieSpace(id="x", description="d"))] * 2)
    assert info.value.field == "tools[1]"
    with pytest.raises(SpecError) as info:
        AgentSpec.model_validate({"model": "m", "engine": "remote"})
    assert info.value.field == "engine"


def test_spec_is_frozen() -> None:
    spec = spec_from_dict(with_tools(GENIE))
    with pytest.raises(ValidationError):
        spec.model = "other"  # type: ignore[misc]
    with pytest.raises(ValidationError):
        spec.tools[0].genie_space.id = "other"  # type: ignore[union-attr]
    assert isinstance(spec.tools, tuple)
    assert hash(spec) == hash(spec_from_dict(with_tools(GENIE)))
