"""The mistakes a newcomer makes with `agent-lib` end in one clear line and a non-zero exit, no traceback."""

from __future__ import annotations

import socket

import pytest

from agent_lib.cli import main


def test_port_out_of_range_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as done:
        main(["emulator", "--port", "99999"])
    assert done.value.code == 2
    err = capsys.readouterr().err
    assert "99999 is out of range: a port is 0-65535" in err and "Traceback" not in err


def test_state_naming_a_file_is_refused_before_anything_starts(tmp_path, capsys):
    afile = tmp_path / "state.txt"
    afile.write_text("not a folder")
    assert main(["emulator", "--state", str(afile)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "is a file; it must name a folder" in err
    assert afile.read_text() == "not a folder"  # nothing lost


def test_port_in_use_names_the_port_and_the_fix(tmp_path, capsys):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        assert main(["emulator", "--port", str(port), "--state", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert f"127.0.0.1:{port}" in err and "choose another --port" in err and err.count("\n") == 1


def _token(capsys, *args: str) -> str:
    assert main(["emulator", "token", *args]) == 0
    return capsys.readouterr().out.strip()


def test_emulator_token_mints_oauth_and_other_users_tokens(emulator, monkeypatch, capsys):
    from databricks.sdk.errors import PermissionDenied

    from agent_lib.workspace import client_for

    monkeypatch.setenv("DATABRICKS_HOST", emulator.host)
    monkeypatch.setenv("DATABRICKS_TOKEN", emulator.token)
    oauth = _token(capsys)
    assert client_for(emulator.host, oauth).current_user.me().user_name == "admin@example.com"
    assert oauth != emulator.token
    alice = _token(capsys, "--user", "alice@example.com", "--pat")
    assert client_for(emulator.host, alice).current_user.me().user_name == "alice@example.com"
    narrowed = _token(capsys, "--user", "alice@example.com", "--scopes", "genie")
    with pytest.raises(PermissionDenied):  # the scope list is really on the token
        client_for(emulator.host, narrowed).current_user.me()


def test_emulator_token_needs_admin_credentials(emulator, monkeypatch, capsys):
    monkeypatch.delenv("DATABRICKS_TOKEN", raising=False)
    monkeypatch.setenv("DATABRICKS_HOST", emulator.host)
    assert main(["emulator", "token"]) == 1
    assert "admin DATABRICKS_TOKEN" in capsys.readouterr().err
    alice = emulator.token_for("alice@example.com")
    monkeypatch.setenv("DATABRICKS_TOKEN", alice)
    assert main(["emulator", "token", "--user", "bob@example.com"]) == 1
    err = capsys.readouterr().err
    assert "Only workspace admins can mint tokens" in err and alice not in err and err.count("\n") == 1


def test_emulator_model_switches_an_endpoint_to_passthrough_and_back(emulator, monkeypatch, capsys):
    import json

    monkeypatch.setenv("DATABRICKS_HOST", emulator.host)
    monkeypatch.setenv("DATABRICKS_TOKEN", emulator.token)
    endpoint = "databricks-meta-llama-3-3-70b-instruct"
    try:
        assert main(["emulator", "model", endpoint, "--passthrough", "http://127.0.0.1:9/v1",
                     "--model", "llama3.1"]) == 0
        assert "passthrough" in capsys.readouterr().out
        assert main(["emulator", "model", endpoint]) == 0
        assert "llama3.1" in capsys.readouterr().out
    finally:
        assert main(["emulator", "model", endpoint, "--reference"]) == 0
    assert json.loads(capsys.readouterr().out)["kind"] == "reference"
    assert main(["emulator", "model", endpoint, "--passthrough", "http://127.0.0.1:9/v1"]) == 1
    assert "--passthrough needs --model" in capsys.readouterr().err
