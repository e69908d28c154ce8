"""Apps API through the real SDK: lifecycle, waiters, resources granted to the App's service
principal, permissions, deployments that really run (and fail), stop/start, restart."""

from __future__ import annotations

import os
import time
import uuid
from datetime import timedelta

import httpx
import pytest
from databricks.sdk.errors import (
    BadRequest,
    InvalidParameterValue,
    NotFound,
    OperationFailed,
    PermissionDenied,
    ResourceAlreadyExists,
)
from databricks.sdk.service.apps import (
    App,
    AppAccessControlRequest,
    AppDeployment,
    AppDeploymentState,
    ApplicationState,
    AppPermissionLevel,
    AppResource,
    AppResourceApp,
    AppResourceAppAppPermission,
    AppResourceExperiment,
    AppResourceExperimentExperimentPermission,
    AppResourceGenieSpace,
    AppResourceGenieSpaceGenieSpacePermission,
    AppResourceServingEndpoint,
    AppResourceServingEndpointServingEndpointPermission,
    AppResourceUcSecurable,
    AppResourceUcSecurableUcSecurablePermission,
    AppResourceUcSecurableUcSecurableType,
    ComputeState,
    EnvVar,
)
from databricks.sdk.service.workspace import ImportFormat

from agent_lib.emulator.core import demo_ids
from agent_lib.emulator.core.access import principal_key

pytestmark = pytest.mark.slow

WAIT = timedelta(seconds=30)

# A tiny stdlib App: /env reports what the runner gave it (never the secret itself).
ENV_APP = r'''
import json, os, sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

print("env app booting", flush=True)

class H(BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def do_GET(self):
        keys = ["DATABRICKS_HOST", "DATABRICKS_CLIENT_ID", "DATABRICKS_APP_PORT", "DATABRICKS_APP_NAME",
                "DATABRICKS_WORKSPACE_ID", "DATABRICKS_TOKEN", "PORT", "SERVING_ENDPOINT", "GREETING",
                "DATABRICKS_APP_URL"]
        body = {k: os.environ.get(k) for k in keys}
        body["has_secret"] = bool(os.environ.get("DATABRICKS_CLIENT_SECRET"))
        body["python"] = sys.executable
        body["pid"] = os.getpid()
        body["argv"] = sys.argv
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

ThreadingHTTPServer(("127.0.0.1", int(os.environ["DATABRICKS_APP_PORT"])), H).serve_forever()
'''

ENV_APP_YAML = b"""command: ["python", "app.py", "--port", "$DATABRICKS_APP_PORT"]
env:
  - name: GREETING
    value: hello
  - name: SERVING_ENDPOINT
    valueFrom: llm
"""

CRASH_APP = b"""import sys
print("booting the helpdesk...", flush=True)
print("ValueError: could not load the FAQ index", file=sys.stderr, flush=True)
sys.exit(3)
"""


def _name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def _upload(w, folder: str, files: dict[str, bytes]) -> str:
    w.workspace.mkdirs(folder)
    for rel, data in files.items():
        w.workspace.upload(f"{folder}/{rel}", data, format=ImportFormat.AUTO, overwrite=True)
    return folder


def _oauth_token(emulator, user: str = "admin@example.com", scopes=("all-apis",)) -> str:
    doc = emulator.state.identities.find("user", user)
    return emulator.state.identities.issue(doc["id"], kind="oauth", scopes=list(scopes))


def _sp(emulator, app):
    """The App's service principal as a Principal (to ask the access rules about it)."""
    token = emulator.state.identities.issue(str(app.service_principal_id), kind="oauth", scopes=["all-apis"])
    return emulator.state.identities.resolve(token)


def _process(emulator, name):
    from agent_lib.emulator.apps import process

    return process.runtime(emulator.state).processes.get(name)


@pytest.fixture
def cleanup(admin):
    names: list[str] = []
    yield names
    for n in names:
        try:
            admin.apps.delete(n)
        except NotFound:
            pass


