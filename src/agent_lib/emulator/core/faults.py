"""Faults injected on demand: the failures a real workspace has, so clients can be tested against them.

An admin sets them with `PUT /_emulator/faults` (`{"faults": [...]}`, replacing the current set),
reads them with GET and clears them with DELETE. Each fault matches requests by `path` (a regex
searched in the request path) and `method`, or statements by `sql` (a regex searched in the
statement text), and applies to the next `times` matches (every match when absent):

| fault                     | set                                                   | the client sees                              |
|---------------------------|-------------------------------------------------------|----------------------------------------------|
| model 429 / 503           | `path: "^/serving-endpoints/", status: 429`           | the status, Databricks' envelope, Retry-After (`retry_after`, 1 s) |
| tool 500                  | `path: "^/api/2.0/mcp/functions", status: 500`        | an INTERNAL_ERROR answer                     |
| tool timeout / slow route | `path: ..., delay_ms: 30000`                          | no answer before its own timeout             |
| a stream dropped half-way | `path: "/responses$", drop_after_bytes: 300`          | the connection closed after 300 bytes        |
| MCP server down           | `path: "^/(api/2.0/mcp\|_emulator/mcp)/", status: 503` | TEMPORARILY_UNAVAILABLE                      |
| Genie message FAILED      | `sql: "main\\.sales\\.orders", error: "..."`            | the message ends FAILED (SQL_EXECUTION_EXCEPTION) |
| slow SQL statement        | `sql: "...", delay_ms: 5000`                          | RUNNING; cancel and the statement limit work |

HTTP faults are an ASGI middleware; SQL faults run inside the warehouse before the statement (a
delay sleeps in small steps, so cancel and the server-side limit still stop it).
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import TYPE_CHECKING, Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, field_validator

from .deps import Caller, State
from .errors import permission_denied

if TYPE_CHECKING:
    from .state import EmulatorState

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

_KEY = "faults"
_lock = threading.Lock()
_CODES = {429: "REQUEST_LIMIT_EXCEEDED", 500: "INTERNAL_ERROR", 502: "BAD_GATEWAY",
          503: "TEMPORARILY_UNAVAILABLE", 504: "DEADLINE_EXCEEDED"}


class Fault(BaseModel):
    """One injected fault (see the module docstring)."""

    model_config = ConfigDict(extra="forbid")

    path: str | None = None
    method: str | None = None
    sql: str | None = None
    status: Literal[429, 500, 502, 503, 504] | None = None
    delay_ms: float = Field(0, ge=0, le=600_000)
    drop_after_bytes: int | None = Field(None, ge=0, le=10_000_000)
    error: str | None = Field(None, max_length=2000)
    retry_after: int = Field(1, ge=0, le=3600)
    """The `Retry-After` seconds of a 429 or 503 answer."""
    times: int | None = Field(None, ge=1, le=1_000_000)

    @field_validator("path", "sql")
    @classmethod
    def _regex(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"not a regular expression ({exc})") from None
        return value

    def http(self) -> bool:
        return self.path is not None


class FaultSet(BaseModel):
    model_config = ConfigDict(extra="forbid")
    faults: list[Fault] = Field(max_length=100)


class _Armed:
    """A fault and how many more matches it applies to."""

    def __init__(self, fault: Fault) -> None:
        self.fault, self.left = fault, fault.times
        self.path = re.compile(fault.path) if fault.path is not None else None
        self.sql = re.compile(fault.sql, re.IGNORECASE) if fault.sql is not None else None

    def take(self) -> bool:
        if self.left is None:
            return True
        if self.left <= 0:
            return False
        self.left -= 1
        return True


def _armed(state: EmulatorState) -> list[_Armed]:
    return state.runtime.get(_KEY) or []


def set_faults(state: EmulatorState, faults: list[Fault]) -> None:
    with _lock:
        state.runtime[_KEY] = [_Armed(f) for f in faults]
    hook = sql_hook(state) if any(f.sql for f in faults) else None
    state.warehouse.before_statement = hook


def _match_http(state: EmulatorState, method: str, path: str) -> Fault | None:
    with _lock:
        for armed in _armed(state):
            f = armed.fault
            if armed.path is None or not armed.path.search(path):
                continue
            if f.method and f.method.upper() != method:
                continue
            if armed.take():
                return f
    return None


def sql_hook(state: EmulatorState) -> Callable[[str, Callable[[], bool]], str | None]:
    """For the warehouse: before a statement runs, sleep and/or fail it as a matching fault says.

    `stopped()` says whether the statement was cancelled or ran out of time (the sleep ends then);
    the return value is the error to fail the statement with, if any."""
    def before(sql: str, stopped: Callable[[], bool]) -> str | None:
        fault = None
        with _lock:
            for armed in _armed(state):
                if armed.sql is not None and armed.sql.search(sql) and armed.take():
                    fault = armed.fault
                    break
        if fault is None:
            return None
        end = time.monotonic() + fault.delay_ms / 1000
        while time.monotonic() < end and not stopped():
            time.sleep(min(0.02, max(0.0, end - time.monotonic())))
        return fault.error
    return before


class FaultInjection:
    """ASGI middleware applying HTTP faults (only the `/_emulator/faults` routes are never faulted)."""

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]], state: EmulatorState) -> None:
        self.app, self.state = app, state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not self.state.runtime.get(_KEY) or path.startswith("/_emulator/faults"):
            await self.app(scope, receive, send)
            return
        fault = _match_http(self.state, scope.get("method", ""), path)
        if fault is None:
            await self.app(scope, receive, send)
            return
        if fault.delay_ms:
            await asyncio.sleep(fault.delay_ms / 1000)
        if fault.status is not None:
            await _answer(send, fault)
            return
        if fault.drop_after_bytes is not None:
            await self.app(scope, receive, _dropping(send, fault.drop_after_bytes))
            return
        await self.app(scope, receive, send)


class _Dropped(Exception):
    """Raised to make the server close the connection mid-response (an injected fault)."""


def _dropping(send: Send, limit: int) -> Send:
    sent = 0

    async def drop(message: MutableMapping[str, Any]) -> None:
        nonlocal sent
        if message["type"] == "http.response.start":
            message = {**message, "headers": [(k, v) for k, v in message.get("headers", [])
                                              if k.lower() != b"content-length"]}
        if message["type"] == "http.response.body":
            body = message.get("body", b"")
            if sent + len(body) >= limit:
                await send({"type": "http.response.body", "body": body[:limit - sent], "more_body": True})
                raise _Dropped(f"injected fault: stream dropped after {limit} bytes")
            sent += len(body)
        await send(message)
    return drop


async def _answer(send: Send, fault: Fault) -> None:
    code = _CODES[fault.status or 500]
    message = fault.error or f"Injected fault: the service answered {fault.status} ({code})."
    payload = json.dumps({"error_code": code, "message": message}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
    if fault.status in (429, 503):
        headers.append((b"retry-after", str(fault.retry_after).encode()))
    await send({"type": "http.response.start", "status": fault.status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})


router = APIRouter()


def _admin(caller: Any) -> None:
    if not caller.admin:
        raise permission_denied("Only workspace admins can inject faults into the emulated workspace.")


def _view(state: EmulatorState) -> dict[str, Any]:
    with _lock:
        return {"faults": [{**a.fault.model_dump(exclude_none=True), **({"left": a.left} if a.left is not None else {})}
                           for a in _armed(state)]}


@router.put("/_emulator/faults")
def put_faults(body: FaultSet, state: State, caller: Caller) -> dict[str, Any]:
    """Replace the injected faults (admins only)."""
    _admin(caller)
    for i, f in enumerate(body.faults):
        if (f.path is None) == (f.sql is None):
            from .errors import invalid

            raise invalid(f"faults[{i}]: set exactly one of 'path' (an HTTP fault) or 'sql' (a statement fault).")
    set_faults(state, body.faults)
    return _view(state)


@router.get("/_emulator/faults")
def get_faults(state: State, caller: Caller) -> dict[str, Any]:
    _admin(caller)
    return _view(state)


@router.delete("/_emulator/faults")
def clear_faults(state: State, caller: Caller) -> dict[str, Any]:
    _admin(caller)
    set_faults(state, [])
    return _view(state)
