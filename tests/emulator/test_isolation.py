"""Isolation: two users with different grants hammer SQL, Genie, serving, Apps and the Supervisor
route at the same time; each sees exactly what their own grants allow, never the other's, and
neither reaches past the sandbox.

alice holds EXECUTE on `main.sales.get_order_status`, CAN_RUN on the demo Genie space, CAN_QUERY
on the Knowledge Assistant's endpoint, SELECT on `main.hr.salaries` and CAN_USE on both Apps; bob
holds MODIFY on `main.sales.regions`, SELECT on `main.hr.reviews` and CAN_USE on the `sql` App only.
The `sql` App runs a statement with the user token the front proxy forwards (user authorization),
so what it returns is the asking user's; the Supervisor route runs each caller's tools as them.
"""

from __future__ import annotations

import random
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import httpx
import pytest
from databricks.sdk.errors import PermissionDenied
from databricks.sdk.service.apps import App, AppAccessControlRequest, AppDeployment, AppPermissionLevel
from databricks.sdk.service.catalog import PermissionsChange, Privilege
from databricks.sdk.service.iam import AccessControlRequest, PermissionLevel
from databricks.sdk.service.serving import ServingEndpointAccessControlRequest, ServingEndpointPermissionLevel
from databricks.sdk.service.workspace import ImportFormat

from agent_lib.emulator import start
from agent_lib.emulator.core.demo_ids import GENIE_SPACE_ID, KNOWLEDGE_ASSISTANT_ENDPOINT, WAREHOUSE_ID
from agent_lib.emulator.warehouse import Column

ROUNDS = 6
SALARIES, REVIEWS = "main.hr.salaries", "main.hr.reviews"
UC_TOOL = {"type": "uc_function", "uc_function": {"name": "main.sales.get_order_status",
                                                  "description": "Look up one order by its id."}}

# An App that runs a statement on the user's behalf: the token the front proxy forwarded, nothing else.
SQL_APP = r'''
import json, os, urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class H(BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def do_GET(self):  # the health check
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_POST(self):
        statement = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
        request = urllib.request.Request(
            os.environ["DATABRICKS_HOST"] + "/api/2.0/sql/statements", method="POST",
            data=json.dumps({"statement": statement, "warehouse_id": os.environ["WAREHOUSE_ID"]}).encode(),
            headers={"Authorization": "Bearer " + self.headers["X-Forwarded-Access-Token"],
                     "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=60) as r:
            data = r.read()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


ThreadingHTTPServer(("127.0.0.1", int(os.environ["DATABRICKS_APP_PORT"])), H).serve_forever()
'''
APP_YAML = f"command: [python, app.py]\nenv:\n  - name: WAREHOUSE_ID\n    value: {WAREHOUSE_ID}\n"


def _deploy(admin, name: str, users: tuple[str, ...]) -> App:
    folder = f"/Users/admin@example.com/{name}"
    admin.workspace.mkdirs(folder)
    admin.workspace.upload(f"{folder}/app.py", SQL_APP.encode(), format=ImportFormat.AUTO, overwrite=True)
    admin.workspace.upload(f"{folder}/app.yaml", APP_YAML.encode(), format=ImportFormat.AUTO, overwrite=True)
    wait = timedelta(seconds=60)
    admin.apps.create_and_wait(App(name=name, user_api_scopes=["sql"]), timeout=wait)
    admin.apps.deploy_and_wait(name, AppDeployment(source_code_path=folder), timeout=wait)
    admin.apps.update_permissions(name, access_control_list=[AppAccessControlRequest(
        user_name=user, permission_level=AppPermissionLevel.CAN_USE) for user in users])
    return admin.apps.get(name)


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
    admin.schemas.create("hr", "main")
    workspace.state.warehouse.create_table(SALARIES, [Column("employee_id", "INT"), Column("salary", "INT")],
                                           [(1, 5000), (2, 7000)])
    workspace.state.warehouse.create_table(REVIEWS, [Column("employee_id", "INT"), Column("rating", "STRING")],
                                           [(1, "exceeds"), (2, "meets"), (3, "new")])
    for user, table in (("alice@example.com", SALARIES), ("bob@example.com", REVIEWS)):
        admin.grants.update("schema", "main.hr", changes=[PermissionsChange(principal=user, add=[Privilege.USE_SCHEMA])])
        admin.grants.update("table", table, changes=[PermissionsChange(principal=user, add=[Privilege.SELECT])])
    tag = uuid.uuid4().hex[:6]
    workspace.apps = {"sql": _deploy(admin, f"iso-sql-{tag}", ("alice@example.com", "bob@example.com")).url,
                      "alice_only": _deploy(admin, f"iso-alice-{tag}", ("alice@example.com",)).url}
    yield workspace
    workspace.stop()