# -- create / get / list / update / delete --------------------------------------------------------
def test_create_and_wait_fills_service_principal_and_status(emulator, admin, cleanup):
    name = _name("t-create")
    cleanup.append(name)
    waiter = admin.apps.create(App(name=name, description="demo",
                                   user_api_scopes=["serving.serving-endpoints", "sql"]))
    assert waiter.response.compute_status.state == ComputeState.ACTIVE  # no wait: the waiter returns at once
    app = waiter.result(timeout=WAIT)
    assert app.compute_status.state == ComputeState.ACTIVE
    assert app.app_status.state == ApplicationState.UNAVAILABLE
    assert app.creator == "admin@example.com" and app.id and app.create_time
    assert app.service_principal_name == f"app-{name}"
    sp = emulator.state.identities.find("service_principal", app.service_principal_client_id)
    assert sp is not None and int(sp["id"]) == app.service_principal_id
    raw = httpx.get(f"{emulator.host}/api/2.0/apps/{name}",
                    headers={"Authorization": f"Bearer {emulator.token}"}).json()
    assert raw["oauth2_app_client_id"] and not any(k.startswith("_") for k in raw)
    assert app.user_api_scopes == ["serving.serving-endpoints", "sql"]
    assert set(app.effective_user_api_scopes) >= {"serving.serving-endpoints", "sql", "iam.current-user:read"}
    assert app.url.startswith("http://127.0.0.1:")
    assert emulator.state.acls.get("apps", name)["owner"] == "user:admin@example.com"
    assert name in [a.name for a in admin.apps.list()]

    updated = admin.apps.update(name, App(name=name, description="changed"))
    assert updated.description == "changed"
    assert updated.user_api_scopes == ["serving.serving-endpoints", "sql"]
    upd = admin.apps.create_update_and_wait(name, "user_api_scopes",
                                            app=App(name=name, user_api_scopes=["sql"]), timeout=WAIT)
    assert upd.user_api_scopes == ["sql"]
    assert admin.apps.get(name).user_api_scopes == ["sql"]

    admin.apps.delete(name)
    with pytest.raises(NotFound):
        admin.apps.get(name)
    assert emulator.state.identities.find("service_principal", app.service_principal_client_id) is None


@pytest.mark.parametrize("bad", ["Upper", "has_underscore", "-lead", "x", "a" * 31, "trail-"])
def test_bad_names_are_rejected(admin, bad):
    with pytest.raises(InvalidParameterValue, match="name"):
        admin.apps.create(App(name=bad))


def test_duplicate_name_is_409(emulator, admin, cleanup):
    name = _name("t-dup")
    cleanup.append(name)
    admin.apps.create_and_wait(App(name=name), timeout=WAIT)
    with pytest.raises(ResourceAlreadyExists):
        admin.apps.create(App(name=name))
    r = httpx.post(f"{emulator.host}/api/2.0/apps", json={"name": name},
                   headers={"Authorization": f"Bearer {emulator.token}"})
    assert r.status_code == 409 and r.json()["error_code"] == "RESOURCE_ALREADY_EXISTS"


def test_bad_resources_and_unknown_fields(emulator, admin):
    h = {"Authorization": f"Bearer {emulator.token}"}
    r = httpx.post(f"{emulator.host}/api/2.0/apps", headers=h,
                   json={"name": _name("t-bad"),
                         "resources": [{"name": "x", "serving_endpoint": {"name": "e"}}]})
    assert r.status_code == 400 and "resources[0].serving_endpoint.permission" in r.json()["message"]
    r = httpx.post(f"{emulator.host}/api/2.0/apps", headers=h, json={"name": _name("t-bad"), "colour": "red"})
    assert r.status_code == 400 and "colour" in r.json()["message"]
    assert httpx.get(f"{emulator.host}/api/2.0/apps").status_code == 401


