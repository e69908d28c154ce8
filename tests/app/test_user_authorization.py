"""User authorization through the emulator's front proxy: two users with different permissions send
interleaved concurrent requests to one deployed App; each gets exactly what their own permissions
allow (the other's tool answers PERMISSION_DENIED for that tool only), and no token crosses requests."""

from __future__ import annotations

import json
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
import yaml

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
SPACE = "01f0c0ffee5a1e5d4a7a5e5a1e5c0de1"
FUNCTION = "main.sales.get_order_status"
ORDER_Q = "What is the status of order SO-10042?"
SALES_Q = "Which region had the highest total revenue?"


@pytest.fixture(scope="module")
def user_app(emulator, admin, tmp_path_factory):
    from databricks.sdk.service.apps import AppPermissionLevel
    from databricks.sdk.service.catalog import PermissionsChange, Privilege, SecurableType
    from databricks.sdk.service.iam import AccessControlRequest, PermissionLevel

    from agent_lib.deploy import DeployOptions, deploy_app
    from agent_lib.workspace import Workspace

    demo = yaml.safe_load((ROOT / "agent.yml").read_text())
    tools = [t for t in demo["tools"] if "genie_space" in t or t.get("uc_function", {}).get("name") == FUNCTION]
    name = f"t-obo-{uuid.uuid4().hex[:6]}"
    spec = tmp_path_factory.mktemp("obo") / "agent.yml"
    spec.write_text(yaml.safe_dump({**demo, "name": name, "authorization": "user", "tools": tools}))
    orders, sales = f"orders-{name}@example.com", f"sales-{name}@example.com"
    for user in (orders, sales):
        emulator.token_for(user, ["all-apis"])  # the users exist from here on
    admin.grants.update(SecurableType.FUNCTION.value, FUNCTION, changes=[PermissionsChange(
        principal=orders, add=[Privilege.EXECUTE])])
    admin.grants.update(SecurableType.CATALOG.value, "main", changes=[
        PermissionsChange(principal=u, add=[Privilege.USE_CATALOG]) for u in (orders, sales)])
    admin.grants.update(SecurableType.SCHEMA.value, "main.sales", changes=[
        PermissionsChange(principal=u, add=[Privilege.USE_SCHEMA]) for u in (orders, sales)])
    admin.permissions.update("genie", SPACE, access_control_list=[AccessControlRequest(
        user_name=sales, permission_level=PermissionLevel.CAN_RUN)])
    admin.permissions.update("serving-endpoints", _endpoint_id(admin, demo["model"]), access_control_list=[
        AccessControlRequest(user_name=u, permission_level=PermissionLevel.CAN_QUERY) for u in (orders, sales)])
    result = deploy_app(Workspace(admin, "emulated"), DeployOptions(
        spec_path=spec, source_dir=ROOT / "app", smoke_question="hello"))
    admin.apps.update_permissions(name, access_control_list=[AccessControlRequest(
        user_name=u, permission_level=AppPermissionLevel.CAN_USE) for u in (orders, sales)])
    yield result, orders, sales
    admin.apps.delete(name)
    emulator.reset()  # the grants, ACLs and users above would leak into later modules' tests


def _endpoint_id(admin, name):
    return admin.serving_endpoints.get(name).id


def _ask(url, token, question):
    r = httpx.post(f"{url}/invocations", json={"input": question}, timeout=180,
                   headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200, r.text
    return r.json()


def _tool_outputs(body):
    calls = {o["call_id"]: o["name"] for o in body["output"] if o["type"] == "function_call"}
    return {calls[o["call_id"]]: o["output"] for o in body["output"] if o["type"] == "function_call_output"}


def test_each_user_gets_exactly_their_permissions_under_concurrency(user_app, emulator):
    result, orders, sales = user_app
    tokens = {u: emulator.token_for(u, ["all-apis"]) for u in (orders, sales)}
    jobs = [(u, q) for _ in range(3) for u in (orders, sales) for q in (ORDER_Q, SALES_Q)]
    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        answers = list(pool.map(lambda job: (job, _ask(result.url, tokens[job[0]], job[1])), jobs))
    function_tool, genie_tool = "main__sales__get_order_status", f"genie_{SPACE[:8]}"
    for (user, question), body in answers:
        outputs = _tool_outputs(body)
        text = json.dumps(body)
        assert all(t not in text for t in tokens.values())  # no token in any answer
        if question == ORDER_Q:
            out = outputs[function_tool]
            if user == orders:
                assert "delivered" in out, (user, out)
            else:
                # the managed MCP server serves this user no function: the call says so, naming the grant
                assert "not available to this caller" in out and "EXECUTE" in out, (user, out)
                assert "Config:" not in out  # the cause, not the SDK's configuration dump
        else:
            (tool,) = [n for n in outputs if n.startswith("genie_")] or [genie_tool]
            out = outputs[tool]
            if user == sales:
                assert "error" not in json.loads(out) if out.startswith("{") else True, (user, out)
                assert "PERMISSION_DENIED" not in out
            else:
                assert "PermissionDenied (403)" in out and orders in out and sales not in out, (user, out)
                assert "Config:" not in out
