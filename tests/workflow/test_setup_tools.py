"""Notebook 01's library: every tool checked through the real SDK, UC functions created from files."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from databricks.sdk.errors import NotFound

from agent_lib.emulator.core.demo_ids import WAREHOUSE_ID
from agent_lib.setup import CREATED, OK, PROBLEM, REPLACED, SetupFailed, setup_tools
from agent_lib.spec import spec_from_dict

ROOT = Path(__file__).resolve().parents[2]
CALLS = {
    "main.sales.get_order_status": "SELECT * FROM main.sales.get_order_status('SO-10042')",
    "main.sales.convert_currency": "SELECT main.sales.convert_currency(100.0, 'USD', 'EUR')",
    "main.support.days_until_sla_breach": "SELECT main.support.days_until_sla_breach('P2', '2025-12-30')",
}


def _answers(w) -> dict[str, list]:
    return {name: w.statement_execution.execute_statement(sql, WAREHOUSE_ID, wait_timeout="20s").result.data_array
            for name, sql in CALLS.items()}


def test_the_demo_workspace_has_every_tool_and_a_run_changes_nothing(workspace, demo_spec):
    report = setup_tools(workspace.client(), demo_spec, spec_dir=ROOT)
    assert [r.status for r in report.rows] == [OK] * 8, str(report)
    assert report.rows[0].tool == "model" and report.changes == 0
    report.raise_for_problems()
    assert "Tools (8 checked, 0 changed, 0 problem(s))" in str(report)
    assert "<table>" in report._repr_html_()


def test_deleted_demo_functions_are_recreated_from_their_files_and_answer_the_same(workspace, demo_spec):
    admin = workspace.client()
    before = _answers(admin)
    for name in CALLS:
        admin.functions.delete(name)
    report = setup_tools(admin, demo_spec, spec_dir=ROOT)
    created = {r.tool.split()[1] for r in report.rows if r.status == CREATED}
    assert created == set(CALLS) and not report.problems
    assert _answers(admin) == before
    again = setup_tools(admin, demo_spec, spec_dir=ROOT)
    assert again.changes == 0 and {r.status for r in again.rows} == {OK}


def test_a_changed_definition_replaces_the_function_once(workspace, tmp_path):
    shutil.copytree(ROOT / "src/agent_lib/emulator/catalog/demo_functions", tmp_path / "functions")
    path = tmp_path / "functions" / "convert_currency.sql"
    path.write_text(path.read_text().replace('"EUR": 0.92', '"EUR": 0.5'))
    spec = spec_from_dict({"model": "databricks-claude-sonnet-4-5", "tools": [{"uc_function": {
        "name": "main.sales.convert_currency", "description": "Converts money.",
        "definition": "functions/convert_currency.sql"}}]})
    admin = workspace.client()
    report = setup_tools(admin, spec, spec_dir=tmp_path)
    assert report.rows[1].status == REPLACED and "routine_definition" in report.rows[1].action
    assert _answers(admin)["main.sales.convert_currency"] == [["50.0"]]
    assert setup_tools(admin, spec, spec_dir=tmp_path).changes == 0


def test_a_broken_spec_shows_every_problem_then_fails_naming_each_fix(workspace, tmp_path):
    (tmp_path / "bad.sql").write_text("CREATE FUNCTION main.sales.bad(x STRING) RETURNS STRANGE RETURN x")
    (tmp_path / "other.sql").write_text(
        "CREATE OR REPLACE FUNCTION main.sales.other(x STRING) RETURNS STRING RETURN upper(x)")
    fn = {"description": "A function."}
    spec = spec_from_dict({"model": "no-such-model", "tools": [
        {"genie_space": {"id": "0" * 32, "description": "Missing space."}},
        {"uc_function": {"name": "main.sales.nowhere", **fn}},
        {"uc_function": {"name": "main.sales.missing_file", "definition": "missing.sql", **fn}},
        {"uc_function": {"name": "main.sales.bad", "definition": "bad.sql", **fn}},
        {"uc_function": {"name": "main.sales.mismatch", "definition": "other.sql", **fn}},
        {"knowledge_assistant": {"knowledge_assistant_id": "00000000-0000-0000-0000-000000000000",
                                 "description": "Missing assistant."}},
        {"uc_connection": {"name": "no_such_connection", "description": "Missing connection."}},
        {"app": {"name": "no-such-app", "description": "Missing app."}},
    ]})
    report = setup_tools(workspace.client(), spec, spec_dir=tmp_path)
    assert [r.status for r in report.rows] == [PROBLEM] * 9
    by_tool = {r.tool: r for r in report.rows}
    assert "serving endpoint" in by_tool["model"].fix
    assert "does not exist" in by_tool["uc_function main.sales.nowhere"].action
    assert "definition" in by_tool["uc_function main.sales.nowhere"].fix
    assert "missing.sql does not exist" in by_tool["uc_function main.sales.missing_file"].action
    assert "line 1" in by_tool["uc_function main.sales.bad"].action
    assert "SQL type" in by_tool["uc_function main.sales.bad"].action
    assert "defines main.sales.other, but the spec names main.sales.mismatch" in \
        by_tool["uc_function main.sales.mismatch"].action
    assert all(r.fix for r in report.rows)
    with pytest.raises(SetupFailed) as failed:
        report.raise_for_problems()
    message = str(failed.value)
    assert message.startswith("set up tools: 9 tool(s) not usable")
    assert all(r.tool in message and r.fix in message for r in report.rows)
    with pytest.raises(NotFound):
        workspace.client().functions.get("main.sales.other")  # nothing was created for a wrong file


def test_a_stopped_app_tool_is_a_problem_with_the_fix(workspace):
    admin = workspace.client()
    admin.apps.stop_and_wait("agent-lib-helpdesk")
    spec = spec_from_dict({"model": "databricks-claude-sonnet-4-5",
                           "tools": [{"app": {"name": "agent-lib-helpdesk", "description": "IT help."}}]})
    row = setup_tools(admin, spec).rows[1]
    assert row.status == PROBLEM and "not RUNNING" in row.action and "apps start" in row.fix


def test_a_user_who_may_only_view_the_genie_space_is_told_to_ask_for_can_run(workspace):
    from databricks.sdk.service import iam

    from agent_lib.emulator.core.demo_ids import GENIE_SPACE_ID

    admin = workspace.client()
    alice = workspace.client(workspace.token_for("alice@example.com"))
    spec = spec_from_dict({"model": "databricks-claude-sonnet-4-5",
                           "tools": [{"genie_space": {"id": GENIE_SPACE_ID, "description": "Sales."}}]})
    assert setup_tools(alice, spec).rows[1].status == PROBLEM  # not shared with her at all
    admin.permissions.update("genie", GENIE_SPACE_ID, access_control_list=[iam.AccessControlRequest(
        group_name="data-scientists", permission_level=iam.PermissionLevel.CAN_VIEW)])
    row = setup_tools(alice, spec).rows[1]
    assert row.status == PROBLEM and "you hold CAN_VIEW, not CAN_RUN" in row.action and "CAN_RUN" in row.fix
    admin.permissions.update("genie", GENIE_SPACE_ID, access_control_list=[iam.AccessControlRequest(
        user_name="alice@example.com", permission_level=iam.PermissionLevel.CAN_RUN)])
    row = setup_tools(alice, spec).rows[1]
    assert row.status == OK and "you hold CAN_RUN" in row.action
