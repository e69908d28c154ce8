"""The relayed event stream of a hosted turn (see `hosted` for the rules it follows)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from ..errors import SupervisorError
from . import events as ev
from ._redact import redact
from .failures import envelope, error_code, from_exception
from .hosted_request import check_response, end_model_span, model_span, split_create_kwargs, trace_tools
from .result import AgentResult, InputItems, normalize_input
from .tracing import Span, root_span

if TYPE_CHECKING:
    from openai.types.responses import ResponseStreamEvent

    from ..spec import AgentSpec
    from .retry import RetryPolicy


class HostedEngine(Protocol):
    """What a stream needs of its engine (`hosted.HostedEngine`)."""

    spec: AgentSpec
    retry: RetryPolicy
    tracing: bool
    timeout_s: float
    max_legs: int
    where: str

    @property
    def client(self) -> Any: ...

    def body(self, input: str | Sequence[Any], *, stream: bool = False,
             background: bool = False) -> dict[str, Any]: ...

    def trusted(self, item: Any) -> bool: ...

    def next_input(self, items: InputItems, echoed: Sequence[Any]) -> InputItems | None: ...

_INDEXED = ("response.output_item.added", "response.output_item.done")


class HostedStream:
    """The relayed event stream of one hosted turn; `result` is set once it completed.

    Events are renumbered (`sequence_number`, and `output_index` across auto-approved follow-ups);
    approval requests for trusted servers are held back, and answered by the next leg instead.
    """

    def __init__(self, engine: HostedEngine, input: str | Sequence[Any]) -> None:
        self.engine = engine
        self.raw_input = input
        self.input = normalize_input(input)
        self.result: AgentResult | None = None
        self._seq = 0
        self._events = self._relay()

    def __iter__(self) -> Iterator[ResponseStreamEvent]:
        return self._events

    def __next__(self) -> ResponseStreamEvent:
        return next(self._events)

    def _number(self, event: Any, index: int | None = None) -> Any:
        update: dict[str, Any] = {"sequence_number": self._seq}
        if index is not None:
            update["output_index"] = index
        self._seq += 1
        return event.model_copy(update=update)

    def _relay(self) -> Iterator[ResponseStreamEvent]:
        engine = self.engine
        root = root_span(f"supervisor {engine.spec.name}", {"input": self.input}, engine.tracing,
                         attributes={"engine": "hosted", "model": engine.spec.model})
        error_sent = False
        leg_input: str | InputItems = self.raw_input if isinstance(self.raw_input, str) else self.input
        leg_items = self.input
        merged: list[Any] = []
        usage = [0, 0]
        span = Span()
        try:
            for leg in range(engine.max_legs):
                leg_output: list[Any] = []
                held: list[Any] = []
                indexes: dict[int, int] = {}
                completed = None
                body = engine.body(leg_input, stream=True)
                span = model_span(root, engine.spec.model, body)
                for event in self._leg(body):
                    kind = getattr(event, "type", None)
                    if kind == "error":
                        error_sent = True
                        yield self._number(event)
                        raise SupervisorError(redact(f"{engine.where} reported an error in the stream"
                                                     f"{f' ({event.code})' if event.code else ''}: "
                                                     f"{event.message}"), cause="stream",
                                             dependency=engine.where)
                    if kind in ("response.created", "response.in_progress", "response.queued") and leg > 0:
                        continue
                    if kind == "response.completed":
                        completed = event
                        break
                    if kind == "response.failed":
                        yield self._number(event)
                        check_response(event.response, engine.where)
                        raise SupervisorError(f"{engine.where} reported response.failed", cause="response",
                                              dependency=engine.where)
                    index = getattr(event, "output_index", None)
                    if index is not None:
                        if kind in _INDEXED and engine.trusted(event.item):
                            held.append(event)
                            if kind == "response.output_item.done":
                                leg_output.append(event.item)
                            continue
                        if index not in indexes:  # the next position in the combined output
                            indexes[index] = len(merged) + len(indexes)
                        if kind == "response.output_item.done":
                            leg_output.append(event.item)
                        yield self._number(event, indexes[index])
                        continue
                    yield self._number(event)
                if completed is None:
                    raise SupervisorError(f"{engine.where} ended the stream without response.completed",
                                          cause="stream", dependency=engine.where)
                response = completed.response
                check_response(response, engine.where)
                end_model_span(span, response)
                if response.output:  # the service's own list is authoritative (quirk: deltas only)
                    leg_output = list(response.output)
                if response.usage is not None:
                    usage[0] += response.usage.input_tokens
                    usage[1] += response.usage.output_tokens
                follow = engine.next_input(leg_items, leg_output) if held else None
                if follow is None:
                    for event in held:  # not all pending approvals were trusted: show them after all
                        if event.type == "response.output_item.added":
                            indexes[event.output_index] = len(merged) + len(indexes)
                        yield self._number(event, indexes[event.output_index])
                    merged.extend(leg_output)
                    final = response if leg == 0 else response.model_copy(update={"output": merged})
                    if leg > 0 and response.usage is not None:
                        total = response.usage.model_copy(update={
                            "input_tokens": usage[0], "output_tokens": usage[1], "total_tokens": sum(usage)})
                        final = final.model_copy(update={"usage": total})
                    result = AgentResult.from_response(final, self.input, engine="hosted",
                                                       trace_id=root.trace_id)
                    if not result.output:
                        result.output = list(merged)
                    self.result = result
                    yield self._number(completed.model_copy(update={"response": final}))
                    trace_tools(root, result)
                    root.end({"text": result.text})
                    return
                merged.extend(i for i in leg_output if not engine.trusted(i))
                leg_input = leg_items = follow
            raise SupervisorError(f"auto-approved MCP calls kept asking for approval after {engine.max_legs} "
                                  "follow-ups; raise max_turns", cause="max_turns")
        except SupervisorError as exc:
            if not error_sent:
                yield ev.error_event(self._seq, str(exc), error_code(exc))
            span.end(error=str(exc))
            root.end(error=str(exc))
            raise
        finally:
            span.end(error="the caller stopped reading the stream")  # no-ops when already ended
            root.end(error="the caller stopped reading the stream")

    def _leg(self, body: Any) -> Iterator[Any]:
        """One streamed request's events; failures to connect or parse become `SupervisorError`."""
        engine = self.engine
        try:
            stream = engine.retry.call(lambda: engine.client.responses.create(**split_create_kwargs(body)))
        except SupervisorError:
            raise
        except Exception as exc:
            raise from_exception(exc, engine.where, timeout_s=engine.timeout_s) from None
        try:
            iterator = iter(stream)
            while True:
                try:
                    event = next(iterator)
                except StopIteration:
                    return
                except Exception as exc:  # APIError for `data: {"error": ...}`, or a broken connection
                    raise _broken_off(exc, engine.where, engine.timeout_s) from None
                kind = getattr(event, "type", None)
                if kind == "error" or (kind is None and getattr(event, "message", None)):
                    extra = event.model_extra or {}
                    message = getattr(event, "message", None) or "an error event without a message"
                    yield ev.error_event(0, message,
                                         getattr(event, "code", None) or extra.get("error_code"))
                    return
                yield event
        finally:
            stream.close()


def _broken_off(exc: BaseException, where: str, timeout_s: float) -> SupervisorError:
    """Why a stream stopped before `response.completed`: no next event in time, a connection lost
    mid-stream, or an error the service sent in the stream."""
    import httpx
    import openai

    if isinstance(exc, openai.APITimeoutError | httpx.TimeoutException):
        return SupervisorError(f"{where} sent no next event within {timeout_s:g} s (the stream stalled); "
                               "try again or raise timeout_s", cause="timeout", dependency=where)
    if isinstance(exc, openai.APIConnectionError | httpx.TransportError):
        return SupervisorError(redact(f"lost the connection to {where} mid-stream: {exc.__cause__ or exc}"),
                               cause="stream", dependency=where)
    _, message = envelope(getattr(exc, "body", None))
    return SupervisorError(redact(f"{where} broke off the stream: {message or exc}"), cause="stream",
                           dependency=where)


__all__ = ["HostedStream"]
