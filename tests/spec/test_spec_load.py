"""Loading agent.yml, notebook overrides, and the YAML round trip."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from agent_lib.errors import SpecError
from agent_lib.spec import AgentSpec, load_spec, spec_from_dict, spec_to_yaml

REPO_SPEC = Path(__file__).parents[2] / "agent.yml"

COMPACT = """
model: databricks-claude-sonnet-4-5
tools:
  - genie_space: {id: 01f0c0ffee5a1e5d4a7a5e5a1e5c0de1, description: Sales analytics.}
  - uc_function: {name: main.sales.get_order_status, description: One order's status.}
  - knowledge_assistant: {knowledge_assistant_id: 8c765842-f021-4946-85b4-df326cc01b03, description: Policies.}
  - uc_connection: {name: ticketing, description: Support tickets.}
  - app: {name: agent-lib-helpdesk, description: IT helpdesk agent.}
"""

NESTED = """
model: databricks-claude-sonnet-4-5
tools:
  - type: genie_space
    genie_space: {id: 01f0c0ffee5a1e5d4a7a5e5a1e5c0de1, description: Sales analytics.}
  - type: uc_function
    uc_function: {name: main.sales.get_order_status, description: One order's status.}
  - type: knowledge_assistant
    knowledge_assistant: {knowledge_assistant_id: 8c765842-f021-4946-85b4-df326cc01b03, description: Policies.}
  - type: uc_connection
    uc_connection: {name: ticketing, description: Support tickets.}
  - type: app
    app: {name: agent-lib-helpdesk, description: IT helpdesk agent.}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "agent.yml"
    path.write_text(text)
    return path


def test_compact_and_nested_forms_give_equal_specs() -> None:
    compact, nested = spec_from_dict(yaml.safe_load(COMPACT)), spec_from_dict(yaml.safe_load(NESTED))
    assert compact == nested
    assert [t.type for t in compact.tools] == ["genie_space", "uc_function", "knowledge_assistant", "uc_connection", "app"]


@pytest.mark.parametrize("source", [COMPACT, NESTED, REPO_SPEC.read_text()])
def test_yaml_round_trip(source: str) -> None:
    spec = spec_from_dict(yaml.safe_load(source))
    text = spec.to_yaml()
    again = spec_from_dict(yaml.safe_load(text))
    assert again == spec
    assert again.to_yaml() == text
    assert spec_to_yaml(spec) == text
    assert spec_from_dict(spec.to_dict()) == spec


def test_to_yaml_writes_every_key_and_nested_tools() -> None:
    data = yaml.safe_load(spec_from_dict({"model": "m", "instructions": "Line one.\nLine two."}).to_yaml())
    assert data == {
        "name": "agent-lib-demo",
        "model": "m",
        "instructions": "Line one.\nLine two.",
        "engine": "client",
        "authorization": "app",
        "tools": [],
    }
    tools = yaml.safe_load(spec_from_dict(yaml.safe_load(COMPACT)).to_yaml())["tools"]
    assert all(set(tool) == {"type", tool["type"]} for tool in tools)


def test_defaults() -> None:
    spec = spec_from_dict({"model": "m"})
    assert (spec.name, spec.instructions, spec.engine, spec.authorization, spec.tools) == (
        "agent-lib-demo", "", "client", "app", (),
    )


def test_tool_accessors() -> None:
    spec = spec_from_dict(yaml.safe_load(COMPACT))
    assert [t.ref for t in spec.tools] == [
        "01f0c0ffee5a1e5d4a7a5e5a1e5c0de1",
        "main.sales.get_order_status",
        "8c765842-f021-4946-85b4-df326cc01b03",
        "ticketing",
        "agent-lib-helpdesk",
    ]
    assert spec.tools[1].description == "One order's status."
    assert spec.tools[4].label == "app agent-lib-helpdesk"
    assert spec.tools[0].to_wire() == {
        "type": "genie_space",
        "genie_space": {"id": "01f0c0ffee5a1e5d4a7a5e5a1e5c0de1", "description": "Sales analytics."},
    }


def test_missing_file_names_the_path_and_how_to_create_one(tmp_path: Path) -> None:
    with pytest.raises(SpecError) as info:
        load_spec(tmp_path / "nowhere.yml")
    assert info.value.field.endswith("nowhere.yml")
    assert str(tmp_path / "nowhere.yml") in info.value.problem
    assert "create it" in info.value.fix


def test_yaml_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, "model: m\ntools:\n  - genie_space: {id: x, description: [unclosed\n")
    with pytest.raises(SpecError) as info:
        load_spec(path)
    assert info.value.field == str(path)
    assert "line 4" in info.value.problem  # the parser notices the missing ']' at end of input


def test_yaml_syntax_error_line_is_exact(tmp_path: Path) -> None:
    path = write(tmp_path, "model: m\nengine: client\n  authorization: app\n")
    with pytest.raises(SpecError) as info:
        load_spec(path)
    assert "line 3" in info.value.problem


@pytest.mark.parametrize("text", ["- model: m\n", "just text\n"])
def test_top_level_must_be_a_mapping(tmp_path: Path, text: str) -> None:
    with pytest.raises(SpecError) as info:
        load_spec(write(tmp_path, text))
    assert "key: value" in info.value.fix


def test_empty_file_reports_the_missing_model(tmp_path: Path) -> None:
    with pytest.raises(SpecError) as info:
        load_spec(write(tmp_path, "# nothing yet\n"))
    assert info.value.field == "model"


def test_scalar_overrides_replace_file_values() -> None:
    spec = load_spec(
        REPO_SPEC,
        overrides={
            "model": "databricks-claude-haiku-4-5",
            "engine": "hosted",
            "authorization": "app",
            "instructions": "Be brief.",
            "name": "my-agent",
        },
    )
    assert (spec.model, spec.engine, spec.instructions, spec.name) == (
        "databricks-claude-haiku-4-5", "hosted", "Be brief.", "my-agent",
    )
    assert len(spec.tools) == 7


def test_empty_and_none_overrides_keep_file_values() -> None:
    base = load_spec(REPO_SPEC)
    assert load_spec(REPO_SPEC, overrides={"model": "", "tools": "  ", "engine": None}) == base


@pytest.mark.parametrize(
    "tools",
    [
        '[{"uc_connection": {"name": "ticketing", "description": "Tickets."}}]',
        "- uc_connection: {name: ticketing, description: Tickets.}\n",
        [{"type": "uc_connection", "uc_connection": {"name": "ticketing", "description": "Tickets."}}],
    ],
)
def test_tools_override_as_json_yaml_or_list(tools: object) -> None:
    spec = load_spec(REPO_SPEC, overrides={"tools": tools})
    assert [t.label for t in spec.tools] == ["uc_connection ticketing"]


def test_tools_override_errors() -> None:
    with pytest.raises(SpecError) as info:
        load_spec(REPO_SPEC, overrides={"tools": "[{unclosed"})
    assert info.value.field == "overrides.tools" and "YAML syntax error" in info.value.problem
    with pytest.raises(SpecError) as info:
        load_spec(REPO_SPEC, overrides={"tools": "genie_space: {}"})
    assert info.value.field == "overrides.tools" and "list" in info.value.problem


def test_override_that_breaks_a_rule_is_reported_like_the_file() -> None:
    with pytest.raises(SpecError) as info:
        load_spec(REPO_SPEC, overrides={"authorization": "user"})
    assert info.value.field == "tools[6].app"


def test_unknown_override_names_the_allowed_ones() -> None:
    with pytest.raises(SpecError) as info:
        load_spec(REPO_SPEC, overrides={"temperature": "0.1"})
    assert info.value.field == "overrides.temperature"
    assert "model" in info.value.fix and "tools" in info.value.fix


def test_default_path_is_agent_yml_in_the_working_directory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO_SPEC.parent)
    assert isinstance(load_spec(), AgentSpec)
