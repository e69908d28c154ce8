"""The evaluation end to end on the emulated workspace: the demo set passes its gate with the
reference model, a misleading tool description fails routing naming the rows, bad input fails before
any agent call, judges that fail per row count as failures, and the run is logged to MLflow."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agent_lib.evaluation import (
    DEFAULT_THRESHOLDS,
    EvalConfig,
    EvaluationError,
    ThresholdFailed,
    evaluate_agent,
    load_dataset,
    spec_hash,
)
from agent_lib.spec import load_spec, spec_from_dict

ROOT = Path(__file__).resolve().parents[2]
EXPERIMENT = "/Shared/agent-lib-eval-tests"


@pytest.fixture(scope="module")
def state(tmp_path_factory):
    return tmp_path_factory.mktemp("eval-state")


@pytest.fixture(scope="module")
def ws(state):
    from agent_lib.workspace import connect

    with connect("emulated", state_dir=state) as workspace:
        yield workspace


@pytest.fixture(scope="module")
def spec():
    return load_spec(ROOT / "agent.yml")


@pytest.fixture(scope="module")
def demo_report(ws, spec, state):
    return evaluate_agent(ws, spec, EvalConfig(max_workers=4), experiment_name=EXPERIMENT, state_dir=str(state))


def _subset(tmp_path: Path, ids: list[str], name: str = "subset") -> str:
    wanted = {c.id: c for c in load_dataset("demo").cases}
    path = tmp_path / f"{name}.jsonl"
    path.write_text("".join(json.dumps(wanted[i].model_dump(mode="json", exclude_none=True)) + "\n" for i in ids))
    return str(path)


def _runs(experiment: str = EXPERIMENT) -> int:
    import mlflow

    return len(mlflow.search_runs(experiment_names=[experiment], output_format="list"))


def _traces(experiment_id: str) -> int:
    import mlflow

    return len(mlflow.search_traces(locations=[experiment_id], return_type="list", max_results=1000))


def test_the_demo_dataset_passes_its_thresholds(demo_report, spec):
    assert demo_report.passed, demo_report.text()
    assert [m.name for m in demo_report.metrics] == list(DEFAULT_THRESHOLDS)
    assert len(demo_report.rows) == len(load_dataset("demo"))
    for metric in demo_report.metrics:  # our pass rates are MLflow's own means (no scorer errored)
        assert metric.value == pytest.approx(demo_report.mlflow_metrics[f"{metric.name}/mean"])
    routing = next(m for m in demo_report.metrics if m.name == "tool_routing")
    assert routing.applicable == len(demo_report.rows) and routing.value < 1.0  # honest: some rows fail
    assert demo_report.check() is demo_report


def test_the_run_carries_the_spec_hash_and_engine(demo_report, spec):
    import mlflow

    run = mlflow.get_run(demo_report.run_id)
    assert run.data.params["spec_hash"] == spec_hash(spec) and run.data.params["engine"] == "client"
    assert run.data.params["dataset"] == "demo" and run.data.params["rows"] == str(len(demo_report.rows))
    assert run.data.tags["gate"] == "passed"
    assert run.data.metrics["gate/tool_routing"] == pytest.approx(demo_report.metrics[0].value)


def test_rows_keep_their_tool_calls_and_latency(demo_report):
    rows = {r.id: r for r in demo_report.rows}
    order = rows["order-10042"]
    assert order.tools == ["main.sales.get_order_status"]
    assert order.tool_calls[0]["name"] == "main__sales__get_order_status"
    assert order.tool_calls[0]["arguments"] == {"order_id": "SO-10042"}
    assert order.latency_s and order.latency_s > 0
    both = rows["revenue-and-fx"]
    assert both.tools == ["01f0c0ffee5a1e5d4a7a5e5a1e5c0de1", "main.sales.convert_currency"]
    assert rows["weather"].tools == [] and rows["weather"].scores["tool_routing"].passed
    assert rows["weather"].scores["facts_present"].passed is None  # no facts expected: not scored
    failing = demo_report.failing_rows()
    assert set(failing["id"]) == {r.id for r in demo_report.rows if r.failed}
    assert all(failing["tool_calls"].str.len() > 0)


def test_the_plots_render_as_png(demo_report):
    png = demo_report.plots()._repr_png_()
    assert png.startswith(b"\x89PNG") and len(png) > 10_000


def test_a_misleading_description_fails_routing_naming_the_rows(ws, spec, state, tmp_path):
    raw = spec.model_dump(mode="json")
    genie = next(t for t in raw["tools"] if t["type"] == "genie_space")
    genie["genie_space"]["description"] = (  # the sales space described as an order tracker
        "Look up one order by its order id and return its current status, carrier and shipping details. "
        "Use when the user asks where a specific order is or whether it shipped.")
    misleading = spec_from_dict(raw)
    ids = ["revenue-2024", "lowest-region-2025", "customers-apac", "orders-march-2025", "order-10042",
           "order-12371-carrier"]
    report = evaluate_agent(ws, misleading, EvalConfig(dataset=_subset(tmp_path, ids), max_workers=2),
                            experiment_name=EXPERIMENT, state_dir=str(state))
    routing = next(m for m in report.metrics if m.name == "tool_routing")
    assert not routing.passed and routing.failing and set(routing.failing) <= set(ids)
    assert "revenue-2024" in routing.failing  # a sales question no longer reaches the sales space
    with pytest.raises(ThresholdFailed) as err:
        report.check()
    message = str(err.value)
    assert f"tool_routing = {routing.value:.3f} below threshold 0.85" in message
    assert all(row_id in message for row_id in routing.failing)
    failing = report.failing_rows()
    assert set(routing.failing) <= set(failing["id"])
    assert failing.set_index("id").loc["revenue-2024", "why"].startswith("tool_routing: called no tool; missing")


def test_hosted_engine_is_evaluated_the_same_way(ws, spec, state, tmp_path):
    import mlflow

    dataset = _subset(tmp_path, ["order-10042", "vpn", "globex-open-tickets", "weather"])
    report = evaluate_agent(ws, spec, EvalConfig(dataset=dataset, engine="hosted", max_workers=2),
                            experiment_name=EXPERIMENT, state_dir=str(state))
    assert report.engine == "hosted" and report.passed, report.text()
    assert mlflow.get_run(report.run_id).data.params["engine"] == "hosted"


@pytest.mark.parametrize(("change", "message"), [
    ({"thresholds": {"tool_routing": 1.5}}, "thresholds: tool_routing=1.5 is outside 0..1"),
    ({"thresholds": {"latency": -0.1}}, "thresholds: latency=-0.1 is outside 0..1"),
    ({"thresholds": {"bleu": 0.5}}, "thresholds: 'bleu' is not a scorer of this run"),
    ({"thresholds": {"correctness": 0.5}}, "'correctness' is a judge, and no judge_endpoint is set"),
    ({"scorers": ("tool_routing", "rouge")}, "scorers: unknown scorer 'rouge'"),
    ({"judge_endpoint": "no-such-judge"}, "judge_endpoint: serving endpoint 'no-such-judge' was not found"),
    ({"max_workers": 0}, "max_workers: 0 is not a whole number from 1 to 64"),
    ({"dataset": "rows-without-inputs"}, "row 2: no 'inputs'"),
    ({"dataset": "unknown-tool"}, "expected tool 'main.sales.refund_order' is not a tool of agent"),
])
def test_bad_input_fails_before_any_agent_call(ws, spec, state, tmp_path, change, message):
    from agent_lib.tracking import use_experiment

    if change.get("dataset") == "rows-without-inputs":
        (tmp_path / "d.jsonl").write_text(json.dumps({"inputs": {"question": "hi"}, "expectations": {
            "expected_tools": []}}) + "\n" + json.dumps({"expectations": {"expected_tools": []}}) + "\n")
        change = {"dataset": str(tmp_path / "d.jsonl")}
    elif change.get("dataset") == "unknown-tool":
        (tmp_path / "d.jsonl").write_text(json.dumps({"inputs": {"question": "refund SO-10042"}, "expectations": {
            "expected_tools": ["main.sales.refund_order"]}}) + "\n")
        change = {"dataset": str(tmp_path / "d.jsonl")}
    experiment = "/Shared/agent-lib-eval-bad-input"
    experiment_id = use_experiment(ws, experiment, state_dir=str(state)).experiment_id
    runs, traces = _runs(experiment), _traces(experiment_id)
    with pytest.raises(EvaluationError, match=message.replace("(", r"\(").replace(")", r"\)")):
        evaluate_agent(ws, spec, EvalConfig(**change), experiment_name=experiment, state_dir=str(state))
    assert (_runs(experiment), _traces(experiment_id)) == (runs, traces)  # no run, no agent turn traced


def test_judges_failing_per_row_count_as_failures(ws, spec, state, tmp_path):
    dataset = _subset(tmp_path, ["order-10042", "weather"])
    config = EvalConfig(dataset=dataset, judge_endpoint="databricks-claude-sonnet-4-5",
                        judges=("relevance_to_query",), max_workers=2)
    report = evaluate_agent(ws, spec, config, experiment_name=EXPERIMENT, state_dir=str(state))
    judge = next(m for m in report.metrics if m.name == "relevance_to_query")
    assert judge.threshold == 0.5 and judge.applicable == 2
    # The reference model is no judge (its answer is not the judge's JSON): MLflow records an error
    # per row instead of raising.
    assert judge.failing == ["order-10042", "weather"] and judge.value == 0.0
    assert all("scorer error" in r.scores["relevance_to_query"].rationale for r in report.rows)
    assert "relevance_to_query/mean" not in report.mlflow_metrics  # MLflow leaves the metric out
    with pytest.raises(ThresholdFailed, match="relevance_to_query = 0.000 below threshold 0.5"):
        report.check()


def test_the_demo_judge_endpoint_runs_mlflows_judges_and_their_failing_rows_count(ws, spec, state, tmp_path):
    rows = [json.loads(line) for line in Path(_subset(tmp_path, ["order-10042", "usd-to-eur", "weather"]))
            .read_text().splitlines()]
    rows[1]["expectations"]["expected_facts"].append("Mars")  # no answer says it: correctness fails there
    rows[2]["expectations"]["guidelines"] = ["The answer says 'no tool'."]  # quoted: the stand-in checks it
    path = tmp_path / "judged.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    config = EvalConfig(dataset=str(path), judge_endpoint="agent-lib-judge", max_workers=2,
                        thresholds={"correctness": 0.9})
    report = evaluate_agent(ws, spec, config, experiment_name=EXPERIMENT, state_dir=str(state))
    metric = {m.name: m for m in report.metrics}
    for name in ("correctness", "guidelines", "relevance_to_query", "safety"):  # every judge ran on its rows
        scored = [r.scores[name] for r in report.rows if r.scores[name].passed is not None]
        assert scored and all("scorer error" not in score.rationale for score in scored), name
    assert metric["correctness"].applicable == 2 and metric["correctness"].failing == ["usd-to-eur"]
    assert "Mars" in {r.id: r for r in report.rows}["usd-to-eur"].scores["correctness"].rationale
    assert metric["guidelines"].applicable == 1
    weather = {r.id: r for r in report.rows}["weather"]
    assert metric["guidelines"].failing == ([] if "no tool" in weather.answer.lower() else ["weather"])
    assert metric["safety"].value == 1.0 and metric["relevance_to_query"].applicable == 3
    with pytest.raises(ThresholdFailed, match=r"correctness = 0.500 below threshold 0.9 \(failing rows: usd-to-eur\)"):
        report.check()


def test_a_unity_catalog_table_of_cases_is_evaluated(ws, spec, state):
    from databricks.sdk.service.sql import StatementParameterListItem

    from agent_lib.emulator.warehouse.engine import Column

    table = "main.support.agent_eval_cases"
    ids = ["order-10042", "weather", "usd-to-eur"]
    cases = {c.id: c for c in load_dataset("demo").cases}
    # The table is made as the workspace makes its tables (the emulated warehouse refuses DDL, see
    # warehouse/sandbox.py); its rows go in through SQL statement execution, INSERT with MODIFY.
    ws.emulator.state.warehouse.create_table(
        table, [Column("id", "STRING"), Column("inputs", "STRING"), Column("expectations", "STRING")])
    warehouse = next(w.id for w in ws.client.warehouses.list())
    for case_id in ids:
        row = cases[case_id].model_dump(mode="json", exclude_none=True)
        done = ws.client.statement_execution.execute_statement(
            statement=f"INSERT INTO {table} VALUES (:id, :inputs, :expectations)", warehouse_id=warehouse,
            parameters=[StatementParameterListItem(name="id", value=case_id),
                        StatementParameterListItem(name="inputs", value=json.dumps(row["inputs"])),
                        StatementParameterListItem(name="expectations", value=json.dumps(row["expectations"]))],
            wait_timeout="30s")
        assert done.status.state.value == "SUCCEEDED", done.status
    report = evaluate_agent(ws, spec, EvalConfig(dataset=f"uc:{table}", max_workers=2), experiment_name=EXPERIMENT,
                            state_dir=str(state))
    assert report.dataset == table and sorted(r.id for r in report.rows) == sorted(ids)
    by_id = {r.id: r for r in report.rows}
    assert by_id["weather"].expected_tools == [] and by_id["order-10042"].expected_tools
    assert all(m.value is not None for m in report.metrics), report.text()


def test_a_uc_table_dataset_needs_inputs_and_expectations_columns(ws):
    with pytest.raises(EvaluationError, match=r"table main.sales.orders has no column expectations, inputs"):
        load_dataset("uc:main.sales.orders", ws=ws)
    with pytest.raises(EvaluationError, match="cannot read table main.sales.nope"):
        load_dataset("uc:main.sales.nope", ws=ws)
