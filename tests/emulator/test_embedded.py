"""The emulated workspace as a process: embedded start/stop, restart persistence, standalone command."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading

import httpx

from agent_lib.emulator import start
from agent_lib.emulator.core.store import Store


def test_host_metadata_is_served_as_databricks_does(emulator):
    body = httpx.get(f"{emulator.host}/.well-known/databricks-config").json()
    assert body == {"oidc_endpoint": f"{emulator.host}/oidc", "workspace_id": "1234567890123456",
                    "cloud": "aws"}


def test_unknown_route_answers_in_the_databricks_envelope(emulator):
    r = httpx.get(f"{emulator.host}/api/2.0/no/such/thing",
                  headers={"Authorization": f"Bearer {emulator.token}"})
    assert r.status_code == 404
    assert r.json()["error_code"] == "ENDPOINT_NOT_FOUND"


def test_restart_keeps_state_and_admin_token(tmp_path):
    first = start(tmp_path)
    token, host1 = first.token, first.host
    first.state.identities.add_user("carol@example.com")
    first.state.store.put("test", "k", {"v": 1})
    first.stop()

    second = start(tmp_path)
    try:
        assert second.token == token
        assert second.host != "" and second.state.identities.find("user", "carol@example.com")
        assert second.state.store.get("test", "k") == {"v": 1}
        assert second.state.identities.resolve(token) is not None
        assert host1.startswith("http://127.0.0.1:")
    finally:
        second.stop()


def test_store_stays_consistent_under_16_threads(tmp_path):
    store = Store(tmp_path / "s.db")
    store.put("counter", "c", {"n": 0, "seen": []})

    def bump(i: int) -> None:
        for j in range(20):
            with store.transaction():
                doc = store.get("counter", "c")
                doc["n"] += 1
                doc["seen"].append(f"{i}-{j}")
                store.put("counter", "c", doc)

    threads = [threading.Thread(target=bump, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    doc = store.get("counter", "c")
    assert doc["n"] == 320
    assert len(set(doc["seen"])) == 320


def test_reset_restores_the_seeded_workspace_and_keeps_the_admin_token():
    ws = start(None)
    try:
        token = ws.token
        ws.state.identities.add_user("dave@example.com")
        ws.reset()
        assert ws.state.identities.find("user", "dave@example.com") is None
        assert ws.state.identities.find("user", "alice@example.com") is not None
        assert ws.token == token and ws.state.identities.resolve(token) is not None
    finally:
        ws.stop()


def test_standalone_command_prints_host_and_token_then_stops_cleanly(tmp_path):
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "agent_lib.cli", "emulator", "--port", "0", "--state", str(tmp_path)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )
    try:
        host_line = proc.stdout.readline().strip()
        token_line = proc.stdout.readline().strip()
        assert host_line.startswith("DATABRICKS_HOST=http://127.0.0.1:")
        assert token_line.startswith("DATABRICKS_TOKEN=")
        host = host_line.split("=", 1)[1]
        assert httpx.get(f"{host}/.well-known/databricks-config").status_code == 200
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=15) == 0
    assert (tmp_path / "emulator.db").exists()


def test_restart_keeps_objects_created_through_the_sdk(tmp_path):
    from databricks.sdk.service.apps import App
    from databricks.sdk.service.catalog import PermissionsChange, Privilege

    first = start(tmp_path)
    w = first.client()
    w.catalogs.create("restart_cat")
    w.schemas.create("s", "restart_cat")
    w.grants.update("CATALOG", "restart_cat", changes=[
        PermissionsChange(principal="alice@example.com", add=[Privilege.USE_CATALOG])])
    app = w.apps.create_and_wait(App(name="restart-app"))
    first.stop()

    second = start(tmp_path)
    try:
        w2 = second.client()
        assert w2.schemas.get("restart_cat.s").full_name == "restart_cat.s"
        grants = w2.grants.get("CATALOG", "restart_cat").privilege_assignments
        assert [(g.principal, [p.value for p in g.privileges]) for g in grants] == [
            ("alice@example.com", ["USE_CATALOG"])]
        again = w2.apps.get("restart-app")
        assert again.service_principal_client_id == app.service_principal_client_id
    finally:
        second.stop()


def test_16_threads_of_create_grant_get_through_the_sdk_leave_consistent_state(emulator):
    from concurrent.futures import ThreadPoolExecutor

    from databricks.sdk.service.catalog import PermissionsChange, Privilege

    w = emulator.client()
    w.catalogs.create("conc_cat")

    def work(i: int) -> tuple[str, list[str]]:
        schema = w.schemas.create(f"s{i}", "conc_cat")
        w.grants.update("SCHEMA", schema.full_name, changes=[
            PermissionsChange(principal="alice@example.com", add=[Privilege.USE_SCHEMA])])
        w.grants.update("CATALOG", "conc_cat", changes=[
            PermissionsChange(principal="bob@example.com",
                              add=[Privilege.USE_CATALOG])])
        got = w.grants.get("SCHEMA", schema.full_name).privilege_assignments
        return w.schemas.get(schema.full_name).full_name, [a.principal for a in got]

    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(work, range(48)))
    assert sorted(name for name, _ in results) == sorted(f"conc_cat.s{i}" for i in range(48))
    assert all(principals == ["alice@example.com"] for _, principals in results)
    listed = {s.full_name for s in w.schemas.list("conc_cat")}
    assert {f"conc_cat.s{i}" for i in range(48)} <= listed
    catalog_grants = w.grants.get("CATALOG", "conc_cat").privilege_assignments
    assert [(g.principal, [p.value for p in g.privileges]) for g in catalog_grants] == [
        ("bob@example.com", ["USE_CATALOG"])]
