"""Engine `hosted`: the Supervisor API runs the loop (`POST {host}/ai-gateway/mlflow/v1/responses`).

    DatabricksOpenAI(workspace_client=w, use_ai_gateway=True).responses.create(**supervisor_request(spec, input))

What upstream would reject is rejected here first, with the fix in the message (`tools: []`,
`temperature`/`top_p` with tools, `stream` with `background`, `previous_response_id`). Streams are
relayed event by event, renumbered so `sequence_number` only grows; an `error` event, a
`response.failed`, a failed status and a broken stream all end in `SupervisorError` (after the
caller has been handed an `error` event), and nothing after an error counts as success, not even
a `response.completed` the gateway sends anyway (supervisor-api.md §4, quirk 5).
Background mode creates the response, polls `retrieve` until it is terminal, cancels it when the
30-minute cap (or the caller's budget) runs out, and drops the echoed history from its output.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Iterator, Mapping, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from ..errors import SupervisorError
from ..spec import supervisor_request
from . import events as ev
from ._redact import redact
from .failures import envelope, error_code, from_exception
from .result import AgentResult, InputItems, normalize_input
from .retry import RetryPolicy
from .tools._openai import model_client
from .tracing import Span, root_span

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient
    from openai.types.responses import Response, ResponseStreamEvent

    from ..spec import AgentSpec

BACKGROUND_CAP_S = 30 * 60
_TERMINAL = ("completed", "failed", "cancelled", "incomplete")


def check_request(body: Mapping[str, Any]) -> None:
    """Raise `SupervisorError(cause="request")` for a body the Supervisor API rejects."""
    tools = body.get("tools")
    if "tools" in body and (not isinstance(tools, list) or not tools):
        raise SupervisorError("tools must be a non-empty list; leave tools out when the agent has none "
                              "(the Supervisor API rejects tools: [] and tools: null)", cause="request")
    if tools:
        for name in ("temperature", "top_p"):
            if body.get(name) is not None:
                raise SupervisorError(f"{name} is not supported when tools are provided (Supervisor API: "
                                      "'Parameter not supported when tools are provided'); remove it, or use "
                                      "engine='client' to control inference parameters", cause="request")
    if body.get("stream") and body.get("background"):
        raise SupervisorError("stream and background cannot both be true; use stream() for a live answer "
                              "or respond(background=True) for a long one", cause="request")
    if body.get("previous_response_id"):
        raise SupervisorError("previous_response_id is not supported by the Supervisor API; pass the full "
                              "history as input (result.history() or result.ask(...))", cause="request")


@lru_cache(maxsize=1)
def _create_params() -> frozenset[str]:
    from openai.resources.responses import Responses

    return frozenset(inspect.signature(Responses.create).parameters) - {"self", "extra_body"}


def _split(body: Mapping[str, Any]) -> dict[str, Any]:
    """`responses.create` kwargs: known parameters as such, the rest (trace_destination, ...) as extra_body."""
    known = _create_params()
    kwargs = {k: v for k, v in body.items() if k in known}
    extra = {k: v for k, v in body.items() if k not in known}
    if extra:
        kwargs["extra_body"] = extra
    return kwargs


def check_response(response: Response, where: str) -> None:
    """A response that is not a success raises (a `completed` envelope with an error included)."""
    if response.status in ("failed", "cancelled", "incomplete") or response.error is not None:
        detail = response.error.message if response.error is not None else (
            f"incomplete: {response.incomplete_details.reason}" if response.incomplete_details else "")
        raise SupervisorError(redact(f"{where} returned a {response.status or 'failed'} response "
                                     f"{response.id}: {detail or 'no error detail given'}"), cause="response")


def strip_echo(output: Sequence[Any], items: InputItems) -> list[Any]:
    """Background responses start with the input's history items echoed; drop that prefix."""
    history = [i for i in items if not (i.get("type") == "message" and i.get("role") in ("user", "system",
                                                                                         "developer"))
               and i.get("type") != "mcp_approval_response"]
    n = 0
    for want, got in zip(history, output, strict=False):
        if want.get("type") != got.type or want.get("call_id", None) != getattr(got, "call_id", None):
            break
        n += 1
    return list(output[n:]) if n == len(history) else list(output)


