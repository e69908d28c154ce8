"""The main command on the project's own bundle: the whole job on the emulated workspace, once,
then `pytest --nbval-lax` on the executed notebooks against the same workspace.

The job holds a task for each notebook that has landed (01 -> 05); the checks grow with it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from agent_lib.bundle import load_bundle

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def pipeline(job_run):
    """One run of the project's job (the README's main command), shared by the checks below."""
    return job_run(ROOT)


def test_every_task_of_the_job_passes(pipeline):
    _, result, lines = pipeline
    job = load_bundle(ROOT).job()
    assert [(t.task, t.status) for t in result.tasks] == [(t.key, "passed") for t in job.tasks]
    assert (result.run_dir / "summary.json").is_file()
    assert lines[-1].startswith(f"agent-lib run: {len(job.tasks)} tasks passed")
    assert any(line.startswith("MLflow experiment: /Shared/agent-lib; open its UI: ") for line in lines)
    for name in result.app_urls:
        assert any(line.startswith(f"App {name}: ") for line in lines)


def test_executed_notebooks_pass_nbval_lax(pipeline, nbval_lax):
    ws, result, _ = pipeline
    executed = [Path(t.output) for t in result.tasks]
    if not executed:
        assert load_bundle(ROOT).job().tasks == ()  # nothing landed yet: nothing to re-run
        return
    done = nbval_lax(ROOT, executed, ws)
    assert done.returncode == 0, done.stdout[-3000:]
