"""MLflow tracking in the emulated workspace: MLflow's own Databricks client against a real tracking
server behind the emulator's host, auth and experiment permissions."""

from __future__ import annotations

import os
import uuid

import httpx
import pytest
from databricks.sdk.service import ml


def _headers(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _api(emulator, method: str, path: str, token: str | None = None, **kwargs) -> httpx.Response:
    headers = {**_headers(token or emulator.token), **kwargs.pop("headers", {})}
    return httpx.request(method, f"{emulator.host}{path}", headers=headers, timeout=120, **kwargs)


def test_runs_params_and_metrics_land_in_the_workspace_experiment(workspace_experiment, emulator):
    import mlflow
    from mlflow import MlflowClient

    info = workspace_experiment
    assert info.tracking_uri == "databricks" and mlflow.get_tracking_uri() == "databricks"
    assert emulator.token not in repr(info)
    assert info.ui_url == f"{emulator.host}/ml/experiments/{info.experiment_id}"
    with mlflow.start_run() as run:
        mlflow.log_param("engine", "client")
        for step, value in enumerate((0.5, 0.75, 0.9)):
            mlflow.log_metric("pass_rate", value, step=step)
    client = MlflowClient()
    fetched = client.get_run(run.info.run_id)
    assert fetched.data.params == {"engine": "client"}
    assert [m.value for m in client.get_metric_history(run.info.run_id, "pass_rate")] == [0.5, 0.75, 0.9]
    experiment = client.get_experiment_by_name(info.name)
    assert experiment.experiment_id == info.experiment_id
    # Locations read as on Databricks, never as the server's local folder.
    assert experiment.artifact_location == f"dbfs:/databricks/mlflow-tracking/{info.experiment_id}"
    assert fetched.info.artifact_uri == (f"dbfs:/databricks/mlflow-tracking/{info.experiment_id}/"
                                         f"{run.info.run_id}/artifacts")


def test_run_artifacts_go_through_signed_urls_back_to_the_workspace(workspace_experiment):
    import mlflow

    with mlflow.start_run() as run:
        mlflow.log_text("routing: 41/42\n", "reports/summary.txt")
        mlflow.log_dict({"rows": 42}, "reports/summary.json")
    names = sorted(a.path for a in mlflow.artifacts.list_artifacts(run_id=run.info.run_id,
                                                                    artifact_path="reports"))
    assert names == ["reports/summary.json", "reports/summary.txt"]
    text = mlflow.artifacts.load_text(f"runs:/{run.info.run_id}/reports/summary.txt")
    assert text == "routing: 41/42\n"


def test_signed_urls_refuse_tampering_the_wrong_method_and_unknown_runs(workspace_experiment, emulator):
    import mlflow

    with mlflow.start_run() as run:
        pass
    resp = _api(emulator, "POST", "/api/2.0/mlflow/artifacts/credentials-for-write",
                json={"run_id": run.info.run_id, "path": ["a.txt"]})
    assert resp.status_code == 200, resp.text
    cred = resp.json()["credential_infos"][0]
    assert cred["type"] == "AWS_PRESIGNED_URL" and cred["path"] == "a.txt"
    url = cred["signed_uri"]
    assert url.startswith(f"{emulator.host}/_emulator/mlflow/files/") and emulator.token not in url
    assert httpx.put(url, content=b"hello").status_code == 200
    get_refused = httpx.get(url)  # signed for PUT only
    assert get_refused.status_code == 403 and "signed for PUT" in get_refused.json()["message"]
    body, mac = url.rsplit(".", 1)
    forged = httpx.put(f"{body}.{'0' * len(mac)}", content=b"x")
    assert forged.status_code == 403 and forged.json()["error_code"] == "PERMISSION_DENIED"
    escape = _api(emulator, "POST", "/api/2.0/mlflow/artifacts/credentials-for-write",
                  json={"run_id": run.info.run_id, "path": ["../../etc/passwd"]})
    assert escape.status_code == 400 and "'..'" in escape.json()["message"]
    missing = _api(emulator, "POST", "/api/2.0/mlflow/artifacts/credentials-for-read",
                   json={"run_id": "0" * 32, "path": ["a.txt"]})
    assert missing.status_code == 404 and missing.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"


def test_every_mlflow_route_authenticates_and_unserved_paths_say_what_is_served(emulator):
    no_token = httpx.get(f"{emulator.host}/api/2.0/mlflow/experiments/get", params={"experiment_id": "0"})
    assert no_token.status_code == 401 and no_token.json()["error_code"] == "UNAUTHENTICATED"
    bad_token = _api(emulator, "POST", "/api/2.0/mlflow/experiments/search", token="dapi-not-a-token",
                     json={})
    assert bad_token.status_code == 401
    unserved = _api(emulator, "POST", "/api/2.0/mlflow/registered-models/create", json={"name": "m"})
    assert unserved.status_code == 404
    assert unserved.json()["error_code"] == "ENDPOINT_NOT_FOUND"
    assert "POST runs/create" in unserved.json()["message"]
    malformed = _api(emulator, "POST", "/api/2.0/mlflow/runs/create", content=b"{not json",
                     headers={"content-type": "application/json"})
    assert malformed.status_code == 400 and "invalid JSON" in malformed.json()["message"]
    missing_field = _api(emulator, "POST", "/api/2.0/mlflow/runs/create", json={})
    assert missing_field.status_code == 400 and "experiment_id" in missing_field.json()["message"]


def test_experiment_permissions_gate_reads_and_writes(emulator, admin):
    """alice has no access to the admin's experiment until granted CAN_READ, then CAN_EDIT."""
    alice = emulator.token_for("alice@example.com")
    name = f"/Users/admin@example.com/perm-{uuid.uuid4().hex[:8]}"
    created = _api(emulator, "POST", "/api/2.0/mlflow/experiments/create", json={"name": name})
    assert created.status_code == 200, created.text
    exp_id = created.json()["experiment_id"]

    def get() -> httpx.Response:
        return _api(emulator, "GET", "/api/2.0/mlflow/experiments/get", alice, params={"experiment_id": exp_id})

    def create_run() -> httpx.Response:
        return _api(emulator, "POST", "/api/2.0/mlflow/runs/create", alice, json={"experiment_id": exp_id})

    def searched() -> set[str]:
        resp = _api(emulator, "POST", "/api/2.0/mlflow/experiments/search", alice, json={"max_results": 1000})
        return {e["experiment_id"] for e in resp.json().get("experiments", [])}

    refused = get()
    assert refused.status_code == 403 and refused.json()["error_code"] == "PERMISSION_DENIED"
    assert "CAN_READ" in refused.json()["message"]
    by_name = _api(emulator, "GET", "/api/2.0/mlflow/experiments/get-by-name", alice,
                   params={"experiment_name": name})
    assert by_name.status_code == 403
    assert create_run().status_code == 403
    assert exp_id not in searched()

    admin.experiments.update_permissions(exp_id, access_control_list=[ml.ExperimentAccessControlRequest(
        user_name="alice@example.com", permission_level=ml.ExperimentPermissionLevel.CAN_READ)])
    assert get().status_code == 200 and exp_id in searched()
    still_read_only = create_run()
    assert still_read_only.status_code == 403 and "CAN_EDIT" in still_read_only.json()["message"]

    admin.experiments.set_permissions(exp_id, access_control_list=[ml.ExperimentAccessControlRequest(
        user_name="alice@example.com", permission_level=ml.ExperimentPermissionLevel.CAN_EDIT)])
    run = create_run()
    assert run.status_code == 200, run.text
    run_id = run.json()["run"]["info"]["run_id"]
    logged = _api(emulator, "POST", "/api/2.0/mlflow/runs/log-metric", alice,
                  json={"run_id": run_id, "key": "m", "value": 1.0, "timestamp": 0})
    assert logged.status_code == 200
    rename = _api(emulator, "POST", "/api/2.0/mlflow/experiments/update", alice,
                  json={"experiment_id": exp_id, "new_name": name + "-x"})
    assert rename.status_code == 403 and "CAN_MANAGE" in rename.json()["message"]

    # The creator owns what they create: alice's own experiment is hers, not bob's.
    own = _api(emulator, "POST", "/api/2.0/mlflow/experiments/create", alice, json={"name": name + "-alice"})
    assert own.status_code == 200
    perms = admin.experiments.get_permissions(own.json()["experiment_id"])
    owners = [e.user_name for e in perms.access_control_list
              if any(p.permission_level.value == "CAN_MANAGE" and not p.inherited for p in e.all_permissions)]
    assert owners == ["alice@example.com"]
    bob = emulator.token_for("bob@example.com")
    assert _api(emulator, "GET", "/api/2.0/mlflow/experiments/get", bob,
                params={"experiment_id": own.json()["experiment_id"]}).status_code == 403


def test_permissions_of_a_missing_experiment_are_404(admin):
    from databricks.sdk.errors import NotFound

    with pytest.raises(NotFound):
        admin.experiments.get_permissions("987654321")


def test_the_experiment_page_redirects_to_the_tracking_servers_ui(workspace_experiment, emulator):
    info = workspace_experiment
    resp = httpx.get(info.ui_url, follow_redirects=False)
    assert resp.status_code == 302
    location = resp.headers["location"]
    assert location.endswith(f"/#/experiments/{info.experiment_id}")
    assert location.startswith("http://127.0.0.1:") and not location.startswith(emulator.host)
    page = httpx.get(location.split("#")[0])
    assert page.status_code == 200 and "<html" in page.text.lower()
    described = _api(emulator, "GET", "/_emulator/mlflow").json()
    assert location.startswith(described["ui_url"]) and described["start_seconds"] > 0


def test_a_profile_workspace_uses_its_profile_in_the_tracking_uri(emulator, restore_mlflow, tmp_path,
                                                                  monkeypatch):
    """`profile:<name>` → `databricks://<name>`: MLflow reads host and token from the profile."""
    import mlflow

    from agent_lib.tracking import use_experiment
    from agent_lib.workspace import connect

    config = tmp_path / "databrickscfg"
    config.write_text(f"[emu]\nhost = {emulator.host}\ntoken = {emulator.token}\n")
    monkeypatch.setenv("DATABRICKS_CONFIG_FILE", str(config))
    for name in ("DATABRICKS_HOST", "DATABRICKS_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    ws = connect("profile:emu")
    info = use_experiment(ws, f"/Shared/tests/profile-{uuid.uuid4().hex[:8]}")
    assert info.tracking_uri == "databricks://emu" and "DATABRICKS_TOKEN" not in os.environ
    with mlflow.start_run() as run:
        mlflow.log_metric("m", 1.0)
    assert mlflow.get_run(run.info.run_id).data.metrics == {"m": 1.0}


def test_experiments_survive_a_restart_and_go_with_a_reset(tmp_path):
    from agent_lib.emulator import start

    def experiments(ws) -> set[str]:
        resp = _api(ws, "POST", "/api/2.0/mlflow/experiments/search", json={"max_results": 100})
        return {e["name"] for e in resp.json()["experiments"]}

    ws = start(tmp_path, seed_demo=False)
    try:
        alice = ws.token_for("alice@example.com")
        made = _api(ws, "POST", "/api/2.0/mlflow/experiments/create", alice, json={"name": "/Users/alice/kept"})
        assert made.status_code == 200
        exp_id = made.json()["experiment_id"]
    finally:
        ws.stop()
    assert (tmp_path / "mlflow" / "mlflow.db").is_file()
    ws = start(tmp_path, seed_demo=False)
    try:
        assert "/Users/alice/kept" in experiments(ws)
        assert _api(ws, "GET", "/api/2.0/mlflow/experiments/get", ws.token_for("alice@example.com"),
                    params={"experiment_id": exp_id}).status_code == 200  # her ACL survived too
        ws.reset()
        assert experiments(ws) == {"Default"}
    finally:
        ws.stop()
