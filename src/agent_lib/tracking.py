"""Where traces and evaluation runs go: the workspace's MLflow experiment, chosen by path.

    info = use_experiment(ws, "/Shared/agent-lib")   # sets MLflow's tracking URI and experiment
    info.experiment_id, info.tracking_uri, info.ui_url

Notebooks, the App and the evaluation call this one function, so they all log to the same place.
It is the same set-up on every workspace: MLflow's `databricks` tracking URI, the workspace's host
and credentials, the experiment by its workspace path. On the emulated workspace the MLflow API is
served by a real MLflow tracking server behind the emulator's host and auth (started on the first
MLflow request), so experiments, runs, traces and evaluation results live in the workspace there too.

MLflow reads Databricks credentials the way the SDK does (`DATABRICKS_HOST` / `DATABRICKS_TOKEN`,
or a profile of `~/.databrickscfg`). For a workspace selected by host (the emulated one included)
this sets those two variables in this process from the workspace's own client; the token is never
printed, returned or put in the tracking URI. For `profile:<name>` the URI names the profile.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .workspace import Workspace

__all__ = ["ExperimentInfo", "tracking_uri_for", "use_experiment"]


@dataclass(frozen=True)
class ExperimentInfo:
    """The experiment a run logs to; `tracking_uri` never carries a token.

    `ui_url` opens the experiment in the workspace's MLflow UI (`<host>/ml/experiments/<id>`; the
    emulated workspace redirects it to its tracking server's own UI).
    """

    name: str
    experiment_id: str
    tracking_uri: str
    ui_url: str = ""

    def trace_url(self, trace_id: str) -> str | None:
        """The trace's page: the experiment's Traces tab with the trace opened; None without a UI.

        The query is what MLflow's own UI writes into its trace links, `selectedEvaluationId=<id>`
        (read by the traces table of Databricks and OSS MLflow alike) and `traceId=<id>` (read by
        newer UIs): the URLSearchParams({selectedEvaluationId, traceId}) of the UI bundle shipped
        with mlflow 3.17 (mlflow/server/js/build/static/js/main.*.js, from mlflow/mlflow's
        mlflow/server/js/src, which Databricks' experiment pages share).
        """
        if not self.ui_url:
            return None
        from urllib.parse import urlencode

        return f"{self.ui_url}/traces?{urlencode({'selectedEvaluationId': trace_id, 'traceId': trace_id})}"


def tracking_uri_for(ws: Workspace) -> str:
    """MLflow's URI for the workspace: `databricks`, or `databricks://<profile>` for a profile."""
    if ws.kind.startswith("profile:"):
        return f"databricks://{ws.kind.split(':', 1)[1]}"
    return "databricks"


_SDK_AUTH = "MLFLOW_ENABLE_DB_SDK"


def _export_credentials(ws: Workspace) -> None:
    """Give MLflow the workspace's host and token the way it reads them: the environment.

    With a token, MLflow also sends it itself (`MLFLOW_ENABLE_DB_SDK=false`): its SDK path builds
    a new `WorkspaceClient` before every REST call (`mlflow.utils.databricks_utils.
    get_databricks_host_creds`), and each new SDK `Config` first fetches
    `<host>/.well-known/databricks-config` (databricks-sdk 0.162 `Config._resolve_host_metadata`):
    one extra round trip per MLflow call, 21 per evaluated row. Both paths send the same
    `Authorization: Bearer <token>`; OAuth (no token here) keeps the SDK path.
    """
    if ws.kind not in ("emulated", "host"):
        return  # a profile names itself in the URI; a notebook has its own credentials
    config = ws.client.config
    os.environ["DATABRICKS_HOST"] = str(config.host)
    if config.token:
        os.environ["DATABRICKS_TOKEN"] = config.token
        os.environ.pop("DATABRICKS_CONFIG_PROFILE", None)  # would take precedence over the token
        os.environ[_SDK_AUTH] = "false"
    elif os.environ.get(_SDK_AUTH) == "false":
        os.environ.pop(_SDK_AUTH)  # an earlier token workspace of this process set it


def use_experiment(ws: Workspace, experiment_name: str, *,
                   state_dir: str | Path = ".agent_lib") -> ExperimentInfo:
    """Point MLflow (tracing included) at `experiment_name` in `ws`, creating it when missing.

    `state_dir` is kept for callers of the interim local store; the experiment now lives in the
    workspace on every kind of workspace.
    """
    del state_dir
    import mlflow

    if not experiment_name.startswith("/"):
        from .errors import ParamsError

        raise ParamsError("experiment_name", experiment_name,
                          "a workspace path such as '/Shared/agent-lib' or '/Users/<you>/agent-lib'")
    _export_credentials(ws)
    uri = tracking_uri_for(ws)
    mlflow.set_tracking_uri(uri)
    experiment = mlflow.set_experiment(experiment_name)
    ui_url = f"{ws.host.rstrip('/')}/ml/experiments/{experiment.experiment_id}"
    return ExperimentInfo(experiment_name, experiment.experiment_id, uri, ui_url)