# -- resources grant the App's service principal ----------------------------------------------------
def test_resources_grant_and_revoke_for_the_service_principal(emulator, admin, cleanup):
    from agent_lib.emulator.serving.models import endpoint_id

    state = emulator.state
    name = _name("t-res")
    cleanup.append(name)
    llm = "databricks-claude-sonnet-4-5"
    fn = demo_ids.FUNCTIONS[0]
    resources = [
        AppResource(name="llm", serving_endpoint=AppResourceServingEndpoint(
            name=llm, permission=AppResourceServingEndpointServingEndpointPermission.CAN_QUERY)),
        AppResource(name="genie", genie_space=AppResourceGenieSpace(
            name="sales", space_id=demo_ids.GENIE_SPACE_ID,
            permission=AppResourceGenieSpaceGenieSpacePermission.CAN_RUN)),
        AppResource(name="fn", uc_securable=AppResourceUcSecurable(
            securable_full_name=fn, securable_type=AppResourceUcSecurableUcSecurableType.FUNCTION,
            permission=AppResourceUcSecurableUcSecurablePermission.EXECUTE)),
        AppResource(name="conn", uc_securable=AppResourceUcSecurable(
            securable_full_name=demo_ids.CONNECTION,
            securable_type=AppResourceUcSecurableUcSecurableType.CONNECTION,
            permission=AppResourceUcSecurableUcSecurablePermission.USE_CONNECTION)),
        AppResource(name="helpdesk", app=AppResourceApp(name=demo_ids.HELPDESK_APP,
                                                        permission=AppResourceAppAppPermission.CAN_USE)),
        AppResource(name="exp", experiment=AppResourceExperiment(
            experiment_id="4242", permission=AppResourceExperimentExperimentPermission.CAN_EDIT)),
    ]
    app = admin.apps.create_and_wait(App(name=name, resources=resources), timeout=WAIT)
    sp = _sp(emulator, app)
    key = principal_key("service_principal", app.service_principal_client_id)
    assert state.acls.allows(sp, "serving-endpoints", endpoint_id(llm), "CAN_QUERY")
    assert state.acls.get("serving-endpoints", endpoint_id(llm))["entries"][key] == ["CAN_QUERY"]
    assert state.acls.allows(sp, "genie", demo_ids.GENIE_SPACE_ID, "CAN_RUN")
    assert not state.acls.allows(sp, "genie", demo_ids.GENIE_SPACE_ID, "CAN_EDIT")
    assert state.grants.has(sp, "function", fn, "EXECUTE")  # USE_CATALOG / USE_SCHEMA came with it
    assert state.grants.has(sp, "connection", demo_ids.CONNECTION, "USE_CONNECTION")
    assert state.acls.allows(sp, "apps", demo_ids.HELPDESK_APP, "CAN_USE")
    assert state.acls.allows(sp, "experiments", "4242", "CAN_EDIT")
    # the permissions API shows the grant too
    perms = admin.permissions.get("serving-endpoints", endpoint_id(llm))
    assert any(e.service_principal_name == app.service_principal_client_id for e in perms.access_control_list)

    # dropping resources revokes what they granted
    admin.apps.update(name, App(name=name, resources=resources[:1]))
    assert state.acls.allows(sp, "serving-endpoints", endpoint_id(llm), "CAN_QUERY")
    assert not state.acls.allows(sp, "genie", demo_ids.GENIE_SPACE_ID, "CAN_RUN")
    assert not state.grants.has(sp, "function", fn, "EXECUTE")
    assert not state.acls.allows(sp, "apps", demo_ids.HELPDESK_APP, "CAN_USE")
    admin.apps.delete(name)
    assert key not in state.acls.get("serving-endpoints", endpoint_id(llm))["entries"]


# -- permissions ------------------------------------------------------------------------------------
def test_users_need_can_use_to_see_and_can_manage_to_change(emulator, admin, alice, cleanup):
    name = _name("t-perm")
    cleanup.append(name)
    admin.apps.create_and_wait(App(name=name), timeout=WAIT)
    with pytest.raises(PermissionDenied):
        alice.apps.get(name)
    assert name not in [a.name for a in alice.apps.list()]
    admin.apps.update_permissions(name, access_control_list=[AppAccessControlRequest(
        user_name="alice@example.com", permission_level=AppPermissionLevel.CAN_USE)])
    assert alice.apps.get(name).name == name
    with pytest.raises(PermissionDenied):
        alice.apps.stop(name)
    with pytest.raises(PermissionDenied):
        alice.apps.deploy(name, AppDeployment(source_code_path="/Shared"))
    with pytest.raises(NotFound):
        alice.apps.get(_name("t-missing"))


