"""Which experiment an MLflow request touches and what permission it needs (rules, no HTTP).

Databricks gates MLflow by the experiment's ACL (`/api/2.0/permissions/experiments/<id>`):
CAN_READ to see an experiment, its runs, metrics, traces and assessments; CAN_EDIT to log runs,
metrics, traces and feedback into it; CAN_MANAGE to rename, delete or restore it (and to change
its permissions). The creator owns a new experiment; workspace admins pass every check.

`OPERATIONS` lists every MLflow operation the emulated workspace serves, each with where its
request names the object (an experiment id or name, a run, a trace or a logged model) and the
level it needs. A path that matches none is answered 404 ENDPOINT_NOT_FOUND with the list of what
is served, so an unserved MLflow feature fails loudly instead of passing ungated.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ..core.state import EmulatorState

READ, EDIT, MANAGE = "CAN_READ", "CAN_EDIT", "CAN_MANAGE"
OBJECT_TYPE = "experiments"


@dataclass(frozen=True)
class Ref:
    """Where a request names the object it touches: `kind` in experiment / experiment_name / run /
    trace / model / none, `field` a dotted path into the query+body (`[]` walks a list), or
    `{name}` for a path parameter."""

    kind: str
    field: str = ""


@dataclass(frozen=True)
class Operation:
    method: str
    path: str  # after /api/<version>/mlflow/, `{name}` for a path segment
    refs: tuple[Ref, ...]
    level: str | None  # None: any authenticated caller (create, search: filtered after)
    served_by: str = "mlflow"  # "mlflow": forwarded to the tracking server; "emulator": answered here
    name: str = ""

    def pattern(self) -> re.Pattern[str]:
        regex = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(self.path))
        return re.compile(f"^{regex}$")


def _op(method: str, path: str, level: str | None, *refs: Ref, name: str,
        served_by: str = "mlflow") -> Operation:
    return Operation(method, path, refs, level, served_by, name)


_EXP = Ref("experiment", "experiment_id")
_RUN = Ref("run", "run_id")
_TRACE = Ref("trace", "{trace_id}")

OPERATIONS: tuple[Operation, ...] = (
    # experiments
    _op("POST", "experiments/create", None, name="CreateExperiment"),
    _op("GET", "experiments/get", READ, _EXP, name="GetExperiment"),
    _op("GET", "experiments/get-by-name", READ, Ref("experiment_name", "experiment_name"),
        name="GetExperimentByName"),
    _op("POST", "experiments/search", None, name="SearchExperiments (filtered to readable)"),
    _op("POST", "experiments/update", MANAGE, _EXP, name="UpdateExperiment"),
    _op("POST", "experiments/delete", MANAGE, _EXP, name="DeleteExperiment"),
    _op("POST", "experiments/restore", MANAGE, _EXP, name="RestoreExperiment"),
    _op("POST", "experiments/set-experiment-tag", EDIT, _EXP, name="SetExperimentTag"),
    _op("POST", "experiments/delete-experiment-tag", EDIT, _EXP, name="DeleteExperimentTag"),
    # runs, params, metrics
    _op("POST", "runs/create", EDIT, _EXP, name="CreateRun"),
    _op("GET", "runs/get", READ, _RUN, name="GetRun"),
    _op("POST", "runs/search", READ, Ref("experiment", "experiment_ids[]"), name="SearchRuns"),
    *(_op("POST", f"runs/{verb}", EDIT, _RUN, name=name) for verb, name in (
        ("update", "UpdateRun"), ("delete", "DeleteRun"), ("restore", "RestoreRun"),
        ("log-metric", "LogMetric"), ("log-parameter", "LogParam"), ("log-batch", "LogBatch"),
        ("set-tag", "SetTag"), ("delete-tag", "DeleteTag"), ("log-model", "LogModel"),
        ("log-inputs", "LogInputs"), ("outputs", "LogOutputs"))),
    _op("GET", "metrics/get-history", READ, _RUN, name="GetMetricHistory"),
    _op("GET", "metrics/get-history-bulk-interval", READ, Ref("run", "run_ids[]"),
        name="GetMetricHistoryBulkInterval"),
    # run artifacts: listing by the server, bytes through signed URLs to the emulator
    _op("GET", "artifacts/list", READ, _RUN, name="ListArtifacts"),
    _op("POST", "artifacts/credentials-for-write", EDIT, _RUN, name="GetCredentialsForWrite",
        served_by="emulator"),
    _op("POST", "artifacts/credentials-for-read", READ, _RUN, name="GetCredentialsForRead",
        served_by="emulator"),
    # traces (v3 on /api/3.0, v2 paths on /api/2.0)
    _op("POST", "traces", EDIT, Ref("experiment", "trace.trace_info.trace_location.mlflow_experiment."
                                                  "experiment_id"), Ref("experiment", "experiment_id"),
        name="StartTraceV3"),
    _op("POST", "traces/search", READ, Ref("experiment", "locations[].mlflow_experiment.experiment_id"),
        Ref("experiment", "experiment_ids[]"), name="SearchTracesV3"),
    _op("GET", "traces", READ, Ref("experiment", "experiment_ids[]"), name="SearchTraces"),
    _op("GET", "traces/batchGet", READ, Ref("trace", "trace_ids[]"), name="BatchGetTraces"),
    _op("POST", "traces/batchGetInfos", READ, Ref("trace", "trace_ids[]"), name="BatchGetTraceInfos"),
    _op("GET", "traces/get", READ, Ref("trace", "trace_id"), name="GetTrace"),
    _op("GET", "traces/{trace_id}", READ, _TRACE, name="GetTraceInfoV3"),
    _op("GET", "traces/{trace_id}/info", READ, _TRACE, name="GetTraceInfo"),
    _op("PATCH", "traces/{trace_id}/tags", EDIT, _TRACE, name="SetTraceTag"),
    _op("DELETE", "traces/{trace_id}/tags", EDIT, _TRACE, name="DeleteTraceTag"),
    _op("POST", "traces/link-to-run", EDIT, _RUN, Ref("trace", "trace_ids[]"), name="LinkTracesToRun"),
    _op("POST", "traces/delete-traces", EDIT, _EXP, name="DeleteTraces"),
    _op("GET", "traces/{trace_id}/credentials-for-data-upload", EDIT, _TRACE,
        name="GetCredentialsForTraceDataUpload", served_by="emulator"),
    _op("GET", "traces/{trace_id}/credentials-for-data-download", READ, _TRACE,
        name="GetCredentialsForTraceDataDownload", served_by="emulator"),
    # assessments (feedback, expectations)
    _op("POST", "traces/{trace_id}/assessments", EDIT, _TRACE, name="CreateAssessment"),
    _op("GET", "traces/{trace_id}/assessments/{assessment_id}", READ, _TRACE, name="GetAssessment"),
    _op("PATCH", "traces/{trace_id}/assessments/{assessment_id}", EDIT, _TRACE, name="UpdateAssessment"),
    _op("DELETE", "traces/{trace_id}/assessments/{assessment_id}", EDIT, _TRACE, name="DeleteAssessment"),
    # logged models (mlflow.genai.evaluate may name one)
    _op("POST", "logged-models", EDIT, _EXP, name="CreateLoggedModel"),
    _op("POST", "logged-models/search", READ, Ref("experiment", "experiment_ids[]"),
        name="SearchLoggedModels"),
    _op("GET", "logged-models/{model_id}", READ, Ref("model", "{model_id}"), name="GetLoggedModel"),
    _op("PATCH", "logged-models/{model_id}", EDIT, Ref("model", "{model_id}"), name="FinalizeLoggedModel"),
    _op("PATCH", "logged-models/{model_id}/tags", EDIT, Ref("model", "{model_id}"),
        name="SetLoggedModelTags"),
    _op("POST", "logged-models/{model_id}/params", EDIT, Ref("model", "{model_id}"),
        name="LogLoggedModelParams"),
)

_COMPILED = tuple((op, op.pattern()) for op in OPERATIONS)


def find_operation(method: str, path: str) -> tuple[Operation, dict[str, str]] | None:
    """The served operation for `method` + path after `/mlflow/`, with its path parameters."""
    for op, pattern in _COMPILED:
        if op.method == method and (m := pattern.match(path)):
            return op, m.groupdict()
    return None


def served_paths() -> list[str]:
    return sorted({f"{op.method} {op.path}" for op in OPERATIONS})


def _walk(value: Any, parts: list[str]) -> list[str]:
    if not parts:
        if isinstance(value, list):
            return [str(v) for v in value if v not in (None, "")]
        return [] if value in (None, "") else [str(value)]
    head, rest = parts[0], parts[1:]
    if head.endswith("[]"):
        items = value.get(head[:-2]) if isinstance(value, dict) else None
        if isinstance(items, str):
            items = [items]
        return [v for item in (items or []) for v in _walk(item, rest)] if rest else _walk(items or [], [])
    return _walk(value.get(head) if isinstance(value, dict) else None, rest)


def referenced(op: Operation, params: dict[str, str], args: dict[str, Any]) -> list[tuple[str, str]]:
    """(kind, id) of every object the request names, from path parameters, query and body.

    `run_id` also accepts MLflow's older `run_uuid`; a list given as a query parameter arrives as
    a list (repeated keys).
    """
    found: list[tuple[str, str]] = []
    for ref in op.refs:
        if ref.field.startswith("{"):
            values = [params[ref.field.strip("{}")]]
        else:
            values = _walk(args, ref.field.split("."))
            if not values and ref.field == "run_id":
                values = _walk(args, ["run_uuid"])
        found.extend((ref.kind, v) for v in values)
    return found


# -- experiment ACLs --------------------------------------------------------------------------

def record_owner(state: EmulatorState, experiment_id: str, owner: Any) -> None:
    """The creator owns a new experiment (CAN_MANAGE), as on Databricks."""
    state.acls.create(OBJECT_TYPE, experiment_id, owner)


def readable(state: EmulatorState, caller: Any, experiment_id: str) -> bool:
    return state.acls.allows(caller, OBJECT_TYPE, experiment_id, READ)


def require(state: EmulatorState, caller: Any, experiment_id: str, level: str) -> None:
    state.acls.require(caller, OBJECT_TYPE, experiment_id, level)
