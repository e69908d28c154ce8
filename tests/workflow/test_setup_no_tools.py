"""A spec with no tools fails notebook 01's step instead of passing silently."""

from __future__ import annotations

import pytest

from agent_lib.setup import PROBLEM, SetupFailed, setup_tools
from agent_lib.spec import spec_from_dict


def test_a_spec_without_tools_is_a_problem_with_its_fix(workspace):
    spec = spec_from_dict({"name": "no-tools", "model": "databricks-claude-sonnet-4-5",
                           "instructions": "Answer.", "tools": []})
    report = setup_tools(workspace.client(), spec)
    assert [r.status for r in report.rows] == ["ok", PROBLEM]  # the model is fine, the tools are not
    assert "agent-lib discover" in report.rows[1].fix
    with pytest.raises(SetupFailed, match="the spec declares no tools"):
        report.raise_for_problems()
