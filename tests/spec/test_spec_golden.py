"""YAML → AgentSpec → Supervisor request, compared with hand-written golden bodies (supervisor-api.md §2)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from agent_lib.spec import load_spec, spec_from_dict, supervisor_request

GOLDEN = Path(__file__).parent / "golden"
REPO = Path(__file__).parents[2]

# name → (agent.yml text, input, stream); the expected body is golden/<name>.json.
CASES = {
    "genie_space": (
        """
        model: databricks-claude-sonnet-4-5
        tools:
          - genie_space:
              id: 01f07892cf3118edad0a4054bcd25122
              description: Sales analytics over orders and customers.
        """,
        [{"type": "message", "role": "user", "content": "How many orders did we ship last month?"}],
        False,
    ),
    "uc_function": (
        """
        model: databricks-claude-sonnet-4-5
        instructions: Use Python for arithmetic.
        tools:
          - type: uc_function
            uc_function:
              name: system.ai.python_exec
              description: Runs Python code and returns its stdout.
        """,
        "What is 2**10? Compute it.",
        False,
    ),
    "knowledge_assistant": (
        """
        model: databricks-claude-sonnet-4-5
        tools:
          - knowledge_assistant:
              knowledge_assistant_id: 8c765842-f021-4946-85b4-df326cc01b03
              description: Answers from the company policy documents.
        """,
        "How many days do I have to return an item?",
        True,
    ),
    "uc_connection": (
        """
        model: databricks-claude-sonnet-4-5
        tools:
          - uc_connection:
              name: system_ai_agent_google_drive
              description: Searches and reads files in Google Drive.
        """,
        "Find the design doc in my drive.",
        False,
    ),
    "app": (
        """
        model: databricks-claude-sonnet-4-5
        tools:
          - app:
              name: mcp-weather
              description: A custom MCP server App that reports the current weather for a city.
        """,
        "What is the weather in Amsterdam?",
        False,
    ),
    "no_tools": (
        """
        model: databricks-claude-haiku-4-5
        instructions: ""
        tools: []
        """,
        "Say hello.",
        False,
    ),
}


def golden(name: str) -> dict:
    return json.loads((GOLDEN / f"{name}.json").read_text())


@pytest.mark.parametrize("name", sorted(CASES))
def test_request_matches_golden(name: str, tmp_path: Path) -> None:
    text, user_input, stream = CASES[name]
    path = tmp_path / "agent.yml"
    path.write_text(text)
    assert supervisor_request(load_spec(path), user_input, stream=stream) == golden(name)


def test_demo_agent_request_matches_golden() -> None:
    body = golden("demo")
    spec = load_spec(REPO / "agent.yml")
    assert supervisor_request(spec, body["input"]) == body
    # The wire JSON is plain data: it survives a JSON round trip unchanged.
    assert json.loads(json.dumps(supervisor_request(spec, body["input"]))) == body


def test_every_golden_file_is_used() -> None:
    assert {p.stem for p in GOLDEN.glob("*.json")} == {*CASES, "demo"}


def test_golden_tools_are_nested_under_their_type() -> None:
    """The shape rule of §2.2, checked on the golden files themselves (they were written by hand)."""
    for path in GOLDEN.glob("*.json"):
        for tool in json.loads(path.read_text()).get("tools", []):
            kind = tool["type"]
            assert set(tool) == {"type", kind}, path.name
            assert tool[kind]["description"].strip(), path.name


def test_stream_key_only_when_streaming() -> None:
    spec = spec_from_dict({"model": "m"})
    assert "stream" not in supervisor_request(spec, "hi")
    assert supervisor_request(spec, "hi", stream=True)["stream"] is True


def test_demo_spec_settings() -> None:
    spec = load_spec(REPO / "agent.yml")
    assert (spec.name, spec.engine, spec.authorization) == ("agent-lib-demo", "client", "app")
    assert [t.type for t in spec.tools] == [
        "genie_space", "uc_function", "uc_function", "uc_function", "knowledge_assistant", "uc_connection", "app",
    ]
    assert yaml.safe_load((REPO / "agent.yml").read_text())["model"] == "databricks-claude-sonnet-4-5"
