"""Datasets: the shipped demo set, JSONL files, MLflow evaluation datasets; bad rows name the row."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from agent_lib.evaluation import EvaluationError, check_against_spec, load_dataset, parse_rows
from agent_lib.spec import load_spec

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def spec():
    return load_spec(ROOT / "agent.yml")


def _write(path: Path, rows: list[object]) -> str:
    path.write_text("\n".join(r if isinstance(r, str) else json.dumps(r) for r in rows) + "\n")
    return str(path)


def test_demo_dataset_covers_every_tool_and_the_hard_shapes(spec):
    demo = load_dataset("demo")
    assert len(demo) >= 40
    kinds = Counter(c.kind for c in demo.cases)
    assert kinds["multi_tool"] >= 5 and kinds["multi_turn"] >= 4 and kinds["no_tool"] >= 5
    resolved = check_against_spec(demo, spec)
    assert set(resolved.values()) == {t.ref for t in spec.tools}  # every tool of the spec is exercised
    multi_turn = [c for c in demo.cases if c.kind == "multi_turn"]
    assert all(c.inputs.input and c.inputs.input[-1].role == "user" for c in multi_turn)
    assert all(not c.expectations.expected_tools for c in demo.cases if c.kind == "no_tool")
    assert all(len(c.expectations.expected_tools) >= 2 for c in demo.cases if c.kind == "multi_tool")


def test_demo_questions_are_not_copied_from_other_tests_or_code():
    demo = load_dataset("demo")
    files = [*(ROOT / "tests").rglob("*.py"), *(ROOT / "src").rglob("*.py")]
    others = " ".join(p.read_text().lower() for p in files if "evaluation" not in p.parts)
    copied = [c.question for c in demo.cases if c.inputs.question and c.inputs.question.lower() in others]
    assert copied == []


def test_records_are_what_mlflow_takes():
    record = load_dataset("demo").records()[0]
    assert set(record) == {"inputs", "expectations", "tags"}
    assert record["tags"]["case"] == "revenue-2025"
    assert record["expectations"]["expected_facts"] == ["6,176,390.50"]


def test_a_row_without_inputs_is_named(tmp_path):
    path = _write(tmp_path / "cases.jsonl", [
        {"inputs": {"question": "hi"}, "expectations": {"expected_tools": []}},
        {"id": "broken", "expectations": {"expected_tools": []}}])
    with pytest.raises(EvaluationError, match=r"cases.jsonl row 2: no 'inputs'"):
        load_dataset(path)


@pytest.mark.parametrize(("row", "message"), [
    ({"inputs": {}, "expectations": {"expected_tools": []}}, "exactly one of 'question'"),
    ({"inputs": {"question": "x"}, "expectations": {}}, "field 'expectations.expected_tools'"),
    ({"inputs": {"question": "x"}, "expectations": {"expected_tools": [], "facts": ["a"]}},
     "field 'expectations.facts'"),
    ({"inputs": {"input": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}]},
      "expectations": {"expected_tools": []}}, "last item of 'input' must be the user's turn"),
    ({"inputs": {"question": "x"}}, "no 'expectations'"),
    ("[1, 2]", "must be a JSON object"),
])
def test_bad_rows_name_the_row_and_field(row, message):
    with pytest.raises(EvaluationError, match="mine row 1") as err:
        parse_rows([row], "mine")
    assert message in str(err.value)


def test_not_json_names_the_line(tmp_path):
    path = _write(tmp_path / "x.jsonl", ['{"inputs": {"question": "a"}, "expectations": {"expected_tools": []}}',
                                         "{not json"])
    with pytest.raises(EvaluationError, match="x.jsonl line 2: not JSON"):
        load_dataset(path)


def test_duplicate_ids_and_unknown_sources_fail(tmp_path):
    row = {"id": "a", "inputs": {"question": "q"}, "expectations": {"expected_tools": []}}
    with pytest.raises(EvaluationError, match="id 'a' is already used by row 1"):
        parse_rows([row, row], "dup")
    with pytest.raises(EvaluationError, match="no such file, and not a built-in name"):
        load_dataset(str(tmp_path / "missing.jsonl"))
    with pytest.raises(EvaluationError, match="uc:catalog.schema.table"):
        load_dataset("uc:just_a_table", ws=object())  # type: ignore[arg-type]


def test_an_expected_tool_the_spec_lacks_is_named(spec, tmp_path):
    path = _write(tmp_path / "cases.jsonl", [
        {"id": "ok", "inputs": {"question": "q"}, "expectations": {"expected_tools": ["ticketing"]}},
        {"id": "bad", "inputs": {"question": "q"}, "expectations": {"expected_tools": ["main.sales.refund"]}}])
    with pytest.raises(EvaluationError, match=r"row 2 \(bad\): expected tool 'main.sales.refund' is not a tool "
                                              "of agent 'agent-lib-demo'"):
        check_against_spec(load_dataset(path), spec)


def test_tools_are_named_by_ref_label_or_unique_type(spec):
    rows = [{"id": n, "inputs": {"question": "q"}, "expectations": {"expected_tools": [n]}}
            for n in ("genie_space", "uc_function main.sales.convert_currency", "agent-lib-helpdesk")]
    resolved = check_against_spec(parse_rows(rows, "names"), spec)
    assert resolved["genie_space"] == "01f0c0ffee5a1e5d4a7a5e5a1e5c0de1"
    assert resolved["uc_function main.sales.convert_currency"] == "main.sales.convert_currency"
    ambiguous = parse_rows([{"inputs": {"question": "q"}, "expectations": {"expected_tools": ["uc_function"]}}], "u")
    with pytest.raises(EvaluationError, match="expected tool 'uc_function'"):  # three UC functions: ambiguous
        check_against_spec(ambiguous, spec)


def test_an_mlflow_evaluation_dataset_by_name(tmp_path):
    import mlflow
    from mlflow.genai import datasets

    mlflow.set_tracking_uri(f"sqlite:///{tmp_path / 'mlflow.db'}")
    experiment = mlflow.set_experiment("/Shared/eval-datasets")
    try:
        created = datasets.create_dataset(name="agent-eval-small", experiment_id=experiment.experiment_id)
        created.merge_records([
            {"inputs": {"question": "Convert 10 USD to EUR"},
             "expectations": {"expected_tools": ["main.sales.convert_currency"], "expected_facts": ["9.2"]}},
            {"inputs": {"question": "hello"}, "expectations": {"expected_tools": []}}])
        loaded = load_dataset("mlflow:agent-eval-small")
        assert len(loaded) == 2 and loaded.name == "agent-eval-small"
        assert {c.question for c in loaded.cases} == {"Convert 10 USD to EUR", "hello"}
        with pytest.raises(EvaluationError, match="no MLflow evaluation dataset named 'nope'"):
            load_dataset("mlflow:nope")
    finally:
        mlflow.set_tracking_uri(None)