def _oauth(ws, user: str) -> str:
    """A user's OAuth token, as a browser session holds it (the Apps proxy takes no PAT)."""
    doc = ws.state.identities.find("user", user)
    return ws.state.identities.issue(doc["id"], kind="oauth", scopes=["all-apis"])


def _app(url: str, oauth: str, statement: str) -> str:
    r = httpx.post(url, content=statement, headers={"Authorization": f"Bearer {oauth}"}, timeout=60)
    if r.status_code != 200:
        return str(r.status_code)
    status = r.json()["status"]
    if status["state"] == "SUCCEEDED":
        return "SUCCEEDED " + str(r.json()["result"]["data_array"])
    return status["error"]["message"].split("]")[0] + "]"


def _supervisor(host: str, token: str) -> str:
    """Which answer the caller's own tool call got: the order's status, or the missing grant."""
    r = httpx.post(f"{host}/ai-gateway/mlflow/v1/responses", timeout=120, headers={"Authorization": f"Bearer {token}"},
                   json={"model": "databricks-claude-haiku-4-5", "input": "Where is order SO-10042?",
                         "tools": [UC_TOOL]})
    outputs = [item["output"] for item in r.json()["output"] if item["type"] == "function_call_output"]
    if r.status_code != 200 or len(outputs) != 1:
        return f"{r.status_code} {outputs}"
    return "delivered" if "delivered" in outputs[0] else "EXECUTE grant" if "EXECUTE grant" in outputs[0] else outputs[0]


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
    ("alice", "own_table"): "SUCCEEDED", ("bob", "own_table"): "SUCCEEDED",
    ("alice", "others_table"): "[INSUFFICIENT_PERMISSIONS]", ("bob", "others_table"): "[INSUFFICIENT_PERMISSIONS]",
    ("alice", "others_table_joined"): "[INSUFFICIENT_PERMISSIONS]",
    ("bob", "others_table_joined"): "[INSUFFICIENT_PERMISSIONS]",
    ("alice", "app_sql"): "SUCCEEDED [['12000']]", ("bob", "app_sql"): "[INSUFFICIENT_PERMISSIONS]",
    ("alice", "app_alice_only"): "SUCCEEDED [['12000']]", ("bob", "app_alice_only"): "403",
    ("alice", "supervisor"): "delivered", ("bob", "supervisor"): "EXECUTE grant",
}
OWN = {"alice": SALARIES, "bob": REVIEWS}
OTHERS = {"alice": REVIEWS, "bob": SALARIES}


def test_each_user_sees_exactly_their_grants_under_concurrency(ws):
    users = {name: (ws.client(token), token) for name, token in
             (("alice", ws.token_for("alice@example.com")), ("bob", ws.token_for("bob@example.com")))}
    oauth = {name: _oauth(ws, f"{name}@example.com") for name in users}
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
        "own_table": lambda name, w, _t: _sql(w, f"SELECT count(*) FROM {OWN[name]}"),
        "others_table": lambda name, w, _t: _sql(w, f"SELECT * FROM {OTHERS[name]}"),
        "others_table_joined": lambda name, w, _t: _sql(
            w, f"SELECT count(*) FROM {OWN[name]} JOIN {OTHERS[name]} USING (employee_id)"),
        "app_sql": lambda name, w, _t: _app(ws.apps["sql"], oauth[name], f"SELECT sum(salary) FROM {SALARIES}"),
        "app_alice_only": lambda name, w, _t: _app(ws.apps["alice_only"], oauth[name],
                                                   f"SELECT sum(salary) FROM {SALARIES}"),
        "supervisor": lambda name, w, token: _supervisor(ws.host, token),
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
