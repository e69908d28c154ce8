"""`agent-lib quickstart` against the emulated workspace through a real ~/.databrickscfg profile."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from agent_lib.cli import main

ROOT = Path(__file__).resolve().parents[1]
DEMO_FUNCTIONS = "src/agent_lib/emulator/catalog/demo_functions"  # the definitions agent.yml names


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A user's project folder (agent.yml + function definitions) and their own CLI config file."""
    folder = tmp_path / "project"
    folder.mkdir()
    shutil.copy(ROOT / "agent.yml", folder / "agent.yml")
    shutil.copytree(ROOT / DEMO_FUNCTIONS, folder / DEMO_FUNCTIONS)
    (folder / ".gitignore").write_text("__pycache__/")  # no newline at the end: kept as it is
    monkeypatch.chdir(folder)
    monkeypatch.setenv("DATABRICKS_CONFIG_FILE", str(tmp_path / "databrickscfg"))
    for key in ("DATABRICKS_HOST", "DATABRICKS_TOKEN", "DATABRICKS_CONFIG_PROFILE"):
        monkeypatch.delenv(key, raising=False)
    return folder


def test_host_and_token_become_a_profile_and_a_rerun_changes_nothing(project, emulator, monkeypatch, capsys):
    monkeypatch.setenv("DATABRICKS_TOKEN", emulator.token)
    cfg = Path(project.parent / "databrickscfg")
    cfg.write_text("; my own profiles\n[other]\nhost = https://example.invalid\n")
    assert main(["quickstart", "--host", emulator.host]) == 0, capsys.readouterr().out
    out = capsys.readouterr().out
    assert "wrote profile 'agent-lib'" in out and emulator.token not in out
    assert cfg.read_text().startswith("; my own profiles\n[other]\n")  # nothing lost
    env = (project / ".env").read_text()
    assert "DATABRICKS_CONFIG_PROFILE=agent-lib" in env and "MLFLOW_EXPERIMENT_ID=" in env
    assert emulator.token not in env
    assert (project / ".gitignore").read_text() == "__pycache__/\n.env\n"
    before = (cfg.read_text(), env, (project / ".gitignore").read_text())

    monkeypatch.delenv("DATABRICKS_TOKEN")
    assert main(["quickstart", "--profile", "agent-lib"]) == 0
    again = capsys.readouterr().out
    assert ".env unchanged" in again or "unchanged" in again
    assert (cfg.read_text(), (project / ".env").read_text(), (project / ".gitignore").read_text()) == before


def test_without_a_workspace_it_says_how_to_use_the_emulated_one(project, capsys):
    assert main(["quickstart"]) == 1
    out = capsys.readouterr().out
    assert "agent-lib run" in out and "emulated" in out
    assert not (project / ".env").exists()


def test_an_unknown_profile_names_the_login_command(project, capsys):
    assert main(["quickstart", "--profile", "nope"]) == 1
    assert "databricks auth login --host https://<workspace-host> --profile nope" in capsys.readouterr().out
