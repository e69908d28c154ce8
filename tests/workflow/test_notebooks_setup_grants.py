"""Notebooks 01 and 02 headless under papermill against the emulated workspace (as the job runner
runs them: host as a parameter, the token in the environment, a temporary state folder)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
DEMO_FUNCTIONS = "src/agent_lib/emulator/catalog/demo_functions"  # the definitions agent.yml names
SETUP = ROOT / "notebooks" / "01_setup_tools.ipynb"
GRANTS = ROOT / "notebooks" / "02_grant_permissions.ipynb"
FUNCTIONS = ("main.sales.get_order_status", "main.sales.convert_currency", "main.support.days_until_sla_breach")


def _run(workspace, notebook: Path, out: Path, **parameters) -> str:
    """Execute `notebook` (cwd notebooks/); the text of every output, failed or not."""
    import papermill

    previous = os.environ.get("DATABRICKS_TOKEN")
    os.environ["DATABRICKS_TOKEN"] = workspace.token
    try:
        papermill.execute_notebook(str(notebook), str(out), cwd=str(notebook.parent), kernel_name="python3",
                                   progress_bar=False, parameters={"workspace": "emulated",
                                                                   "host": workspace.host, **parameters})
    finally:
        if previous is None:
            os.environ.pop("DATABRICKS_TOKEN", None)
        else:
            os.environ["DATABRICKS_TOKEN"] = previous
    return _outputs(out)


def _outputs(path: Path) -> str:
    nb = json.loads(path.read_text())
    return "\n".join(json.dumps(o) for c in nb["cells"] for o in c.get("outputs", []))


def test_01_creates_the_functions_02_grants_and_re_running_both_changes_nothing(workspace, tmp_path):
    admin = workspace.client()
    for name in FUNCTIONS:
        admin.functions.delete(name)
    state = str(tmp_path / "state")
    first = _run(workspace, SETUP, tmp_path / "01.ipynb", state_dir=state)
    assert "Tools (8 checked, 3 changed, 0 problem(s))" in first and "created from its definition" in first
    assert "all 8 usable" in first and workspace.token not in first
    granted = _run(workspace, GRANTS, tmp_path / "02.ipynb", state_dir=state, dry_run=False)
    assert "applied:" in granted and "added" in granted and "0 problem(s)" in granted
    assert admin.apps.get("agent-lib-demo").service_principal_client_id in granted
    assert workspace.token not in granted
    again = _run(workspace, SETUP, tmp_path / "01b.ipynb", state_dir=state)
    assert "Tools (8 checked, 0 changed, 0 problem(s))" in again
    regrant = _run(workspace, GRANTS, tmp_path / "02b.ipynb", state_dir=state, dry_run=False)
    assert "applied: 0 added" in regrant and "plan: 0 to add" in regrant


def test_a_broken_spec_fails_after_the_table_naming_the_step_and_the_fix(workspace, tmp_path):
    import papermill

    spec = (ROOT / "agent.yml").read_text().replace(
        f"      definition: {DEMO_FUNCTIONS}/convert_currency.sql\n", "      definition: functions/missing.sql\n")
    (tmp_path / "agent.yml").write_text(spec)
    shutil.copytree(ROOT / DEMO_FUNCTIONS, tmp_path / DEMO_FUNCTIONS)  # definition files are where agent.yml says
    with pytest.raises(papermill.PapermillExecutionError) as failed:
        _run(workspace, SETUP, tmp_path / "01.ipynb", spec_path=str(tmp_path / "agent.yml"),
             state_dir=str(tmp_path / "state"))
    message = str(failed.value)
    assert "SetupFailed" in message and "set up tools: 1 tool(s) not usable" in message
    assert "functions/missing.sql does not exist" in message and "Fix: create it" in message
    shown = _outputs(tmp_path / "01.ipynb")
    assert "Tools (8 checked, 0 changed, 1 problem(s))" in shown  # the whole table came first

    with pytest.raises(papermill.PapermillExecutionError) as refused:
        _run(workspace, GRANTS, tmp_path / "02.ipynb", state_dir=str(tmp_path / "state"),
             users=["nobody@example.com"])
    message = str(refused.value)
    assert "principal 'nobody@example.com': no user of that name exists" in message and "Fix:" in message
    assert not any(a.name == "agent-lib-demo" for a in workspace.client().apps.list())
