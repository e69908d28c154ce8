"""One evaluation run: check the inputs, ask the agent every row concurrently, score, gate.

    config = EvalConfig(dataset="demo", thresholds={"tool_routing": 0.9}, max_workers=4)
    report = evaluate_agent(ws, spec, config, experiment_name="/Shared/agent-lib", state_dir=".agent_lib")
    report.summary()          # metric, value, threshold, passed
    report.check()            # raises ThresholdFailed naming each failed metric and its rows

Everything that can be wrong with the inputs (a row without inputs, an expected tool the spec lacks,
an unknown scorer, a threshold outside 0..1, a judge endpoint that does not exist) fails in
`prepare` before the first agent call. The run is `mlflow.genai.evaluate` with `predict_fn` calling
the Supervisor (either engine), inside one MLflow run whose params carry the spec's hash and the
engine, so two runs can be compared. Rows run concurrently on `max_workers` threads (MLflow's
`MLFLOW_GENAI_EVAL_MAX_WORKERS`, set for the call; its predict rate limiter, which starts at 10 calls a
second, is switched off so the worker count is the only bound), each thread with its own Supervisor.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from . import scorers as scoring
from .dataset import EvaluationError, check_against_spec, load_dataset
from .plan import Prepared
from .report import EvalReport, build_report

if TYPE_CHECKING:
    from ..spec import AgentSpec
    from ..workspace import Workspace

DEFAULT_THRESHOLDS: Mapping[str, float] = {"tool_routing": 0.85, "facts_present": 0.8, "non_empty": 1.0,
                                           "latency": 0.95}
"""The gate of the demo agent: minimum pass rate per scorer (the notebook's and the CLI's defaults)."""
DEFAULT_JUDGE_THRESHOLD = 0.5
"""The minimum pass rate of a judge that `thresholds` does not name."""
MAX_WORKERS_CAP = 64
_ENV_LOCK = threading.Lock()
_OUTPUT_CHARS = 600


@dataclass(frozen=True)
class EvalConfig:
    """What an evaluation run takes; every field is a notebook / CLI parameter."""

    dataset: str = "demo"
    scorers: Sequence[str] = scoring.DETERMINISTIC
    judges: Sequence[str] = scoring.JUDGES
    judge_endpoint: str = ""
    """Serving endpoint of the judge model; empty runs no LLM judge."""
    thresholds: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_THRESHOLDS))
    max_workers: int = 4
    latency_budget_s: float = 30.0
    engine: str = ""
    """'' takes the spec's engine."""
    warehouse_id: str | None = None
    run_name: str = ""


