"""Injected tool latency (benchmarks): `state.config.tool_latency_ms` once per tool execution.

Model turns are delayed by `models.registry.respond` (`model_latency_ms`); this ASGI middleware
delays what the server sees as one execution of a tool, as each service declares it
(`ToolRequests` in `emulator.services`):

| request                                                               | tool                  |
|-----------------------------------------------------------------------|-----------------------|
| POST /api/2.0/genie/spaces/{id}/start-conversation                    | Genie (new question)  |
| POST /api/2.0/genie/spaces/{id}/conversations/{id}/messages           | Genie (follow-up)     |
| POST /api/2.0/sql/statements whose statement calls a UC function      | UC function over SQL  |
| POST /api/2.0/mcp/... carrying a JSON-RPC `tools/call`                | managed MCP tool      |
| POST /serving-endpoints/... answered by a Knowledge Assistant         | Knowledge Assistant   |
| any request through an App's front proxy (`wrap_app_proxy`)           | App                   |

Polls (`GET` of a Genie message or a statement), tool listings and model turns pass untouched, so
one tool call is delayed once however many requests its client makes. The delay is an
`asyncio.sleep` (the event loop keeps serving other requests), taken after the route answered and
before the answer is sent, on successful answers only (a refused call fails fast, as upstream).
With `tool_latency_ms` at 0 the middleware only forwards: nothing is read or recorded.

Each delayed execution is recorded (`executions(state)`: kind, path, start and end in epoch
seconds), so a benchmark can see server-side which tool calls overlapped, whichever engine ran them.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .state import EmulatorState

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_RUNTIME_KEY = "latency.executions"
_KEEP = 1000
_lock = threading.Lock()


@dataclass(frozen=True)
class ToolRequests:
    """POST requests of one service that execute one of its tools (declared in `emulator.services`).

    `path` is a cheap test of the request path (run on the event loop); `executes(state, path,
    body)`, when given, decides with the store at hand (run in the thread pool), `body` being the
    parsed JSON body when `body` is set, else None."""

    kind: str  # genie | uc_function | mcp | knowledge_assistant
    path: Callable[[str], bool]
    body: bool = False
    executes: Callable[[EmulatorState, str, Any], bool] | None = None


@dataclass(frozen=True)
class Execution:
    """One delayed tool execution as the server saw it (epoch seconds, like `ToolCall.started_at`)."""

    kind: str  # genie | uc_function | mcp | knowledge_assistant | app
    path: str
    started_at: float
    ended_at: float


def tool_latency_s(state: EmulatorState) -> float:
    return max(0.0, float(state.config.tool_latency_ms or 0)) / 1000.0


def executions(state: EmulatorState) -> list[Execution]:
    """The delayed executions so far (the last 1000), oldest first."""
    with _lock:
        return list(state.runtime.get(_RUNTIME_KEY, ()))


def clear_executions(state: EmulatorState) -> None:
    with _lock:
        state.runtime.pop(_RUNTIME_KEY, None)


def _record(state: EmulatorState, execution: Execution) -> None:
    with _lock:
        log = state.runtime.get(_RUNTIME_KEY)
        if log is None:
            log = state.runtime[_RUNTIME_KEY] = deque(maxlen=_KEEP)
        log.append(execution)


# -- what is a tool execution -------------------------------------------------------------------

def _json(body: bytes) -> Any:
    try:
        return json.loads(body or b"null")
    except ValueError:
        return None


def _decide(state: EmulatorState, path: str, body: bytes, matching: Sequence[ToolRequests]) -> str | None:
    parsed = _json(body) if any(r.body for r in matching) else None
    for requests in matching:
        try:
            if requests.executes is None or requests.executes(state, path, parsed if requests.body else None):
                return requests.kind
        except Exception:  # noqa: BLE001 - a request we cannot read is not a tool call
            continue
    return None


def classify(state: EmulatorState, method: str, path: str, body: bytes = b"") -> str | None:
    """The kind of tool a request executes, or None (sync: it may read the store)."""
    if method != "POST":
        return None
    return _decide(state, path, body, [r for r in state.tool_requests if r.path(path)])


# -- the middleware -----------------------------------------------------------------------------

async def _read_body(receive: Receive) -> tuple[bytes, list[Message]]:
    """The whole request body, and the messages that carried it (to replay them downstream)."""
    chunks: list[bytes] = []
    messages: list[Message] = []
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks), messages


def _replay(messages: list[Message], receive: Receive) -> Receive:
    pending = list(messages)

    async def replayed() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replayed


async def _delayed(app: ASGIApp, state: EmulatorState, kind: str, delay_s: float, scope: Scope,
                   receive: Receive, send: Send) -> None:
    started = time.time()

    async def send_late(message: Message) -> None:
        if message["type"] == "http.response.start" and message.get("status", 500) < 400:
            await asyncio.sleep(delay_s)
            _record(state, Execution(kind, scope.get("path", ""), started, time.time()))
        await send(message)

    await app(scope, receive, send_late)


class ToolLatency:
    """ASGI middleware of the emulator's app: `app.add_middleware(ToolLatency, state=state)`; the
    requests it delays are `state.tool_requests` (what the services declared)."""

    def __init__(self, app: ASGIApp, state: EmulatorState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        delay = tool_latency_s(self.state) if scope["type"] == "http" else 0.0
        if delay <= 0 or scope.get("method") != "POST":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        matching = [r for r in self.state.tool_requests if r.path(path)]
        kind: str | None = None
        if matching and all(r.executes is None for r in matching):
            kind = matching[0].kind
        elif matching:
            from starlette.concurrency import run_in_threadpool

            body = b""
            if any(r.body for r in matching):
                body, messages = await _read_body(receive)
                receive = _replay(messages, receive)
            kind = await run_in_threadpool(_decide, self.state, path, body, matching)  # reads the store
        if kind is None:
            await self.app(scope, receive, send)
            return
        await _delayed(self.app, self.state, kind, delay, scope, receive, send)


def wrap_app_proxy(state: EmulatorState, app: ASGIApp) -> ASGIApp:
    """An App's front proxy with the tool latency on every HTTP request it forwards."""

    async def proxied(scope: Scope, receive: Receive, send: Send) -> None:
        delay = tool_latency_s(state) if scope["type"] == "http" else 0.0
        if delay <= 0:
            await app(scope, receive, send)
            return
        await _delayed(app, state, "app", delay, scope, receive, send)

    return proxied


__all__ = ["Execution", "ToolLatency", "ToolRequests", "classify", "clear_executions", "executions", "tool_latency_s",
           "wrap_app_proxy"]
