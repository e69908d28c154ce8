"""The parameters of notebook 04 and `agent-lib evaluate`: one object, the same defaults for both."""

from __future__ import annotations

from pydantic import Field

from ..params import NotebookParams
from .run import DEFAULT_THRESHOLDS, EvalConfig
from .scorers import DETERMINISTIC, JUDGES


class EvaluateParams(NotebookParams):
    """What an evaluation run takes; the thresholds gate the job task."""

    dataset: str = "demo"
    """Dataset: demo (shipped), a .jsonl path, mlflow:<evaluation dataset> or uc:<catalog.schema.table>."""
    scorers: list[str] = Field(default_factory=lambda: list(DETERMINISTIC))
    """Deterministic scorers: tool_routing, facts_present, non_empty, latency."""
    judges: list[str] = Field(default_factory=lambda: list(JUDGES))
    """LLM judges run when judge_endpoint is set: correctness, guidelines, relevance_to_query, safety."""
    judge_endpoint: str = ""
    """Serving endpoint of the judge model; empty runs no LLM judge."""
    thresholds: dict[str, float] = Field(default_factory=lambda: dict(DEFAULT_THRESHOLDS))
    """Minimum pass rate (0..1) per scorer; judges not named here need 0.5."""
    max_workers: int = 4
    """Rows evaluated at the same time."""
    latency_budget_s: float = 30.0
    """A turn slower than this fails the latency scorer."""
    warehouse_id: str = ""
    """SQL warehouse that reads a uc: dataset (default: the workspace's first)."""

    def config(self) -> EvalConfig:
        return EvalConfig(dataset=self.dataset, scorers=tuple(self.scorers), judges=tuple(self.judges),
                          judge_endpoint=self.judge_endpoint, thresholds=dict(self.thresholds),
                          max_workers=self.max_workers, latency_budget_s=self.latency_budget_s,
                          engine=self.engine, warehouse_id=self.warehouse_id or None)


__all__ = ["EvaluateParams"]
