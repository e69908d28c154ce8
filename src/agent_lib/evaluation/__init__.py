"""Evaluate the agent with MLflow GenAI: a versioned dataset, deterministic scorers, optional LLM
judges, thresholds that gate the job (notebook 04 and `agent-lib evaluate` make the same call).

    from agent_lib.evaluation import EvalConfig, evaluate_agent

    report = evaluate_agent(ws, spec, EvalConfig(dataset="demo", max_workers=4),
                            experiment_name="/Shared/agent-lib", state_dir=".agent_lib")
    report.summary(); report.failing_rows(); report.figure()
    report.check()                      # ThresholdFailed names each metric below its threshold

Bad input (a row without inputs, an expected tool the spec lacks, an unknown scorer, a threshold
outside 0..1, a judge endpoint that does not exist) raises `EvaluationError` before any agent call.
"""

from .dataset import BUILT_IN, Case, Dataset, EvaluationError, check_against_spec, load_dataset, parse_rows
from .params import EvaluateParams
from .report import EvalReport, Metric, RowResult, ThresholdFailed
from .run import DEFAULT_THRESHOLDS, EvalConfig, evaluate_agent, prepare, spec_hash
from .scorers import DETERMINISTIC, JUDGES

__all__ = [
    "BUILT_IN",
    "DEFAULT_THRESHOLDS",
    "DETERMINISTIC",
    "JUDGES",
    "Case",
    "Dataset",
    "EvalConfig",
    "EvalReport",
    "EvaluateParams",
    "EvaluationError",
    "Metric",
    "RowResult",
    "ThresholdFailed",
    "check_against_spec",
    "evaluate_agent",
    "load_dataset",
    "parse_rows",
    "prepare",
    "spec_hash",
]
