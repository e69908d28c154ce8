"""`agent-lib run` on a small fixture bundle (tests/fixtures/bundle): three notebooks, one workspace.

The fixture job lists its tasks out of order and links them 01 -> 02 -> 03 with depends_on; task 01
leaves a folder in the workspace and task 02 finds it, so a pass means both ran against the one
emulated workspace the run started. Task 02 takes a boolean `dry_run` from a bundle variable:
`--var dry_run=maybe` makes it fail at its parameters cell.
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from agent_lib.cli import main
from agent_lib.errors import TaskFailed
from agent_lib.runner import RunOptions, run_job

FIXTURE = Path(__file__).parent / "fixtures" / "bundle"

pytestmark = pytest.mark.slow


def _outputs(path: str | Path) -> str:
    """Every output of an executed notebook, as text."""
    nb = nbformat.read(str(path), as_version=4)
    return "\n".join(json.dumps(out) for cell in nb.cells if cell.cell_type == "code" for out in cell.outputs)


@pytest.fixture(scope="module")
def fixture_run(job_run):
    """One full run of the fixture job, shared by the checks below."""
    return job_run(FIXTURE)


def test_tasks_run_in_depends_on_order_and_all_pass(fixture_run):
    _, result, lines = fixture_run
    assert [(t.task, t.status) for t in result.tasks] == [
        ("make_folder", "passed"), ("find_folder", "passed"), ("report", "passed")]
    summary = json.loads((result.run_dir / "summary.json").read_text())
    assert [t["task"] for t in summary["tasks"]] == ["make_folder", "find_folder", "report"]
    for task in summary["tasks"]:
        assert Path(task["output"]).is_file() and task["seconds"] > 0
    assert any(line.startswith("[2/3] 02_find_folder") for line in lines)  # progress
    assert f"executed notebooks and summary.json: {result.run_dir}" in lines
    assert any(line.startswith("MLflow experiment: /Shared/runner-fixture") for line in lines)


def test_every_notebook_worked_on_the_one_workspace_of_the_run(fixture_run):
    ws, result, _ = fixture_run
    assert "DIRECTORY" in _outputs(result.tasks[1].output)  # 02 found what 01 made
    report = _outputs(result.tasks[2].output)
    assert f"'{ws.host}'" in report and "'emulated'" in report  # the runner's workspace, as parameters
    assert "/Shared/runner-fixture" in report  # a job parameter, resolved from its bundle variable


def test_the_token_reaches_kernels_only_through_the_environment(fixture_run):
    ws, result, lines = fixture_run
    for task in result.tasks:
        nb = nbformat.read(task.output, as_version=4)
        injected = [c.source for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
        assert injected and "host = " in injected[0] and "token" not in injected[0].lower()
        assert ws.emulator.token not in Path(task.output).read_text()
    assert not any(ws.emulator.token in line for line in lines)


def test_executed_notebooks_pass_nbval_lax(fixture_run, nbval_lax):
    ws, result, _ = fixture_run
    done = nbval_lax(FIXTURE, [Path(t.output) for t in result.tasks], ws)
    assert done.returncode == 0, done.stdout[-3000:]
    assert "3 passed" in done.stdout or " passed" in done.stdout


def test_a_bad_parameter_stops_the_run_at_its_task_and_from_resumes(tmp_path):
    lines: list[str] = []
    options = RunOptions(root=FIXTURE, state_dir=tmp_path, run_dir=tmp_path / "bad",
                         variables={"dry_run": "maybe"})
    with pytest.raises(TaskFailed) as err:
        run_job(options, echo=lines.append)
    failure = err.value
    assert (failure.task, failure.notebook) == ("find_folder", "02_find_folder.ipynb")
    assert failure.cell.startswith("cell ") and "resolve(globals(), NotebookParams)" in failure.cell
    assert "ParamsError" in failure.error and "'dry_run' = 'maybe'" in failure.error
    statuses = [(t.task, t.status) for t in failure.result.tasks]
    assert statuses == [("make_folder", "passed"), ("find_folder", "failed"), ("report", "not run")]
    assert any(line.startswith("FAILED: notebook 02_find_folder.ipynb (task find_folder), cell ")
               for line in lines)
    assert "agent-lib run --from find_folder" in "\n".join(lines)

    resumed = run_job(RunOptions(root=FIXTURE, state_dir=tmp_path, run_dir=tmp_path / "resumed",
                                 start="02"), echo=lambda _: None)
    assert [(t.task, t.status) for t in resumed.tasks] == [("find_folder", "passed"), ("report", "passed")]
    assert "DIRECTORY" in _outputs(resumed.tasks[0].output)  # 01's folder persisted in the state


def test_a_failing_step_is_named_by_its_heading(tmp_path):
    # Alone on a fresh workspace, task 02 finds no folder: its step 2 fails with the SDK's error.
    with pytest.raises(TaskFailed) as err:
        run_job(RunOptions(root=FIXTURE, state_dir=tmp_path, only=["find_folder"]), echo=lambda _: None)
    assert "in step 'Step 2 - Find the folder task 01 made'" in err.value.cell
    assert "get_status" in err.value.cell  # the failing line of the cell
    assert err.value.error.startswith("ResourceDoesNotExist: Path (/Shared/runner-fixture)")


def test_cli_exits_non_zero_naming_notebook_cell_and_error(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(FIXTURE)
    code = main(["run", "--only", "02", "--var", "dry_run=maybe", "--state", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 1
    assert "FAILED: notebook 02_find_folder.ipynb (task find_folder), cell " in out
    assert "'dry_run' = 'maybe' is invalid: expected true or false" in out


def test_cli_rejects_an_unknown_task_or_variable_by_name(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(FIXTURE)
    assert main(["run", "--from", "09", "--state", str(tmp_path)]) == 2
    assert "--from '09' names no task of job 'fixture_job'" in capsys.readouterr().err
    assert main(["run", "--var", "colour=red", "--state", str(tmp_path)]) == 2
    assert "--var colour: no such variable in databricks.yml" in capsys.readouterr().err


def test_keep_running_keeps_the_workspace_up_until_interrupted(tmp_path):
    import re
    import signal
    import subprocess
    import sys

    import httpx

    proc = subprocess.Popen([sys.executable, "-m", "agent_lib.cli", "run", "--only", "03", "--keep-running",
                             "--state", str(tmp_path)], cwd=FIXTURE, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        host = ui = None
        for line in proc.stdout:
            if match := re.search(r"open its UI: (http://\S+)", line):
                ui = match.group(1)
            if match := re.search(r"stays up at (http://127\.0\.0\.1:\d+)", line):
                host = match.group(1)
                break
        assert host, "the run should say where the workspace stays up"
        answer = httpx.get(f"{host}/api/2.0/preview/scim/v2/Me", timeout=10)
        assert answer.status_code == 401  # up, and still asking for a token
        # The summary's MLflow link is live: the workspace's experiments page opens MLflow's UI.
        assert ui == f"{host}/ml/experiments", "no task created the fixture's experiment: the list"
        page = httpx.get(ui, follow_redirects=True, timeout=30)
        assert page.status_code == 200 and "<title>MLflow</title>" in page.text
        assert page.url.host == "127.0.0.1" and page.url.port != httpx.URL(host).port
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=60) == 0
    finally:
        proc.kill()
