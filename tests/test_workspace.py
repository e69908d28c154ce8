"""Workspace selection: the emulated workspace, real-workspace forms, and fast, clear failures."""

from __future__ import annotations

import socket

import pytest

from agent_lib.errors import WorkspaceError
from agent_lib.workspace import client_for, connect, probe


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_emulated_workspace_is_a_real_client_over_http(tmp_path):
    with connect("emulated", state_dir=tmp_path) as ws:
        assert ws.is_emulated
        assert ws.host.startswith("http://127.0.0.1:")
        assert ws.client.config.auth_type == "pat"
        assert ws.describe()["user"] == "admin@example.com"
    assert ws.emulator is None  # closed


def test_emulated_with_host_joins_a_running_emulator(emulator):
    ws = connect("emulated", host=emulator.host, token=emulator.token)
    assert not ws.is_emulated  # it did not start its own
    assert ws.client.current_user.me().user_name == "admin@example.com"


def test_host_without_scheme_names_the_fix():
    with pytest.raises(WorkspaceError, match="has no scheme; write it as https://"):
        client_for("127.0.0.1:8080", "dapi-x")


def test_unreachable_host_fails_with_the_host_named_and_no_token():
    host = f"http://127.0.0.1:{_closed_port()}"
    secret = "dapi-super-secret-value"
    with pytest.raises(WorkspaceError) as err:
        connect("host", host=host, token=secret, retry_timeout_seconds=1)
    assert host in str(err.value)
    assert secret not in str(err.value)


def test_a_host_that_accepts_but_never_answers_fails_at_the_probe():
    """The case that cost ~25 s: a TCP peer that stays silent. The probe gives up after its own timeout."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        host = f"http://127.0.0.1:{silent.getsockname()[1]}"
        with pytest.raises(WorkspaceError, match=r"not reachable \(no answer within 0.3 s\)") as err:
            probe(host, timeout=0.3)
    assert host in str(err.value)


def test_unreachable_profile_host_is_probed_before_the_sdk(tmp_path, monkeypatch):
    host = f"http://127.0.0.1:{_closed_port()}"
    cfg = tmp_path / "databrickscfg"
    cfg.write_text(f"[broken]\nhost = {host}\ntoken = dapi-in-a-profile\n")
    monkeypatch.setenv("DATABRICKS_CONFIG_FILE", str(cfg))
    with pytest.raises(WorkspaceError, match="not reachable \\(connection refused\\)") as err:
        connect("profile:broken")
    assert host in str(err.value) and "dapi-in-a-profile" not in str(err.value)


def test_bad_token_is_refused_with_the_fix(emulator):
    with pytest.raises(WorkspaceError, match="Check the host and credentials") as err:
        connect("host", host=emulator.host, token="dapi-not-a-real-token")
    assert "dapi-not-a-real-token" not in str(err.value)


@pytest.mark.parametrize(
    ("kind", "message"),
    [("profile:", "needs a profile name"), ("host", "needs the host parameter"),
     ("cloud", "unknown workspace 'cloud'")],
)
def test_bad_selection_names_the_fix(kind, message):
    with pytest.raises(WorkspaceError, match=message):
        connect(kind)
