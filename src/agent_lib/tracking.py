"""Where traces and evaluation runs go: the workspace's MLflow experiment, chosen by path.

    info = use_experiment(ws, "/Shared/agent-lib")   # sets MLflow's tracking URI and experiment
    info.experiment_id, info.tracking_uri

Notebooks, the App and the evaluation call this one function, so they all log to the same place.
On a real workspace that is the `databricks` tracking URI with the workspace's own credentials.

Interim (until the emulated workspace serves MLflow's tracking API): on the emulated workspace the
experiment lives in a local SQLite store in the state folder.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .workspace import Workspace

__all__ = ["ExperimentInfo", "use_experiment"]


@dataclass(frozen=True)
class ExperimentInfo:
    """The experiment a run logs to; `tracking_uri` never carries a token."""

    name: str
    experiment_id: str
    tracking_uri: str


def use_experiment(ws: Workspace, experiment_name: str, *, state_dir: str | Path = ".agent_lib") -> ExperimentInfo:
    """Point MLflow (tracing included) at `experiment_name` in `ws`, creating it when missing."""
    import mlflow

    if ws.kind == "emulated":
        state = Path(state_dir).resolve()
        state.mkdir(parents=True, exist_ok=True)
        uri = f"sqlite:///{state / 'mlflow.db'}"
    else:
        uri = "databricks"
    mlflow.set_tracking_uri(uri)
    experiment = mlflow.set_experiment(experiment_name)
    return ExperimentInfo(experiment_name, experiment.experiment_id, uri)