# -- deployments really run ---------------------------------------------------------------------------
def test_deploy_runs_the_app_with_an_apps_environment(emulator, admin, cleanup):
    name = _name("t-run")
    cleanup.append(name)
    folder = _upload(admin, f"/Workspace/Users/admin@example.com/{name}",
                     {"app.py": ENV_APP.encode(), "app.yaml": ENV_APP_YAML})
    app = admin.apps.create_and_wait(App(name=name, resources=[AppResource(
        name="llm", serving_endpoint=AppResourceServingEndpoint(
            name="databricks-claude-haiku-4-5",
            permission=AppResourceServingEndpointServingEndpointPermission.CAN_QUERY))]), timeout=WAIT)
    dep = admin.apps.deploy_and_wait(name, AppDeployment(source_code_path=folder), timeout=WAIT)
    assert dep.status.state == AppDeploymentState.SUCCEEDED
    got = admin.apps.get(name)
    assert got.active_deployment.deployment_id == dep.deployment_id
    assert got.app_status.state == ApplicationState.RUNNING
    assert got.default_source_code_path == folder
    assert [d.deployment_id for d in admin.apps.list_deployments(name)] == [dep.deployment_id]

    env = httpx.get(f"{app.url}/", headers={"Authorization": f"Bearer {_oauth_token(emulator)}"}).json()
    assert env["DATABRICKS_HOST"] == emulator.host
    assert env["DATABRICKS_CLIENT_ID"] == app.service_principal_client_id and env["has_secret"]
    assert env["DATABRICKS_APP_NAME"] == name and env["DATABRICKS_WORKSPACE_ID"]
    assert env["DATABRICKS_APP_PORT"] == env["PORT"] and env["argv"][-1] == env["DATABRICKS_APP_PORT"]
    assert env["DATABRICKS_TOKEN"] is None  # never the admin's or the parent's token
    assert env["GREETING"] == "hello" and env["SERVING_ENDPOINT"] == "databricks-claude-haiku-4-5"
    assert env["DATABRICKS_APP_URL"] == app.url
    assert os.path.realpath(env["python"]) == os.path.realpath(__import__("sys").executable)

    # a new deployment with command / env_vars overrides replaces the process
    old_pid = env["pid"]
    dep2 = admin.apps.deploy_and_wait(name, AppDeployment(
        source_code_path=folder, command=["python", "app.py", "second"],
        env_vars=[EnvVar(name="GREETING", value="bonjour")]), timeout=WAIT)
    env2 = httpx.get(f"{app.url}/", headers={"Authorization": f"Bearer {_oauth_token(emulator)}"}).json()
    assert env2["GREETING"] == "bonjour" and env2["argv"][-1] == "second" and env2["pid"] != old_pid
    assert _gone(old_pid)
    assert admin.apps.get(name).active_deployment.deployment_id == dep2.deployment_id

    # stop kills the process group; the proxy answers 503; start brings it back
    pid = env2["pid"]
    stopped = admin.apps.stop_and_wait(name, timeout=WAIT)
    assert stopped.compute_status.state == ComputeState.STOPPED
    assert _gone(pid)
    r = httpx.get(f"{app.url}/", headers={"Authorization": f"Bearer {_oauth_token(emulator)}"})
    assert r.status_code == 503
    with pytest.raises((InvalidParameterValue, BadRequest)):
        admin.apps.deploy(name, AppDeployment(source_code_path=folder))
    started = admin.apps.start_and_wait(name, timeout=WAIT)
    assert started.compute_status.state == ComputeState.ACTIVE
    env3 = httpx.get(f"{app.url}/", headers={"Authorization": f"Bearer {_oauth_token(emulator)}"},
                     timeout=30).json()
    assert env3["pid"] != pid and env3["GREETING"] == "bonjour"

    # deleting the App stops its process
    admin.apps.delete(name)
    assert _gone(env3["pid"])


