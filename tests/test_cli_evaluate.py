"""`agent-lib evaluate`: the notebook 04 evaluation from a terminal, exit code from its gate."""

from __future__ import annotations

import json
from pathlib import Path

from agent_lib.cli import main

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "src/agent_lib/evaluation/datasets/demo.jsonl"
ROWS = [json.loads(line) for line in DEMO.read_text().splitlines()[:2]]  # two single-tool cases


def _cli(emulator, tmp_path, *extra: str) -> int:
    dataset = tmp_path / "cases.jsonl"
    dataset.write_text("".join(json.dumps(r) + "\n" for r in ROWS))
    return main(["evaluate", "--host", emulator.host, "--spec", str(ROOT / "agent.yml"),
                 "--dataset", str(dataset), "--state", str(tmp_path / "state"), "--max-workers", "2",
                 *extra])


def test_passing_and_failing_gates_set_the_exit_code(emulator, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DATABRICKS_TOKEN", emulator.token)
    assert _cli(emulator, tmp_path) == 0, capsys.readouterr()
    out = capsys.readouterr().out
    assert "every metric meets its threshold" in out and "2 rows" in out and emulator.token not in out

    # a threshold no agent can reach: the same run fails, naming the metric
    assert _cli(emulator, tmp_path, "--latency-budget", "0.000001") == 1
    err = capsys.readouterr().err
    assert "latency" in err and emulator.token not in err


def test_bad_input_is_one_line_before_any_agent_call(emulator, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DATABRICKS_TOKEN", emulator.token)
    assert _cli(emulator, tmp_path, "--threshold", "tool_routing=1.5") != 0
    captured = capsys.readouterr()
    assert "tool_routing" in captured.err + captured.out and "Traceback" not in captured.err
