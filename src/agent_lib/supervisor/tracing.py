"""MLflow tracing for a turn: one AGENT root span, a CHAT_MODEL span per model call, a TOOL span per call.

Spans are started with `mlflow.start_span_no_context` and explicit parents, so tool spans opened in
worker threads and a root span kept open across a generator's `yield`s nest correctly. Tracing must
never break a turn: if MLflow fails, the turn goes on untraced and `trace_id` is None.
Read a trace right after a turn with `mlflow.get_trace(trace_id, flush=True)` (logging is async).
"""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger("agent_lib.supervisor")


class Span:
    """A live span, or a no-op stand-in when tracing is off or failed."""

    def __init__(self, span: Any = None) -> None:
        self._span = span

    @property
    def active(self) -> bool:
        """A live span (False when tracing is off or failed): worth building outputs for."""
        return self._span is not None

    @property
    def trace_id(self) -> str | None:
        return getattr(self._span, "trace_id", None)

    def child(self, name: str, kind: str, inputs: Any = None,
              attributes: dict[str, Any] | None = None) -> Span:
        """A child span; `kind` names a `mlflow.entities.SpanType` member (`TOOL`, `CHAT_MODEL`, ...)."""
        if self._span is None:
            return Span()
        try:
            import mlflow
            from mlflow.entities import SpanType

            return Span(mlflow.start_span_no_context(name, span_type=getattr(SpanType, kind),
                                                     parent_span=self._span, inputs=inputs,
                                                     attributes=attributes))
        except Exception:
            log.warning("MLflow tracing failed; continuing without span %r", name, exc_info=True)
            return Span()

    def end(self, outputs: Any = None, *, error: str | None = None,
            attributes: dict[str, Any] | None = None) -> None:
        if self._span is None:
            return
        try:
            if attributes:
                self._span.set_attributes(attributes)
            if error is not None:
                self._span.set_attribute("error", error)
            self._span.end(outputs=outputs, status="ERROR" if error is not None else "OK")
        except Exception:
            log.warning("MLflow tracing failed to end a span", exc_info=True)
        finally:
            self._span = None


def root_span(name: str, inputs: Any, enabled: bool, attributes: dict[str, Any] | None = None) -> Span:
    """The AGENT span of a turn (a no-op `Span` when `enabled` is false). Inside a span already open
    (the App's request span of MLflow's AgentServer) the turn joins that trace instead of starting one."""
    if not enabled:
        return Span()
    try:
        import mlflow
        from mlflow.entities import SpanType

        parent = mlflow.get_current_active_span()
        return Span(mlflow.start_span_no_context(name, span_type=SpanType.AGENT, inputs=inputs,
                                                 attributes=attributes, parent_span=parent))
    except Exception:
        log.warning("MLflow tracing is unavailable; the turn runs untraced", exc_info=True)
        return Span()


__all__ = ["Span", "root_span"]