def _gone(pid: int, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        try:  # a zombie (not yet reaped) counts as gone
            with open(f"/proc/{pid}/stat") as fh:
                if fh.read().split(")")[-1].split()[0] == "Z":
                    return True
        except OSError:
            return True
        time.sleep(0.05)
    return False


def test_crashing_app_fails_the_deployment_with_its_log(emulator, admin, cleanup):
    name = _name("t-crash")
    cleanup.append(name)
    folder = _upload(admin, f"/Users/admin@example.com/{name}", {"app.py": CRASH_APP})
    admin.apps.create_and_wait(App(name=name), timeout=WAIT)
    with pytest.raises(OperationFailed) as err:
        admin.apps.deploy_and_wait(name, AppDeployment(source_code_path=folder), timeout=WAIT)
    assert "could not load the FAQ index" in str(err.value)
    deps = list(admin.apps.list_deployments(name))
    assert deps[0].status.state == AppDeploymentState.FAILED
    assert "exited with code 3" in deps[0].status.message
    assert "booting the helpdesk" in deps[0].status.message
    assert admin.apps.get(name).app_status.state != ApplicationState.RUNNING


def test_deploy_errors(emulator, admin, cleanup):
    name = _name("t-deperr")
    cleanup.append(name)
    app = admin.apps.create_and_wait(App(name=name), timeout=WAIT)
    with pytest.raises(NotFound):
        admin.apps.deploy(name, AppDeployment(source_code_path=f"/Users/admin@example.com/{name}-nope"))
    missing_cmd = _upload(admin, f"/Users/admin@example.com/{name}", {
        "app.yaml": b"command: ['no-such-binary-xyz']\n"})
    with pytest.raises(OperationFailed, match="no-such-binary-xyz"):
        admin.apps.deploy_and_wait(name, AppDeployment(source_code_path=missing_cmd), timeout=WAIT)
    bad_ref = _upload(admin, f"/Users/admin@example.com/{name}", {
        "app.py": ENV_APP.encode(), "app.yaml": b"env:\n  - name: X\n    valueFrom: nothing\n"})
    with pytest.raises(OperationFailed, match="nothing"):
        admin.apps.deploy_and_wait(name, AppDeployment(source_code_path=bad_ref), timeout=WAIT)
    assert app.name == name
    nc = _name("t-nocomp")
    cleanup.append(nc)
    created = admin.apps.create(App(name=nc), no_compute=True).response
    assert created.compute_status.state == ComputeState.STOPPED
    with pytest.raises(InvalidParameterValue, match="compute"):
        admin.apps.deploy(nc, AppDeployment(source_code_path=bad_ref))


# Never ready (no port) and gone once the emulator that started it is: it keeps a deployment
# IN_PROGRESS until the workspace is killed.
UNREADY_APP = b"""import os, time
parent = os.getppid()
while os.getppid() == parent:
    time.sleep(0.1)
"""


def test_a_deployment_interrupted_by_a_restart_fails_instead_of_hanging(tmp_path):
    """The workspace is killed (SIGKILL: nothing is recorded) while a deployment is in progress; on
    the same state after a restart the deployment reads FAILED, naming the restart, and the next
    deployment is not refused as a conflict but succeeds."""
    import signal
    import subprocess
    import sys

    from agent_lib.clients import client_for
    from agent_lib.emulator import start

    name = _name("t-interrupt")
    proc = subprocess.Popen(
        [sys.executable, "-m", "agent_lib.cli", "emulator", "--port", "0", "--state", str(tmp_path)],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        host = proc.stdout.readline().strip().split("=", 1)[1]
        token = proc.stdout.readline().strip().split("=", 1)[1]
        w = client_for(host, token)
        home = f"/Users/admin@example.com/{name}"
        unready = _upload(w, f"{home}/unready", {"app.py": UNREADY_APP})
        ok = _upload(w, f"{home}/ok", {"app.py": ENV_APP.encode()})
        w.apps.create_and_wait(App(name=name), timeout=WAIT)
        pending = w.apps.deploy(name, AppDeployment(source_code_path=unready)).response
        assert w.apps.get_deployment(name, pending.deployment_id).status.state == AppDeploymentState.IN_PROGRESS
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()

    ws = start(tmp_path, seed_demo=False)
    try:
        w = ws.client()
        got = w.apps.get_deployment(name, pending.deployment_id)
        assert got.status.state == AppDeploymentState.FAILED and "interrupted" in got.status.message
        done = w.apps.deploy_and_wait(name, AppDeployment(source_code_path=ok), timeout=WAIT)
        assert done.status.state == AppDeploymentState.SUCCEEDED
    finally:
        ws.stop()


def test_restart_relaunches_a_running_app_lazily(tmp_path):
    from agent_lib.emulator import start

    ws = start(tmp_path, seed_demo=False)
    name = _name("t-restart")
    try:
        w = ws.client()
        folder = _upload(w, f"/Users/admin@example.com/{name}", {"app.py": ENV_APP.encode()})
        app = w.apps.create_and_wait(App(name=name), timeout=WAIT)
        w.apps.deploy_and_wait(name, AppDeployment(source_code_path=folder), timeout=WAIT)
        pid = httpx.get(f"{app.url}/", headers={"Authorization": f"Bearer {_oauth_token(ws)}"}).json()["pid"]
    finally:
        ws.stop()
    assert _gone(pid)  # emulator shutdown terminates App processes

    ws2 = start(tmp_path, seed_demo=False)
    try:
        w2 = ws2.client()
        again = w2.apps.get(name)
        assert again.app_status.state == ApplicationState.RUNNING
        assert _process(ws2, name) is None  # nothing started yet
        r = httpx.get(f"{again.url}/", headers={"Authorization": f"Bearer {_oauth_token(ws2)}"}, timeout=30)
        assert r.status_code == 200 and r.json()["pid"] != pid
        assert again.url == app.url or again.url.startswith("http://127.0.0.1:")
    finally:
        ws2.stop()
