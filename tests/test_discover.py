"""`agent-lib discover`: what the workspace offers, written into agent.yml as valid tool entries."""

from __future__ import annotations

import pytest

from agent_lib.cli import main
from agent_lib.discover import Found, add_tools, discover
from agent_lib.errors import AgentLibError
from agent_lib.spec import load_spec

SPEC = """\
# My agent: a comment that must survive.
name: my-agent
model: databricks-claude-sonnet-4-5
instructions: Answer questions.   # inline comment
tools:
  # the one tool I wrote by hand
  - uc_function:
      name: main.sales.convert_currency
      description: Convert money between currencies.
"""


def test_lists_every_kind_of_hosted_tool_the_demo_offers(admin):
    found = discover(admin)
    kinds = {f.type for f in found}
    assert kinds == {"genie_space", "knowledge_assistant", "app", "uc_connection", "uc_function"}
    assert ("uc_function", "main.sales.get_order_status") in {(f.type, f.key) for f in found}
    seeded = {"01f0c0ffee5a1e5d4a7a5e5a1e5c0de1", "ticketing", "agent-lib-helpdesk", "main.sales.get_order_status"}
    assert all(f.description for f in found if f.key in seeded)  # other tests may add bare objects


def test_an_ordinary_user_sees_only_what_they_can_reach(alice, admin):
    assert len(discover(alice)) < len(discover(admin))


def test_adding_keeps_comments_and_order_and_validates(admin, tmp_path):
    spec = tmp_path / "agent.yml"
    spec.write_text(SPEC)
    found = discover(admin)
    added = add_tools(spec, found)
    text = spec.read_text()
    assert "# My agent: a comment that must survive." in text and "# inline comment" in text
    assert "# the one tool I wrote by hand" in text
    assert text.index("main.sales.convert_currency") < text.index("genie_space")  # appended after
    loaded = load_spec(spec)
    assert len(loaded.tools) == len(found)  # the existing one was not added twice
    assert len(added) == len(found) - 1
    assert add_tools(spec, found) == []  # a second run changes nothing
    assert spec.read_text() == text


def test_an_entry_that_would_break_the_spec_loses_nothing(tmp_path):
    spec = tmp_path / "agent.yml"
    spec.write_text(SPEC)
    with pytest.raises(AgentLibError, match="would make it invalid.*is unchanged"):
        add_tools(spec, [Found("app", "Not A Valid App Name", "x", "An app.")])
    assert spec.read_text() == SPEC
    assert sorted(p.name for p in tmp_path.iterdir()) == ["agent.yml"]


def test_cli_adds_the_named_tools_and_refuses_unknown_ones(emulator, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DATABRICKS_TOKEN", emulator.token)
    spec = tmp_path / "agent.yml"
    spec.write_text(SPEC)
    base = ["discover", "--host", emulator.host, "--spec", str(spec)]
    assert main([*base, "--add", "no-such-tool"]) == 1
    assert "not among the tools listed" in capsys.readouterr().err
    assert spec.read_text() == SPEC
    assert main([*base, "--add", "ticketing", "agent-lib-helpdesk"]) == 0
    assert "added 2 tool(s)" in capsys.readouterr().out
    types = [t.type for t in load_spec(spec).tools]
    assert types == ["uc_function", "app", "uc_connection"]  # the hand-written one first, then as listed
