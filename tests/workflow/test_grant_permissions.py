"""Notebook 02's library against the emulated workspace, through the real SDK: plan, apply, re-apply."""

from __future__ import annotations

from pathlib import Path

import pytest
from databricks.sdk.service import apps, iam

from agent_lib.emulator.core.demo_ids import GENIE_SPACE_ID, HELPDESK_APP, WAREHOUSE_ID
from agent_lib.errors import ResourceError, SpecError
from agent_lib.grants import ADDED, PRESENT, TO_ADD, UNVERIFIED, apply_grants, plan_grants
from agent_lib.spec import app_user_scopes, apply_overrides, spec_from_dict, user_scopes

ROOT = Path(__file__).resolve().parents[2]
ALICE, BOB, CAROL = "alice@example.com", "bob@example.com", "carol@example.com"


def _sp_client(workspace, app_name: str):
    """A client acting as the App's service principal (its own token, as a deployed App gets)."""
    admin = workspace.client()
    app_id = admin.apps.get(app_name).service_principal_client_id
    doc = workspace.state.identities.find("service_principal", app_id)
    return workspace.client(workspace.state.identities.issue(doc["id"]))


def _denied(outcomes: dict[str, str]) -> dict[str, bool]:
    return {tool: out.startswith("denied") for tool, out in outcomes.items()}


def test_the_apps_identity_is_denied_every_tool_until_apply_and_a_second_apply_changes_nothing(call_each_tool,
        workspace, demo_spec):
    admin = workspace.client()
    admin.apps.create_and_wait(apps.App(name=demo_spec.name))  # as a bundle deploy would have made it
    sp = _sp_client(workspace, demo_spec.name)
    before = call_each_tool(sp, demo_spec, warehouse_id=WAREHOUSE_ID)
    assert all(_denied(before).values()), before
    # each a permission refusal (databricks-openai rewords the App's PermissionDenied, keeping the reason)
    assert all(any(m in out for m in ("PermissionDenied", "PERMISSION_DENIED", "does not have CAN_USE"))
               for out in before.values()), before

    plan = plan_grants(admin, demo_spec, experiment_id="42")
    assert plan.changes > 0 and not plan.problems
    result = apply_grants(admin, plan, dry_run=False)
    assert not result.problems, str(result)
    statuses = {r.status for r in result.rows}
    assert ADDED in statuses and TO_ADD not in statuses
    after = call_each_tool(sp, demo_spec, warehouse_id=WAREHOUSE_ID)
    assert not any(_denied(after).values()), after
    assert after["uc_function main.sales.convert_currency"] == "ok: 92.0"

    again = plan_grants(admin, demo_spec, experiment_id="42")
    assert again.changes == 0 and {r.status for r in again.rows} <= {PRESENT, UNVERIFIED}
    assert apply_grants(admin, again, dry_run=False).changes == 0
    declared = {r.name for r in admin.apps.get(demo_spec.name).resources}
    assert {"model-endpoint", "experiment", "sql-warehouse", "connection-ticketing"} <= declared


def test_a_missing_app_is_created_without_deploying_and_dry_run_changes_nothing(workspace, demo_spec):
    admin = workspace.client()
    plan = plan_grants(admin, demo_spec)
    assert plan.rows[0].permission == "create (not deployed)" and plan.rows[0].status == TO_ADD
    assert "the App is created on apply" in str(plan)
    assert apply_grants(admin, plan, dry_run=True) == plan
    assert not any(a.name == demo_spec.name for a in admin.apps.list())
    result = apply_grants(admin, plan, dry_run=False)
    assert result.rows[0].status == ADDED and not result.problems
    app = admin.apps.get(demo_spec.name)
    assert app.active_deployment is None and app.service_principal_client_id
    assert plan_grants(admin, demo_spec).changes == 0


def test_apply_adds_only_and_keeps_what_others_granted_or_declared(workspace, demo_spec):
    admin = workspace.client()
    admin.apps.create_and_wait(apps.App(name=demo_spec.name, resources=[apps.AppResource(
        name="their-endpoint", serving_endpoint=apps.AppResourceServingEndpoint(
            name="databricks-claude-haiku-4-5",
            permission=apps.AppResourceServingEndpointServingEndpointPermission.CAN_QUERY))]))
    workspace.token_for(CAROL)  # makes carol a user of the workspace
    admin.permissions.update("genie", GENIE_SPACE_ID, access_control_list=[
        iam.AccessControlRequest(user_name=CAROL, permission_level=iam.PermissionLevel.CAN_EDIT)])
    apply_grants(admin, plan_grants(admin, demo_spec), dry_run=False)
    names = {r.name for r in admin.apps.get(demo_spec.name).resources}
    assert "their-endpoint" in names and "model-endpoint" in names
    acl = admin.permissions.get("genie", GENIE_SPACE_ID).access_control_list
    assert any(e.user_name == CAROL for e in acl)