def spec_hash(spec: AgentSpec) -> str:
    """A short digest of everything the agent is made of (model, instructions, tools, engine)."""
    text = json.dumps(spec.model_dump(mode="json"), sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def prepare(ws: Workspace | None, spec: AgentSpec, config: EvalConfig) -> Prepared:
    """Check every input; raises EvaluationError naming the row or parameter. Calls no agent."""
    from ..supervisor import ENGINES

    names, judges = tuple(config.scorers), tuple(config.judges)
    endpoint = config.judge_endpoint.strip()
    scoring.check_names(names, judges, endpoint)
    engine = config.engine or spec.engine
    if engine not in ENGINES:
        raise EvaluationError(f"engine: {engine!r} is not an engine; use hosted or client")
    if not isinstance(config.max_workers, int) or not 1 <= config.max_workers <= MAX_WORKERS_CAP:
        raise EvaluationError(f"max_workers: {config.max_workers!r} is not a whole number from 1 to "
                              f"{MAX_WORKERS_CAP}")
    if not config.latency_budget_s > 0:
        raise EvaluationError(f"latency_budget_s: {config.latency_budget_s!r} must be a positive number of seconds")
    active = names + (judges if endpoint else ())
    thresholds = _thresholds(config.thresholds, active, judges)
    dataset = load_dataset(config.dataset, ws=ws, warehouse_id=config.warehouse_id)
    resolved = check_against_spec(dataset, spec)
    records = dataset.records()
    for record in records:
        record["expectations"]["expected_tools"] = sorted(
            {resolved[t] for t in record["expectations"]["expected_tools"]})
    judge_model = None
    if endpoint:
        _check_endpoint(ws, endpoint)
        judge_model = f"databricks:/{endpoint}"
    return Prepared(dataset, records, names, judges if endpoint else (), thresholds, judge_model, engine)


def evaluate_agent(ws: Workspace, spec: AgentSpec, config: EvalConfig | None = None, *,
                   experiment_name: str = "/Shared/agent-lib", state_dir: str = ".agent_lib") -> EvalReport:
    """Run the evaluation of `spec` on `config.dataset` and return its report (not yet gated)."""
    import mlflow

    from ..tracking import use_experiment

    config = config or EvalConfig()
    prepared = prepare(ws, spec, config)
    experiment = use_experiment(ws, experiment_name, state_dir=state_dir)
    built = scoring.build(prepared.scorer_names, latency_budget_s=config.latency_budget_s,
                          judges=prepared.judge_names, judge_model=prepared.judge_model)
    agents = _Agents(ws, spec, prepared.engine)
    run_name = config.run_name or f"evaluate {spec.name} ({prepared.engine}, {prepared.dataset.name})"
    try:
        with mlflow.start_run(run_name=run_name) as run:
            mlflow.log_params({
                "spec_hash": spec_hash(spec), "engine": prepared.engine, "agent": spec.name,
                "model": spec.model, "dataset": prepared.dataset.name,
                "dataset_digest": prepared.dataset.digest, "rows": len(prepared.records),
                "max_workers": config.max_workers, "latency_budget_s": config.latency_budget_s,
                "judge_endpoint": config.judge_endpoint or "(none)"})
            started = time.perf_counter()
            with _eval_env(config.max_workers), _one_trace_per_row():
                result = mlflow.genai.evaluate(data=prepared.records, scorers=built, predict_fn=agents.predict)
            seconds = time.perf_counter() - started
            report = build_report(result, prepared, [s.name for s in built], agents.by_trace, run_id=run.info.run_id,
                                  experiment_id=experiment.experiment_id, seconds=seconds)
            mlflow.log_metrics({f"gate/{m.name}": m.value for m in report.metrics if m.value is not None})
            mlflow.set_tag("gate", "passed" if report.passed else "failed")
    finally:
        agents.close()
    return report


class _Agents:
    """One Supervisor per worker thread (each keeps its own tool pool and MCP sessions), and the map
    from the function names the model calls back to the spec's tools."""

    def __init__(self, ws: Workspace, spec: AgentSpec, engine: str) -> None:
        from ..supervisor.tools import Toolset
        from ..supervisor.tools.base import ToolContext

        self.ws, self.spec, self.engine = ws, spec, engine
        self._local = threading.local()
        self._made: list[Any] = []
        self.by_trace: dict[str, dict[str, Any]] = {}
        """What `predict` returned, by the turn's trace id (the result table shows the trace's own output)."""
        self._lock = threading.Lock()
        self._tools = Toolset(spec.tools, ToolContext(ws.client))
        self._approve = [t.ref for t in spec.tools if t.type in ("uc_connection", "app")]
        self._tools.functions()  # lists MCP servers and Apps once, so no row's latency pays their start

    def _supervisor(self) -> Any:
        sup = getattr(self._local, "supervisor", None)
        if sup is None:
            from ..supervisor import Supervisor

            sup = Supervisor(self.spec, self.ws.client, engine=self.engine, auto_approve=self._approve)  # type: ignore[arg-type]
            self._local.supervisor = sup
            with self._lock:
                self._made.append(sup)
        return sup

    def tool_of(self, name: str) -> str:
        executor = self._tools.route(name)
        return executor.tool.ref if executor is not None else name

    def predict(self, question: str | None = None, input: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        """What `mlflow.genai.evaluate` calls per row: a dict the scorers read (never raises)."""
        started = time.perf_counter()
        try:
            result = self._supervisor().respond(question if question is not None else list(input or []))
        except Exception as exc:  # noqa: BLE001 - a failed turn is a failed row, not a failed run
            return {"answer": "", "tools": [], "tool_calls": [], "latency_s": time.perf_counter() - started,
                    "error": f"{type(exc).__name__}: {exc}"}
        calls = [{"name": c.name, "tool": self.tool_of(c.name), "arguments": c.arguments,
                  "output": (c.output or "")[:_OUTPUT_CHARS], "error": c.error} for c in result.tool_calls]
        outputs = {"answer": result.text, "tools": sorted({c["tool"] for c in calls}), "tool_calls": calls,
                   "latency_s": time.perf_counter() - started, "error": None}
        if result.trace_id:
            with self._lock:
                self.by_trace[result.trace_id] = outputs
        return outputs

    def close(self) -> None:
        with self._lock:
            made, self._made = self._made, []
        for sup in made:
            sup.close()
        self._tools.close()


@contextlib.contextmanager
def _eval_env(max_workers: int) -> Iterator[None]:
    """MLflow reads its evaluation settings from the environment: set them for this call only."""
    values = {"MLFLOW_GENAI_EVAL_MAX_WORKERS": str(max_workers),
              "MLFLOW_GENAI_EVAL_PREDICT_RATE_LIMIT": os.environ.get("MLFLOW_GENAI_EVAL_PREDICT_RATE_LIMIT", "0"),
              "MLFLOW_GENAI_EVAL_SKIP_TRACE_VALIDATION": "true",  # the Supervisor traces each turn itself
              # the harness reads each row's trace right after predict_fn returns: the Supervisor's
              # spans end on its own threads, so they must be written synchronously to be there
              "MLFLOW_ENABLE_ASYNC_TRACE_LOGGING": "false"}
    from mlflow.tracing import reset

    with _ENV_LOCK:
        saved = {k: os.environ.get(k) for k in values}
        os.environ.update(values)
        reset()  # the tracer provider reads the logging mode when it starts
        try:
            yield
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
            reset()


@contextlib.contextmanager
def _one_trace_per_row() -> Iterator[None]:
    """The Supervisor traces each turn itself: one AGENT trace with its CHAT_MODEL and TOOL spans.
    `mlflow.genai.evaluate` turns on autologging for every flavor not explicitly disabled, and the
    openai flavor's records each model call again as a trace of its own (3 traces a row instead
    of 1, each a create, a signed upload and their round trips). Disabled for the call, as it was
    after."""
    import mlflow
    from mlflow.utils.autologging_utils import AUTOLOGGING_INTEGRATIONS

    before = dict(AUTOLOGGING_INTEGRATIONS.get("openai", {}))
    mlflow.openai.autolog(disable=True, silent=True)
    try:
        yield
    finally:
        if before:
            import inspect

            known = inspect.signature(mlflow.openai.autolog).parameters
            mlflow.openai.autolog(**{k: v for k, v in before.items() if k in known})
        else:
            AUTOLOGGING_INTEGRATIONS.pop("openai", None)


def _thresholds(given: Mapping[str, Any], active: Sequence[str], judges: Sequence[str]) -> dict[str, float]:
    if not isinstance(given, Mapping):
        raise EvaluationError(f"thresholds: expected a mapping of scorer name to a minimum pass rate, "
                              f"got {type(given).__name__}")
    chosen: dict[str, float] = {}
    for name, value in given.items():
        if name not in active:
            why = ("a judge, and no judge_endpoint is set" if name in judges or name in scoring.JUDGES
                   else f"not a scorer of this run ({', '.join(active)})")
            raise EvaluationError(f"thresholds: {name!r} is {why}; remove it or add the scorer")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= float(value) <= 1.0:
            raise EvaluationError(f"thresholds: {name}={value!r} is outside 0..1; a threshold is the minimum "
                                  "pass rate, e.g. 0.85")
        chosen[name] = float(value)
    for name in active:
        default = DEFAULT_THRESHOLDS.get(name, DEFAULT_JUDGE_THRESHOLD)
        chosen.setdefault(name, default)
    return {name: chosen[name] for name in active}


def _check_endpoint(ws: Workspace | None, endpoint: str) -> None:
    if ws is None:
        raise EvaluationError(f"judge_endpoint: cannot check {endpoint!r} without a workspace")
    try:
        ws.client.serving_endpoints.get(endpoint)
    except Exception as exc:  # noqa: BLE001 - NotFound and friends; the message names the endpoint
        raise EvaluationError(f"judge_endpoint: serving endpoint {endpoint!r} was not found in the workspace "
                              f"({type(exc).__name__}); name an existing chat endpoint or leave it empty to "
                              "run no LLM judge") from None


__all__ = ["DEFAULT_JUDGE_THRESHOLD", "DEFAULT_THRESHOLDS", "EvalConfig", "Prepared", "evaluate_agent",
           "prepare", "spec_hash"]