class HostedEngine:
    """Calls the Supervisor API for a spec."""

    def __init__(self, spec: AgentSpec, workspace_client: WorkspaceClient, *, timeout_s: float = 120.0,
                 retry: RetryPolicy | None = None, tracing: bool = True,
                 options: Mapping[str, Any] | None = None) -> None:
        self.spec = spec
        self.workspace_client = workspace_client
        self.timeout_s = timeout_s
        self.retry = retry or RetryPolicy()
        self.tracing = tracing
        self.options = dict(options or {})
        self.where = f"the Supervisor API at {workspace_client.config.host}"

    @property
    def client(self) -> Any:
        return model_client(self.workspace_client, self.timeout_s, use_ai_gateway=True)

    def body(self, input: str | Sequence[Any], *, stream: bool = False, background: bool = False) -> dict[str, Any]:
        items = input if isinstance(input, str) else normalize_input(input)
        body = {**supervisor_request(self.spec, items, stream=stream), **self.options}
        if background:
            body["background"] = True
        check_request(body)
        return body

    # -- one response ----------------------------------------------------------------------------
    def respond(self, input: str | Sequence[Any], *, background: bool = False,
                poll_interval_s: float = 1.0, max_wait_s: float = BACKGROUND_CAP_S) -> AgentResult:
        items = normalize_input(input)
        body = self.body(input, background=background)
        root = root_span(f"supervisor {self.spec.name}", {"input": items}, self.tracing,
                         attributes={"engine": "hosted", "model": self.spec.model})
        try:
            response = self._create(body)
            if background:
                response = self._wait(response, poll_interval_s, min(max_wait_s, BACKGROUND_CAP_S))
            check_response(response, self.where)
        except SupervisorError as exc:
            root.end(error=str(exc))
            raise
        output = strip_echo(response.output, items) if background else list(response.output)
        result = AgentResult.from_response(response, items, engine="hosted", trace_id=root.trace_id)
        result.output = output
        _trace_tools(root, result)
        root.end({"text": result.text})
        return result

    def _create(self, body: Mapping[str, Any]) -> Response:
        try:
            return self.retry.call(lambda: self.client.responses.create(**_split(body)))
        except Exception as exc:
            raise from_exception(exc, self.where, timeout_s=self.timeout_s) from None

    def _wait(self, response: Response, poll_interval_s: float, max_wait_s: float) -> Response:
        deadline = time.monotonic() + max_wait_s
        while response.status not in _TERMINAL:
            if time.monotonic() >= deadline:
                self.cancel(response.id)
                raise SupervisorError(f"background response {response.id} was still {response.status} after "
                                      f"{max_wait_s:g} s and was cancelled (the Supervisor API caps background "
                                      "runs at 30 minutes)", cause="timeout")
            time.sleep(poll_interval_s)
            try:
                response = self.retry.call(lambda: self.client.responses.retrieve(response.id))
            except Exception as exc:
                raise from_exception(exc, self.where, timeout_s=self.timeout_s) from None
        return response

    def cancel(self, response_id: str) -> None:
        """Cancel a background response (best effort: a finished one stays as it is)."""
        try:
            self.client.responses.cancel(response_id)
        except Exception:  # noqa: BLE001 - cancelling is a courtesy; the caller is told about the timeout
            pass

    # -- streaming -------------------------------------------------------------------------------
    def stream(self, input: str | Sequence[Any]) -> HostedStream:
        return HostedStream(self, normalize_input(input), self.body(input, stream=True))


class HostedStream:
    """The relayed event stream of one hosted turn; `result` is set once it completed."""

    def __init__(self, engine: HostedEngine, items: InputItems, body: dict[str, Any]) -> None:
        self.engine = engine
        self.input = items
        self.body = body
        self.result: AgentResult | None = None
        self._events = self._relay()

    def __iter__(self) -> Iterator[ResponseStreamEvent]:
        return self._events

    def __next__(self) -> ResponseStreamEvent:
        return next(self._events)

    def _relay(self) -> Iterator[ResponseStreamEvent]:
        engine = self.engine
        root = root_span(f"supervisor {engine.spec.name}", {"input": self.input}, engine.tracing,
                         attributes={"engine": "hosted", "model": engine.spec.model})
        seq = 0
        done: list[Any] = []
        stream = None
        error_sent = False
        try:
            try:
                stream = engine.retry.call(lambda: engine.client.responses.create(**_split(self.body)))
            except Exception as exc:
                raise from_exception(exc, engine.where, timeout_s=engine.timeout_s) from None
            iterator = iter(stream)
            while True:
                try:
                    event = next(iterator)
                except StopIteration:
                    break
                except Exception as exc:  # openai raises APIError for `data: {"error": ...}`; or the connection broke
                    code, message = envelope(getattr(exc, "body", None))
                    raise SupervisorError(redact(f"{engine.where} broke off the stream: "
                                                 f"{message or exc}"), cause="stream") from None
                kind = getattr(event, "type", None)
                if kind == "error" or (kind is None and getattr(event, "message", None)):
                    message = getattr(event, "message", None) or "an error event without a message"
                    code = getattr(event, "code", None) or (event.model_extra or {}).get("error_code")
                    error_sent = True
                    yield ev.error_event(seq, message, code)
                    raise SupervisorError(redact(f"{engine.where} reported an error in the stream"
                                                 f"{f' ({code})' if code else ''}: {message}"), cause="stream")
                event = ev.renumber(event, seq)
                seq += 1
                if kind == "response.output_item.done":
                    done.append(event.item)
                if kind == "response.failed":
                    yield event
                    check_response(event.response, engine.where)
                    raise SupervisorError(f"{engine.where} reported response.failed", cause="response")
                if kind == "response.completed":
                    response = event.response
                    check_response(response, engine.where)
                    result = AgentResult.from_response(response, self.input, engine="hosted",
                                                       trace_id=root.trace_id)
                    if not result.output and done:  # quirk: response.completed with `output: []`
                        result.output = list(done)
                    self.result = result
                    yield event
                    _trace_tools(root, result)
                    root.end({"text": result.text})
                    return
                yield event
            raise SupervisorError(f"{engine.where} ended the stream without response.completed", cause="stream")
        except SupervisorError as exc:
            if not error_sent:
                yield ev.error_event(seq, str(exc), error_code(exc))
            root.end(error=str(exc))
            raise
        finally:
            root.end(error="the caller stopped reading the stream")  # no-op when already ended
            if stream is not None:
                stream.close()


def _trace_tools(root: Span, result: AgentResult) -> None:
    """TOOL spans for the calls the service ran (their timing is the service's, so not recorded)."""
    for call in result.tool_calls:
        span = root.child(call.name, "TOOL", inputs=call.arguments, attributes={"call_id": call.call_id,
                                                                                 "executed_by": "service"})
        span.end({"output": call.output}, error=call.error)


__all__ = ["BACKGROUND_CAP_S", "HostedEngine", "HostedStream", "check_request", "check_response", "strip_echo"]
