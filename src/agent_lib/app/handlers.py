"""The App's one `@invoke` and one `@stream` handler, registered with MLflow's AgentServer on import.

Both hand the request's items to the Supervisor (the whole conversation, as the Supervisor API
takes it) and answer in the Responses shapes AgentServer validates. The Supervisor's work is
blocking, so it runs in a worker thread and the server's event loop stays free for other requests.
A stream that fails mid-way ends with one `error` event, which AgentServer follows with `[DONE]`;
a whole turn that fails is answered with a status naming the failing service (`failures`).

The handlers find their App through `CURRENT`, set per request by the App's guard: MLflow's
registration is per process, but each `build_server` has its own runtime.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

import anyio
from mlflow.genai.agent_server import get_request_headers, invoke, stream
from mlflow.types.responses import ResponsesAgentRequest, ResponsesAgentResponse

from ..errors import AgentLibError
from .failures import clean, stream_error_message

if TYPE_CHECKING:
    from ..supervisor import AgentResult
    from .runtime import AppRuntime

log = logging.getLogger("agent_lib.app")

CURRENT: ContextVar[AppRuntime] = ContextVar("agent_lib_app_runtime")
_END = object()


def _items(request: ResponsesAgentRequest) -> list[dict[str, Any]]:
    return [item.model_dump(mode="json", exclude_none=True) for item in request.input]


def response_body(result: AgentResult, model: str) -> ResponsesAgentResponse:
    """A full Responses `Response` for the turn (so the openai client reads every field), built once:
    AgentServer passes a `ResponsesAgentResponse` through without validating it again."""
    import time

    return ResponsesAgentResponse(
        id=result.response_id, object="response", created_at=time.time(), model=model,
        status=result.status, parallel_tool_calls=True, tool_choice="auto", tools=[],
        output=[o.model_dump(mode="json", exclude_none=True, warnings=False) for o in result.output],
        usage=result.usage.model_dump(mode="json") if result.usage else None)


def _respond(runtime: AppRuntime, items: list[dict[str, Any]], headers: dict[str, str]) -> ResponsesAgentResponse:
    with runtime.supervisor(headers) as sup:
        result = sup.respond(items)
    return response_body(result, runtime.spec.model)


@invoke()
async def invoke_agent(request: ResponsesAgentRequest) -> ResponsesAgentResponse:
    """One whole turn: the Supervisor's result as a Responses response."""
    runtime = CURRENT.get()
    return await anyio.to_thread.run_sync(_respond, runtime, _items(request), dict(get_request_headers()))


class _Turn:
    """One streamed turn in a worker thread: its Supervisor (closed at the end) and its events."""

    def __init__(self, runtime: AppRuntime, items: list[dict[str, Any]], headers: dict[str, str]) -> None:
        self._scope = runtime.supervisor(headers)
        sup = self._scope.__enter__()
        try:
            self._events: Iterator[Any] = iter(sup.stream(items))
        except BaseException:
            self.close()
            raise

    def next(self) -> Any:
        """The next event as a plain dict; `_END` when the turn is over. A failure becomes one
        `error` event (the Supervisor streams its own first; its exception then ends the turn)."""
        try:
            event = next(self._events)
        except StopIteration:
            return _END
        except AgentLibError:
            return _END  # the Supervisor has already streamed the `error` event that says why
        return event.model_dump(mode="json", exclude_none=True, warnings=False)

    def close(self) -> None:
        close = getattr(getattr(self, "_events", None), "close", None)
        if close is not None:
            close()
        self._scope.__exit__(None, None, None)


def error_event(message: str) -> dict[str, Any]:
    return {"type": "error", "message": message, "sequence_number": 0}


@stream()
async def stream_agent(request: ResponsesAgentRequest) -> AsyncIterator[dict[str, Any]]:
    """One turn as Responses stream events, relayed as the Supervisor produces them."""
    runtime = CURRENT.get()
    headers = dict(get_request_headers())
    try:
        turn = await anyio.to_thread.run_sync(_Turn, runtime, _items(request), headers)
    except AgentLibError as exc:
        yield error_event(clean(str(exc)))
        return
    try:
        while True:
            try:
                event = await anyio.to_thread.run_sync(turn.next)
            except Exception as exc:
                log.exception("the agent turn failed")
                yield error_event(stream_error_message(exc))
                return
            if event is _END:
                return
            yield event
    finally:
        await anyio.to_thread.run_sync(turn.close)


__all__ = ["CURRENT", "invoke_agent", "response_body", "stream_agent"]
