"""Fixtures for the prototype panel: the demo agent over the session's emulated workspace, traced.

    def test_x(panel_for):
        panel = panel_for()                 # a ChatPanel over the repository's agent.yml
        panel.text.value = "..."; panel.send.click(); panel.wait()
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def traced_ws(emulator: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A `Workspace` over the session's emulator, MLflow pointed at its experiment by
    `use_experiment` (state in a temporary folder); MLflow's globals are restored afterwards."""
    import mlflow
    from mlflow.tracking import fluent

    from agent_lib.tracking import use_experiment
    from agent_lib.workspace import Workspace

    previous = os.environ.get("MLFLOW_TRACKING_URI")
    ws = Workspace(emulator.client(), "emulated")
    info = use_experiment(ws, "/Shared/prototype-tests", state_dir=tmp_path_factory.mktemp("proto-state"))
    ws.experiment = info  # type: ignore[attr-defined]
    yield ws
    mlflow.flush_trace_async_logging()  # traces still queued would go wherever the URI points next
    mlflow.set_tracking_uri(previous)
    fluent._active_experiment_id = None
    os.environ.pop("MLFLOW_EXPERIMENT_ID", None)


@pytest.fixture
def panel_for(traced_ws: Any) -> Iterator[Callable[..., Any]]:
    """Build a `ChatPanel` over agent.yml (the reference model routes for real); closed after the test."""
    from agent_lib.prototype import ChatPanel, PrototypeParams, open_session, trace_links

    made: list[Any] = []

    def make(**supervisor_options: Any) -> Any:
        params = PrototypeParams(spec_path=str(ROOT / "agent.yml"))
        session = open_session(traced_ws, params, **supervisor_options)
        panel = ChatPanel(session, trace_url=trace_links(traced_ws, traced_ws.experiment))
        made.append(panel)
        return panel

    yield make
    for panel in made:
        panel.wait()
        panel.session.close()