def test_user_authorization_scopes_per_tool_type_and_grants_for_two_users(workspace, demo_spec, call_each_tool):
    admin = workspace.client()
    data = apply_overrides(demo_spec.to_dict(), {"authorization": "user"})
    data["tools"] = [t for t in data["tools"]
                     if t["type"] != "app" and t.get("uc_function", {}).get("name") != "main.sales.convert_currency"]
    spec = spec_from_dict(data)
    assert user_scopes(spec) == ["ai-gateway", "catalog.connections", "genie", "mcp.functions", "model-serving"]
    plan = plan_grants(admin, spec, users=[ALICE, BOB])
    scope_rows = [r for r in plan.rows if r.resource.endswith("user_api_scopes")]
    assert [r.permission for r in scope_rows] == app_user_scopes(spec)  # the same list deploy and the bundle use
    assert {r.principal for r in plan.rows if r.resource.startswith("Genie")} == {f"user {ALICE}", f"user {BOB}"}
    result = apply_grants(admin, plan, dry_run=False)
    assert not result.problems, str(result)
    app = admin.apps.get(spec.name)
    assert set(app_user_scopes(spec)) <= set(app.effective_user_api_scopes)
    assert [r.name for r in app.resources] == ["model-endpoint"]  # tools run as the user, not the App
    for user in (ALICE, BOB):
        client = workspace.client(workspace.token_for(user, scopes=list(app.effective_user_api_scopes)))
        outcomes = call_each_tool(client, spec)
        assert not any(_denied(outcomes).values()), (user, outcomes)
        other = spec_from_dict({**data, "tools": [{"uc_function": {
            "name": "main.sales.convert_currency", "description": "Converts money."}}]})
        assert all(_denied(call_each_tool(client, other)).values())  # not granted: still refused
    carol = workspace.client(workspace.token_for(CAROL, scopes=list(app.effective_user_api_scopes)))
    assert all(_denied(call_each_tool(carol, spec)).values())  # not in the list: nothing granted
    assert plan_grants(admin, spec, users=[ALICE, BOB]).changes == 0


def test_an_app_tool_is_refused_under_user_authorization():
    with pytest.raises(SpecError) as err:
        spec_from_dict({"model": "m", "authorization": "user",
                        "tools": [{"app": {"name": HELPDESK_APP, "description": "IT help."}}]})
    assert err.value.field == "tools[0].app" and "authorization: app" in err.value.fix


def test_an_unknown_principal_fails_before_any_change(workspace, demo_spec):
    admin = workspace.client()
    with pytest.raises(ResourceError) as err:
        plan_grants(admin, demo_spec, users=["nobody@example.com"])
    assert err.value.resource == "principal 'nobody@example.com'" and "spelling" in err.value.fix
    with pytest.raises(ResourceError, match="no group of that name"):
        plan_grants(admin, demo_spec, users=["no-such-group"])
    assert not any(a.name == demo_spec.name for a in admin.apps.list())


def test_a_tool_the_caller_cannot_see_is_a_problem_row_not_a_half_applied_plan(workspace):
    spec = spec_from_dict({"model": "databricks-claude-sonnet-4-5", "tools": [{"knowledge_assistant": {
        "knowledge_assistant_id": "00000000-0000-0000-0000-000000000000", "description": "Gone."}}]})
    plan = plan_grants(workspace.client(), spec)
    problem = next(r for r in plan.rows if r.status == "problem")
    assert "knowledge_assistant" in problem.resource and "Fix:" in problem.reason
    with pytest.raises(Exception, match="grant permissions: 1 problem"):
        plan.raise_for_problems()


def test_the_demo_spec_files_are_found_from_the_repository_root():
    assert (ROOT / "agent.yml").is_file()


def test_a_level_the_resource_type_does_not_have_and_an_app_without_principal_are_named_errors():
    from agent_lib.grants import Grant
    from agent_lib.grants.app import app_principal

    with pytest.raises(ResourceError) as err:
        Grant("app", "acl", "genie", GENIE_SPACE_ID, "Genie space x", "CAN_QUERY", "why")
    assert "CAN_QUERY is not a permission a genie has" in str(err.value) and "CAN_RUN" in err.value.fix
    with pytest.raises(ResourceError, match="EXECUTE"):
        Grant("app", "uc", "connection", "ticketing", "connection ticketing", "EXECUTE", "why")
    with pytest.raises(ResourceError) as err:
        app_principal(None, apps.App(name="half-made"))
    assert err.value.resource == "App half-made" and "service principal" in err.value.problem
