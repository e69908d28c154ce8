"""`agent-lib doctor`: read-only, one finding per check, a deliberately missing permission named with its fix."""

from __future__ import annotations

from databricks.sdk.service import catalog

from agent_lib.cli import main
from agent_lib.doctor import OK, PROBLEM, RUN_02, diagnose
from agent_lib.grants import apply_grants, plan_grants
from agent_lib.workspace import connect

from .conftest import ROOT


def _connected(workspace):
    return connect("emulated", host=workspace.host, token=workspace.token)


def test_a_revoked_privilege_is_reported_with_its_fix_and_doctor_changes_nothing(workspace, demo_spec):
    admin = workspace.client()
    apply_grants(admin, plan_grants(admin, demo_spec), dry_run=False)
    ws = _connected(workspace)
    healthy = diagnose(ws, demo_spec, spec_dir=ROOT)
    assert [f for f in healthy.findings if f.area == "permissions" and f.status == PROBLEM] == []
    assert healthy.findings[0].detail == "signed in as admin@example.com (pat)"

    sp = admin.apps.get(demo_spec.name).service_principal_client_id
    admin.grants.update(catalog.SecurableType.FUNCTION.value, "main.sales.convert_currency", changes=[
        catalog.PermissionsChange(principal=sp, remove=[catalog.Privilege.EXECUTE])])
    report = diagnose(ws, demo_spec, spec_dir=ROOT)
    broken = [f for f in report.problems if f.area == "permissions"]
    assert len(broken) == 1
    assert "missing: EXECUTE on function main.sales.convert_currency" in broken[0].detail
    assert broken[0].fix == RUN_02
    assert diagnose(ws, demo_spec, spec_dir=ROOT) == report  # reading twice changed nothing
    text = str(report)
    assert "fix: " + RUN_02 in text and workspace.token not in text


def test_a_missing_function_is_reported_not_created(workspace, demo_spec):
    admin = workspace.client()
    admin.functions.delete("main.sales.get_order_status")
    report = diagnose(_connected(workspace), demo_spec, spec_dir=ROOT)
    row = next(f for f in report.findings if f.item == "uc_function main.sales.get_order_status")
    assert row.status == PROBLEM and "does not exist" in row.detail and "notebook 01_setup_tools" in row.fix
    assert "main.sales.get_order_status" not in {f.full_name for f in
                                                 admin.functions.list(catalog_name="main", schema_name="sales")}
    other = next(f for f in report.findings if f.item == "uc_function main.sales.convert_currency")
    assert other.status == OK


def test_cli_exits_non_zero_with_one_line_per_finding(workspace, monkeypatch, capsys):
    monkeypatch.setenv("DATABRICKS_TOKEN", workspace.token)
    code = main(["doctor", "--host", workspace.host, "--spec", str(ROOT / "agent.yml"), "--experiment", ""])
    out = capsys.readouterr().out
    assert code == 1  # the agent's App does not exist yet
    assert out.startswith("agent-lib doctor: ") and "PROBLEM  app" in out and "fix: run notebook 02" in out


def test_a_wrong_token_stops_at_authentication(workspace):
    ws = connect("emulated", host=workspace.host, token="dapi-not-a-token", verify=False)
    report = diagnose(ws, None, spec_dir=ROOT)  # no other check runs, so the spec is never read
    assert [f.area for f in report.findings] == ["authentication"]
    assert report.findings[0].status == PROBLEM and "dapi-not-a-token" not in str(report)
