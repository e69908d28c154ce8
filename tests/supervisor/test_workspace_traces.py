"""Supervisor turns traced into the workspace's experiment (`use_experiment`, `databricks` URI) and
read back from the tracking store: the emulated workspace's real MLflow tracking server."""

from __future__ import annotations

import json

import pytest

from agent_lib.supervisor import Supervisor

ORDER_CALL = {"tool_calls": [{"name": "main__sales__get_order_status", "arguments": {"order_id": "SO-10042"}}]}


@pytest.mark.parametrize("engine", ["client", "hosted"])
def test_turns_are_traced_to_the_workspace_experiment_with_llm_and_tool_spans(
        engine, kit, script, emulator, workspace_experiment):
    from mlflow import MlflowClient

    script([ORDER_CALL, {"text": "SO-10042 has shipped.", "expect": ""},
            {"text": "You're welcome.", "expect": ""}])
    sup = Supervisor(kit.spec_with(kit.UC_FUNCTION), emulator.client(), engine=engine)
    first = sup.respond("Where is order SO-10042?")
    second = sup.respond(first.ask("thanks!"))
    assert first.trace_id and second.trace_id and first.trace_id != second.trace_id

    import mlflow

    mlflow.flush_trace_async_logging()
    client = MlflowClient()  # the `databricks` URI: through the emulator's host and auth
    traces = client.search_traces(locations=[workspace_experiment.experiment_id])
    assert {t.info.trace_id for t in traces} == {first.trace_id, second.trace_id}

    trace = client.get_trace(first.trace_id)
    kinds = [s.span_type for s in trace.data.spans]
    assert kinds.count("AGENT") == 1 and "CHAT_MODEL" in kinds  # CHAT_MODEL: MLflow's LLM chat span
    tool = next(s for s in trace.data.spans if s.span_type == "TOOL")
    assert tool.name == "main__sales__get_order_status"
    assert "SO-10042" in json.dumps(tool.inputs)
    assert "delivered" in json.dumps(tool.outputs) and "FedEx" in json.dumps(tool.outputs)
    root = next(s for s in trace.data.spans if s.parent_id is None)
    assert root.outputs["text"] == "SO-10042 has shipped."
    assert [s.span_type for s in client.get_trace(second.trace_id).data.spans].count("TOOL") == 0

    dumped = trace.to_json() + json.dumps(trace.info.to_dict())
    assert emulator.token not in dumped and "Bearer" not in dumped


def test_traces_are_in_the_tracking_servers_own_store(kit, script, emulator, workspace_experiment):
    """The same trace read straight from the real MLflow server behind the emulator."""
    import httpx
    import mlflow
    from mlflow import MlflowClient

    script([ORDER_CALL, {"text": "Shipped.", "expect": ""}])
    result = Supervisor(kit.spec_with(kit.UC_FUNCTION), emulator.client(), engine="client").respond("SO-10042?")
    mlflow.flush_trace_async_logging()
    ui = httpx.get(f"{emulator.host}/_emulator/mlflow",
                   headers={"Authorization": f"Bearer {emulator.token}"}, timeout=120).json()["ui_url"]
    direct = MlflowClient(tracking_uri=ui).get_trace(result.trace_id)
    assert {s.name for s in direct.data.spans} >= {"main__sales__get_order_status"}
    assert direct.info.experiment_id == workspace_experiment.experiment_id
