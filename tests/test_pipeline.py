"""`agent-lib run`: every step runs on the emulated workspace, and a failure names its step."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent_lib.cli import main
from agent_lib.pipeline import RunOptions, StepFailed, run_pipeline

ROOT = Path(__file__).resolve().parents[1]


def test_pipeline_runs_every_step_offline(tmp_path):
    lines: list[str] = []
    options = RunOptions(spec_path=str(ROOT / "agent.yml"), state_dir=str(tmp_path),
                         questions=("What is the status of order SO-10042?",))
    results = run_pipeline(options, echo=lines.append)
    assert [r.name for r in results] == ["select workspace", "load agent spec",
                                         "derive tool grants and scopes", "ask the agent"]
    answer = results[-1].summary["What is the status of order SO-10042?"]
    assert "main__sales__get_order_status" in answer
    assert (tmp_path / "mlflow.db").exists()  # traces went to the run's own store, not the cwd
    assert not any("dapi" in line for line in lines)  # no token in the log


def test_a_failing_step_is_named(tmp_path):
    options = RunOptions(spec_path=str(tmp_path / "missing.yml"), state_dir=str(tmp_path))
    with pytest.raises(StepFailed, match="^step 'load agent spec' failed") as err:
        run_pipeline(options, echo=lambda _: None)
    assert err.value.step == "load agent spec"


def test_cli_exit_code_and_message_name_the_step(tmp_path, capsys):
    code = main(["run", "--spec", str(tmp_path / "nope.yml"), "--state", str(tmp_path)])
    assert code == 1
    assert "step 'load agent spec' failed" in capsys.readouterr().err
