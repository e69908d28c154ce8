"""What an evaluation run found: per-scorer pass rates against thresholds, per-row results, plots.

    report.summary()        # DataFrame: metric, value, threshold, passed, rows
    report.failing_rows()   # DataFrame: the rows that failed a scorer, with their tool calls
    report.figure()         # matplotlib Figure: pass rate per scorer, latency distribution
    report.check()          # raises ThresholdFailed naming each failed metric, value, threshold, rows

A metric is the pass rate of one scorer over the rows it applies to. A row whose scorer errored
(MLflow records a failing judge as an error instead of raising) counts as failed; a row with no
result at all (its trace could not be recorded) counts as failed for every scorer; a metric with
no row to score is missing, and a missing metric fails its threshold.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .dataset import EvaluationError

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

    from .plan import Prepared

_PASS = {True, "yes", "true", "pass", "passed"}
_FAIL = {False, "no", "false", "fail", "failed"}
_NEEDS = {"correctness": "expected_facts", "guidelines": "guidelines"}
"""Judges that apply only to rows carrying this expectation."""


class ThresholdFailed(EvaluationError):
    """One or more metrics are below their threshold or missing; the message names each."""

    def __init__(self, failures: Sequence[Metric]) -> None:
        self.failures = list(failures)
        super().__init__("evaluation gate failed: " + "; ".join(m.describe() for m in failures))


@dataclass(frozen=True)
class Score:
    passed: bool | None
    """None: the scorer does not apply to this row."""
    rationale: str = ""


@dataclass(frozen=True)
class RowResult:
    id: str
    kind: str
    question: str
    expected_tools: list[str]
    tools: list[str]
    answer: str
    latency_s: float | None
    error: str | None
    tool_calls: list[dict[str, Any]]
    scores: dict[str, Score]

    @property
    def failed(self) -> list[str]:
        return [name for name, score in self.scores.items() if score.passed is False]


@dataclass(frozen=True)
class Metric:
    name: str
    value: float | None
    threshold: float
    applicable: int
    failing: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.value is not None and self.value >= self.threshold

    def describe(self) -> str:
        rows = f" (failing rows: {', '.join(self.failing[:12])}{' ...' if len(self.failing) > 12 else ''})" \
            if self.failing else ""
        if self.value is None:
            return f"{self.name} is missing (no row was scored), threshold {self.threshold:g}{rows}"
        verdict = "below" if not self.passed else "at or above"
        return f"{self.name} = {self.value:.3f} {verdict} threshold {self.threshold:g}{rows}"


@dataclass(frozen=True)
class EvalReport:
    run_id: str
    experiment_id: str
    engine: str
    dataset: str
    seconds: float
    metrics: list[Metric]
    rows: list[RowResult]
    mlflow_metrics: Mapping[str, float] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return all(m.passed for m in self.metrics)

    def failures(self) -> list[Metric]:
        return [m for m in self.metrics if not m.passed]

    def check(self) -> EvalReport:
        """Raise ThresholdFailed unless every metric meets its threshold; returns self otherwise."""
        failures = self.failures()
        if failures:
            raise ThresholdFailed(failures)
        return self

    def summary(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame([{"metric": m.name, "value": None if m.value is None else round(m.value, 3),
                              "threshold": m.threshold, "passed": m.passed,
                              "rows": f"{m.applicable - len(m.failing)}/{m.applicable}"}
                             for m in self.metrics])

    def failing_rows(self) -> pd.DataFrame:
        import pandas as pd

        columns = ["id", "kind", "failed", "question", "expected_tools", "tool_calls", "answer", "why"]
        records = []
        for row in self.rows:
            if not row.failed:
                continue
            calls = "; ".join(f"{c['tool']}: {c['name']}({_short(json.dumps(c['arguments']), 60)})"
                              + (f" -> error {_short(c['error'], 60)}" if c.get("error") else "")
                              for c in row.tool_calls) or "(no tool)"
            why = " | ".join(f"{name}: {row.scores[name].rationale}" for name in row.failed)
            records.append({"id": row.id, "kind": row.kind, "failed": ", ".join(row.failed),
                            "question": row.question, "expected_tools": ", ".join(row.expected_tools) or "(none)",
                            "tool_calls": calls, "answer": _short(row.answer or row.error or "", 160), "why": why})
        return pd.DataFrame(records, columns=columns)

    def latencies(self) -> list[float]:
        return [r.latency_s for r in self.rows if r.latency_s is not None]

    def plots(self) -> Plots:
        """The figure as an image that stays in an executed notebook (rendered to PNG, no GUI backend)."""
        return Plots(self.figure())

    def figure(self) -> Figure:
        """Pass rate per scorer (threshold marked) and the distribution of turn latencies."""
        from matplotlib.figure import Figure

        fig = Figure(figsize=(11, 3.8), layout="constrained")
        left, right = fig.subplots(1, 2, width_ratios=[1.3, 1])
        names = [m.name for m in self.metrics]
        values = [m.value or 0.0 for m in self.metrics]
        colors = ["#2e7d32" if m.passed else "#c62828" for m in self.metrics]
        bars = left.barh(names, values, color=colors)
        for i, m in enumerate(self.metrics):
            left.plot([m.threshold, m.threshold], [i - 0.4, i + 0.4], color="black", linewidth=2)
        left.bar_label(bars, labels=["missing" if m.value is None else f"{m.value:.0%}" for m in self.metrics],
                       padding=3)
        left.set_xlim(0, 1.12)
        left.invert_yaxis()
        left.set_xlabel("pass rate (black line: threshold)")
        left.set_title("Pass rate per scorer")
        latencies = self.latencies()
        right.hist(latencies or [0.0], bins=min(20, max(5, len(latencies) // 3)), color="#1565c0")
        right.set_xlabel("seconds per turn")
        right.set_ylabel("rows")
        if latencies:
            ordered = sorted(latencies)
            p50, p95 = ordered[len(ordered) // 2], ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
            right.axvline(p50, color="black", linestyle="--", linewidth=1)
            right.axvline(p95, color="#c62828", linestyle="--", linewidth=1)
            right.set_title(f"Latency: median {p50:.2f} s, p95 {p95:.2f} s")
        else:
            right.set_title("Latency: no turn recorded")
        return fig

    def text(self) -> str:
        """The summary as a plain-text table (terminals, logs)."""
        lines = [f"{'metric':<22} {'value':>7} {'threshold':>9}  result  rows"]
        for m in self.metrics:
            value = "missing" if m.value is None else f"{m.value:.3f}"
            lines.append(f"{m.name:<22} {value:>7} {m.threshold:>9g}  {'pass' if m.passed else 'FAIL':<6}  "
                         f"{m.applicable - len(m.failing)}/{m.applicable}")
        return "\n".join(lines)


class Plots:
    """A matplotlib figure that notebooks display as a PNG (`_repr_png_`) whatever the backend."""

    def __init__(self, figure: Figure) -> None:
        self.figure = figure

    def png(self) -> bytes:
        import io

        buffer = io.BytesIO()
        self.figure.savefig(buffer, format="png", dpi=100)
        return buffer.getvalue()

    def _repr_png_(self) -> bytes:
        return self.png()

    def __repr__(self) -> str:
        return "Plots(pass rate per scorer, latency distribution)"


def build_report(result: Any, prepared: Prepared, scorer_names: Sequence[str],
                 outputs_by_trace: Mapping[str, Mapping[str, Any]], *, run_id: str, experiment_id: str,
                 seconds: float) -> EvalReport:
    """Read MLflow's per-row results (`result.result_df`) into rows and gated metrics.

    `scorer_names` pairs our names with the assessment names MLflow logged (`name -> scorer.name`);
    `outputs_by_trace` holds what `predict_fn` returned for each row's trace.
    """
    frame = getattr(result, "result_df", None)
    by_case = _rows_by_case(frame)
    names = list(prepared.thresholds)
    assessment = dict(zip(names, scorer_names, strict=True))
    rows: list[RowResult] = []
    for case, record in zip(prepared.dataset.cases, prepared.records, strict=True):
        found = by_case.get(case.id)
        outputs: Mapping[str, Any] = {}
        if found is not None:
            outputs = outputs_by_trace.get(str(found.get("trace_id")), {})
        scores: dict[str, Score] = {}
        for name in names:
            needs = _NEEDS.get(name) if name in prepared.judge_names else None
            if needs and not record["expectations"].get(needs):
                scores[name] = Score(None, f"no {needs} in this row")
            elif found is None:
                scores[name] = Score(False, "no result recorded for this row (its trace was not logged)")
            else:
                scores[name] = _score(found, assessment[name])
        rows.append(RowResult(
            id=case.id, kind=case.kind or "", question=case.question,
            expected_tools=list(record["expectations"]["expected_tools"]),
            tools=list(outputs.get("tools") or []), answer=str(outputs.get("answer") or ""),
            latency_s=outputs.get("latency_s"), error=outputs.get("error"),
            tool_calls=list(outputs.get("tool_calls") or []), scores=scores))
    metrics = []
    for name in names:
        applicable = [r for r in rows if r.scores[name].passed is not None]
        failing = [r.id for r in applicable if r.scores[name].passed is False]
        value = (len(applicable) - len(failing)) / len(applicable) if applicable else None
        metrics.append(Metric(name, value, prepared.thresholds[name], len(applicable), failing))
    return EvalReport(run_id=run_id, experiment_id=experiment_id, engine=prepared.engine,
                      dataset=prepared.dataset.name, seconds=seconds, metrics=metrics, rows=rows,
                      mlflow_metrics=dict(getattr(result, "metrics", {}) or {}))


def _rows_by_case(frame: Any) -> dict[str, Mapping[str, Any]]:
    if frame is None:
        return {}
    found: dict[str, Mapping[str, Any]] = {}
    for record in frame.to_dict(orient="records"):
        tags = record.get("tags")
        if isinstance(tags, Mapping) and tags.get("case"):
            found[str(tags["case"])] = record
    return found


def _score(found: Mapping[str, Any], name: str) -> Score:
    value = found.get(f"{name}/value")
    raw = found.get(f"{name}/rationale")
    rationale = "" if _missing(raw) else str(raw or "")
    error = found.get(f"{name}/error_message")
    if error and not _missing(error):  # a column another row's error made: NaN on this row
        return Score(False, f"scorer error: {_short(str(error), 200)}")
    if _missing(value):
        return Score(None, rationale or "not applicable")
    key = value.strip().lower() if isinstance(value, str) else value
    if key in _PASS:
        return Score(True, rationale)
    if key in _FAIL:
        return Score(False, rationale)
    return Score(False, f"unreadable value {value!r}: {rationale}")


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _short(text: str | None, limit: int) -> str:
    text = " ".join(str(text or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


__all__ = ["EvalReport", "Metric", "Plots", "RowResult", "Score", "ThresholdFailed", "build_report"]
