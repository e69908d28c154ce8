"""Isolation: two users with different grants hammer SQL, Genie and serving at the same time; each
sees exactly what their own grants allow, never the other's, and neither reaches past the sandbox.

alice holds EXECUTE on `main.sales.get_order_status`, CAN_RUN on the demo Genie space and CAN_QUERY
on the Knowledge Assistant's endpoint; bob holds MODIFY on `main.sales.regions` and nothing else.
"""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from databricks.sdk.errors import PermissionDenied
from databricks.sdk.service.catalog import PermissionsChange, Privilege
from databricks.sdk.service.iam import AccessControlRequest, PermissionLevel
from databricks.sdk.service.serving import ServingEndpointAccessControlRequest, ServingEndpointPermissionLevel

from agent_lib.emulator import start
from agent_lib.emulator.core.demo_ids import GENIE_SPACE_ID, KNOWLEDGE_ASSISTANT_ENDPOINT, WAREHOUSE_ID

ROUNDS = 6


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    workspace = start(tmp_path_factory.mktemp("isolation"))
    admin = workspace.client()
    admin.grants.update("function", "main.sales.get_order_status", changes=[PermissionsChange(
        principal="alice@example.com", add=[Privilege.EXECUTE])])
    admin.grants.update("table", "main.sales.regions", changes=[PermissionsChange(
        principal="bob@example.com", add=[Privilege.MODIFY])])
    admin.permissions.update("genie", GENIE_SPACE_ID, access_control_list=[
        AccessControlRequest(user_name="alice@example.com", permission_level=PermissionLevel.CAN_RUN)])
    ep_id = admin.serving_endpoints.get(KNOWLEDGE_ASSISTANT_ENDPOINT).id
    admin.serving_endpoints.update_permissions(ep_id, access_control_list=[ServingEndpointAccessControlRequest(
        user_name="alice@example.com", permission_level=ServingEndpointPermissionLevel.CAN_QUERY)])
    yield workspace
    workspace.stop()


def _sql(w, statement: str) -> str:
    r = w.statement_execution.execute_statement(statement=statement, warehouse_id=WAREHOUSE_ID)
    return r.status.state.value if r.status.error is None else r.status.error.message.split("]")[0] + "]"


def _genie(w) -> str:
    try:
        return w.genie.start_conversation_and_wait(GENIE_SPACE_ID, "How many orders were placed in 2025?").status.value
    except PermissionDenied:
        return "PermissionDenied"


def _serving(host: str, token: str) -> int:
    r = httpx.post(f"{host}/serving-endpoints/responses", timeout=60, headers={"Authorization": f"Bearer {token}"},
                   json={"model": KNOWLEDGE_ASSISTANT_ENDPOINT, "input": "How many days do I have to return a laptop?"})
    return r.status_code


EXPECTED = {
    ("alice", "function"): "SUCCEEDED", ("bob", "function"): "[INSUFFICIENT_PERMISSIONS]",
    ("alice", "write"): "[INSUFFICIENT_PERMISSIONS]", ("bob", "write"): "SUCCEEDED",
    ("alice", "genie"): "COMPLETED", ("bob", "genie"): "PermissionDenied",
    ("alice", "serving"): 200, ("bob", "serving"): 403,
    ("alice", "escape"): "[PARSE_SYNTAX_ERROR]", ("bob", "escape"): "[PARSE_SYNTAX_ERROR]",
    ("alice", "others_statement"): "PermissionDenied", ("bob", "others_statement"): "PermissionDenied",
}


def test_each_user_sees_exactly_their_grants_under_concurrency(ws):
    users = {name: (ws.client(token), token) for name, token in
             (("alice", ws.token_for("alice@example.com")), ("bob", ws.token_for("bob@example.com")))}
    statements = {name: w.statement_execution.execute_statement(statement="SELECT 1", warehouse_id=WAREHOUSE_ID)
                  .statement_id for name, (w, _) in users.items()}
    state_file = ws.state.config.state_path

    def others_statement(name: str, w) -> str:
        other = statements["bob" if name == "alice" else "alice"]
        try:
            w.statement_execution.get_statement(other)
            return "seen"
        except PermissionDenied:
            return "PermissionDenied"

    kinds = {
        "function": lambda name, w, _t: _sql(w, "SELECT * FROM main.sales.get_order_status('SO-10042')"),
        "write": lambda name, w, _t: _sql(w, "UPDATE main.sales.regions SET manager = manager WHERE region = 'APAC'"),
        "genie": lambda name, w, _t: _genie(w),
        "serving": lambda name, w, token: _serving(ws.host, token),
        "escape": lambda name, w, _t: _sql(w, f"/**/ATTACH DATABASE '{state_file}' AS s"),
        "others_statement": lambda name, w, _t: others_statement(name, w),
    }
    jobs = [(name, kind) for _ in range(ROUNDS) for name in users for kind in kinds]
    random.Random(13).shuffle(jobs)

    def run(job: tuple[str, str]) -> tuple[str, str, object]:
        name, kind = job
        w, token = users[name]
        return name, kind, kinds[kind](name, w, token)

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(run, jobs))
    wrong = [(name, kind, got) for name, kind, got in outcomes if got != EXPECTED[(name, kind)]]
    assert not wrong, wrong
    assert len(outcomes) == ROUNDS * len(EXPECTED)
