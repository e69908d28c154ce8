"""The emulated Supervisor API's runs: the client engine's loop, run server-side as the caller.

A request becomes a `ClientLoop` over a `WorkspaceClient` for this workspace holding the caller's
own token, so every tool call is checked against the caller's grants and scopes, exactly as when
the loop runs in a notebook. The model call itself is the service's: when the caller's token is
narrowed (on-behalf-of-user scopes), the model is called with a short-lived token of the same
principal scoped to `model-serving`.

Responses are kept (store kind `supervisor-response`) for `GET /responses/{id}`, visible to the
principal that created them. Background runs live in `state.runtime` while they run: a worker
thread advances `queued -> in_progress -> completed|failed|cancelled`, capped at 30 minutes.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..core.errors import ApiError, invalid, not_found
from ..core.identity import ALL_APIS, Principal
from .validation import SupervisorRequest

if TYPE_CHECKING:
    from ..core.state import EmulatorState

log = logging.getLogger("agent_lib.emulator.supervisor")

STORE_KIND = "supervisor-response"
RUNTIME_KEY = "supervisor-runs"
BACKGROUND_CAP_S = 30 * 60
MODEL_TOKEN_TTL_S = 3600
_lock = threading.Lock()  # guards creating the runs registry and the callers cache only

_STATUS_CODES = {400: "INVALID_PARAMETER_VALUE", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED",
                 404: "RESOURCE_DOES_NOT_EXIST", 429: "REQUEST_LIMIT_EXCEEDED",
                 503: "TEMPORARILY_UNAVAILABLE"}


def is_obo(caller: Principal) -> bool:
    """A narrowed OAuth token: a user's token forwarded by an App (user authorization)."""
    return caller.scopes is not None and ALL_APIS not in caller.scopes


def api_error(exc: Exception) -> ApiError:
    """A loop failure as the HTTP error a foreground request answers."""
    status = getattr(exc, "status", None)
    cause = getattr(exc, "cause", "")
    if isinstance(status, int) and 400 <= status < 600:
        return ApiError(status, _STATUS_CODES.get(status, "INTERNAL_ERROR"), str(exc))
    if cause == "timeout":
        return ApiError(504, "DEADLINE_EXCEEDED", str(exc))
    if cause in ("tool", "request"):
        return invalid(str(exc))
    return ApiError(500, "INTERNAL_ERROR", str(exc))


@dataclass
class Session:
    """One request's loop, leased from the caller's cache entry; `close()` gives the lease back."""

    state: EmulatorState
    loop: Any
    entry: _Caller | None = None
    cache: Callers | None = None

    def close(self) -> None:
        entry, self.entry = self.entry, None
        if entry is not None and self.cache is not None:
            self.cache.release(entry)


# -- what requests with one token share --------------------------------------------------------------

CACHE_TTL_S = 30.0
"""How long one token's clients, MCP sessions and tool listings serve new requests (a grant
change shows in the tools offered within this time; every tool call is checked when it runs)."""
CACHE_MAX_CALLERS = 32
LOOPS_PER_CALLER = 8
CACHE_KEY = "supervisor-callers"


class _Caller:
    """One token's workspace clients (tools; model, with a model-serving token for narrowed
    callers) and its loops, one per request shape (model, instructions, tools), least recently
    used first. Never holds the token in its repr; its key is the token's SHA-256."""

    def __init__(self, state: EmulatorState, caller: Principal, token: str, key: str) -> None:
        from ...workspace import client_for

        self.key = key
        self.principal_id = caller.id
        self.created = time.monotonic()
        self.tools_client = client_for(state.host, token)
        self.model_token: str | None = None
        if is_obo(caller) and "model-serving" not in (caller.scopes or ()):
            self.model_token = state.identities.issue(caller.id, scopes=["model-serving"], kind="oauth",
                                                      ttl_seconds=MODEL_TOKEN_TTL_S)
        self.model_client = (client_for(state.host, self.model_token) if self.model_token
                             else self.tools_client)
        self.loops: OrderedDict[str, Any] = OrderedDict()
        self.dropped: list[Any] = []  # loops pushed out while leased: closed once the leases are back
        self.leases = 0
        self.retired = False

    def __repr__(self) -> str:
        return f"_Caller(principal={self.principal_id!r}, loops={len(self.loops)}, leases={self.leases})"

    def loop(self, request: SupervisorRequest) -> tuple[Any, bool]:
        """The loop for this request's shape, and whether it was built now."""
        shape = json.dumps([request.model, request.instructions, request.hosted_tools,
                            request.function_tools], sort_keys=True, separators=(",", ":"))
        loop = self.loops.get(shape)
        if loop is not None:
            self.loops.move_to_end(shape)
            return loop, False
        loop = _build_loop(self, request)
        self.loops[shape] = loop
        while len(self.loops) > LOOPS_PER_CALLER:
            self.dropped.append(self.loops.popitem(last=False)[1])
        return loop, True

    def close(self, state: EmulatorState) -> None:
        """Release everything (no lease is out): pools, MCP sessions, the model token."""
        for loop in [*self.loops.values(), *self.dropped]:
            loop.close()
        self.loops.clear()
        self.dropped.clear()
        if self.model_token:
            state.identities.revoke(self.model_token)
            self.model_token = None


def _build_loop(entry: _Caller, request: SupervisorRequest) -> Any:
    from ...errors import SpecError
    from ...spec import AgentSpec
    from ...supervisor import ClientLoop
    from ...supervisor.retry import RetryPolicy

    try:
        spec = AgentSpec(name="supervisor-api", model=request.model, instructions=request.instructions,
                         tools=request.hosted_tools)
    except SpecError as exc:
        raise invalid(str(exc)) from None
    return ClientLoop(spec, entry.tools_client, model_workspace_client=entry.model_client, tracing=False,
                      client_functions=request.function_tools, retry=RetryPolicy(attempts=2, backoff_s=0.2))


class Callers:
    """The cache of `_Caller` entries of one workspace (bounded LRU by token, `CACHE_TTL_S`).

    A request leases its entry; an entry that expired or was pushed out serves no new request
    and is closed when its last lease comes back. `stats` counts entries and loops built and
    requests served from the cache (tests assert reuse with it)."""

    def __init__(self, state: EmulatorState) -> None:
        self.state = state
        self.entries: OrderedDict[str, _Caller] = OrderedDict()
        self.stats = {"callers_built": 0, "loops_built": 0, "loops_reused": 0}
        self._lock = threading.Lock()

    def lease(self, caller: Principal, token: str, request: SupervisorRequest) -> tuple[_Caller, Any]:
        key = hashlib.sha256(f"{self.state.host}\0{token}".encode()).hexdigest()
        closing: list[_Caller] = []
        try:
            with self._lock:
                entry = self.entries.get(key)
                if entry is not None and (time.monotonic() - entry.created > CACHE_TTL_S
                                          or entry.principal_id != caller.id):
                    closing += self._retire(key)
                    entry = None
                if entry is None:
                    entry = _Caller(self.state, caller, token, key)
                    self.stats["callers_built"] += 1
                    self.entries[key] = entry
                    while len(self.entries) > CACHE_MAX_CALLERS:
                        closing += self._retire(next(iter(self.entries)))
                else:
                    self.entries.move_to_end(key)
                loop, built = entry.loop(request)
                self.stats["loops_built" if built else "loops_reused"] += 1
                entry.leases += 1
                return entry, loop
        finally:
            for old in closing:
                old.close(self.state)

    def _retire(self, key: str) -> list[_Caller]:
        entry = self.entries.pop(key)
        entry.retired = True
        return [entry] if entry.leases == 0 else []

    def release(self, entry: _Caller) -> None:
        with self._lock:
            entry.leases -= 1
            idle = entry.leases == 0
            close_entry = idle and entry.retired
            dropped = entry.dropped[:] if idle and not entry.retired else []
            if dropped:
                entry.dropped.clear()
        if close_entry:
            entry.close(self.state)
        for loop in dropped:
            loop.close()

    def clear(self) -> None:
        """Retire every entry (the workspace stops or resets): idle ones are closed now, the ones a
        run still holds when that run gives its lease back."""
        with self._lock:
            closing = [entry for key in list(self.entries) for entry in self._retire(key)]
        for entry in closing:
            entry.close(self.state)


def _callers(state: EmulatorState) -> Callers:
    with _lock:
        cache = state.runtime.get(CACHE_KEY)
        if cache is None:
            cache = state.runtime[CACHE_KEY] = Callers(state)
            state.on_close(cache.clear)
        return cache


def cache_stats(state: EmulatorState) -> dict[str, int]:
    """How often the route built or reused callers' clients and loops (see `Callers`)."""
    cache = _callers(state)
    with cache._lock:
        return {**cache.stats, "callers": len(cache.entries)}


def forget_callers(state: EmulatorState) -> None:
    """Drop every cached caller and zero the counters: the next request builds its clients and
    lists its tools afresh."""
    cache = _callers(state)
    cache.clear()
    with cache._lock:
        cache.stats = dict.fromkeys(cache.stats, 0)


def open_session(state: EmulatorState, caller: Principal, token: str, request: SupervisorRequest) -> Session:
    """The client engine's loop for `request`, acting as `caller`: the caller's cached clients and
    MCP sessions, and the loop (tool listings included) of an earlier request of the same shape."""
    cache = _callers(state)
    entry, loop = cache.lease(caller, token, request)
    return Session(state, loop, entry, cache)


# -- stored responses ------------------------------------------------------------------------------

def save(state: EmulatorState, caller: Principal, response: dict[str, Any]) -> None:
    state.store.put(STORE_KIND, response["id"], {"owner": caller.id, "response": response})


def get(state: EmulatorState, caller: Principal, response_id: str) -> dict[str, Any]:
    run = _runs(state).get(response_id)
    if run is not None and run.owner == caller.id:
        return run.snapshot()
    doc = state.store.get(STORE_KIND, response_id)
    if doc is None or doc["owner"] != caller.id:
        raise not_found(f"Response with id '{response_id}' not found.")
    return doc["response"]


def cancel(state: EmulatorState, caller: Principal, response_id: str) -> dict[str, Any]:
    run = _runs(state).get(response_id)
    if run is None or run.owner != caller.id:
        get(state, caller, response_id)  # 404 when unknown; a finished response stays as it is
        raise invalid(f"Only background responses that are still running can be cancelled; "
                      f"'{response_id}' is not one.")
    run.cancel.set()
    run.join(5.0)
    return run.snapshot()


# -- background runs -------------------------------------------------------------------------------

def _runs(state: EmulatorState) -> dict[str, BackgroundRun]:
    with _lock:
        runs = state.runtime.get(RUNTIME_KEY)
        if runs is None:
            runs = state.runtime[RUNTIME_KEY] = {}

            def stop_all() -> None:
                for run in list(runs.values()):
                    run.cancel.set()

            state.on_close(stop_all)
        return runs


def echo_items(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The input's history items as output items (background responses start with them)."""
    from ...supervisor import events as ev

    out: list[dict[str, Any]] = []
    for item in items:
        kind = item.get("type")
        if kind == "message" and item.get("role") == "assistant":
            content = item.get("content")
            text = content if isinstance(content, str) else "".join(
                str(p.get("text", "")) for p in content or [] if isinstance(p, dict))
            out.append(ev.message_item(text, item_id=item.get("id")))
        elif kind == "function_call":
            out.append(ev.function_call_item(call_id=item["call_id"], name=item["name"],
                                             arguments=item.get("arguments") or "{}", item_id=item.get("id")))
        elif kind == "function_call_output":
            output = item.get("output")
            text = output if isinstance(output, str) else json.dumps(output)
            out.append(ev.function_call_output_item(call_id=item["call_id"], output=text))
        elif kind == "mcp_approval_request":
            out.append({k: item[k] for k in ("type", "id", "name", "arguments", "server_label") if k in item})
    return out


@dataclass
class BackgroundRun:
    """A background response advanced by a worker thread; `snapshot()` is what GET returns."""

    state: EmulatorState
    owner: str
    session: Session
    request: SupervisorRequest
    response_id: str
    status: str = "queued"
    output: list[dict[str, Any]] = field(default_factory=list)
    error: dict[str, str] | None = None
    usage: dict[str, Any] | None = None
    cancel: threading.Event = field(default_factory=threading.Event)
    created_at: float = field(default_factory=time.time)
    cap_s: float = field(default_factory=lambda: BACKGROUND_CAP_S)
    _thread: threading.Thread | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._work, name=f"supervisor-{self.response_id[:13]}",
                                        daemon=True)
        self._thread.start()

    def join(self, timeout: float) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    def snapshot(self) -> dict[str, Any]:
        from ...supervisor import events as ev

        with self._lock:
            return ev.build_response(response_id=self.response_id, model=self.request.model,
                                     output=self.output, status=self.status,
                                     created_at=self.created_at, usage=self.usage, error=self.error,
                                     instructions=self.request.instructions or None,
                                     background=True).model_dump(mode="json", exclude_none=True)

    def _stop(self) -> bool:
        return self.cancel.is_set() or time.time() - self.created_at > self.cap_s

    def _work(self) -> None:
        from ...errors import SupervisorError
        from ...supervisor import events as ev
        from ...supervisor.client_loop import Cancelled

        try:
            run = self.session.loop.start(self.request.input, response_id=self.response_id,
                                          should_stop=self._stop)
        except BaseException:
            self.session.close()
            raise
        echoed = echo_items(run.input)
        try:
            with self._lock:
                self.status = "in_progress"
                self.output = list(echoed)
            for event in run:
                if event.type == "response.output_item.done":
                    with self._lock:
                        self.output = [*echoed, *run.output]
            with self._lock:
                self.status, self.usage = "completed", run.usage()
                self.output = [*echoed, *run.output]
        except Cancelled:
            with self._lock:
                if self.cancel.is_set():
                    self.status = "cancelled"
                else:
                    self.status = "failed"
                    self.error = ev.response_error(f"the background response ran longer than "
                                                   f"{self.cap_s / 60:g} minutes and was stopped")
        except SupervisorError as exc:
            with self._lock:
                self.status, self.error = "failed", ev.response_error(str(exc), exc.status)
        except Exception as exc:  # never leave a run in_progress forever
            log.exception("background supervisor run %s crashed", self.response_id)
            with self._lock:
                self.status, self.error = "failed", ev.response_error(f"internal error: {type(exc).__name__}")
        finally:
            self.session.close()
            response = self.snapshot()
            with self.state.store.transaction():
                self.state.store.put(STORE_KIND, self.response_id,
                                     {"owner": self.owner, "response": response})
            _runs(self.state).pop(self.response_id, None)


def start_background(state: EmulatorState, caller: Principal, session: Session,
                     request: SupervisorRequest) -> dict[str, Any]:
    """Register and start a background run; its `queued` snapshot is the create response."""
    from ...supervisor import events as ev

    run = BackgroundRun(state, caller.id, session, request, ev.new_id("resp"))
    queued = run.snapshot()
    _runs(state)[run.response_id] = run
    run.start()
    return queued


# -- foreground ----------------------------------------------------------------------------------

def respond(state: EmulatorState, caller: Principal, session: Session,
            request: SupervisorRequest) -> dict[str, Any]:
    """Run the loop to the end and return the response object (HTTP error when the loop fails)."""
    from ...errors import SupervisorError

    try:
        run = session.loop.start(request.input, events=False)  # a JSON answer: no stream events needed
    except BaseException:
        session.close()
        raise
    try:
        for _ in run:
            pass
    except SupervisorError as exc:
        raise api_error(exc) from None
    except Exception as exc:  # a bug: still Databricks' envelope, never a bare 500
        log.exception("supervisor run failed")
        raise ApiError(500, "INTERNAL_ERROR", f"internal error: {type(exc).__name__}") from None
    finally:
        session.close()
    response = run.response.model_dump(mode="json", exclude_none=True)
    save(state, caller, response)
    return response


def stream(state: EmulatorState, caller: Principal, session: Session,
           request: SupervisorRequest) -> Iterator[bytes]:
    """SSE frames of the loop's events; a failure is an `error` event, then `response.failed`."""
    from ...errors import SupervisorError
    from ...supervisor import events as ev

    try:
        run = session.loop.start(request.input)
    except BaseException:
        session.close()
        raise
    try:
        for event in run:
            yield ev.sse(event)
    except SupervisorError:  # the loop has sent its `error` event
        if run.response is not None:
            yield ev.sse(run.writer.failed(run.response))
    except Exception as exc:  # a bug: end the stream as a failure the client can read
        log.exception("supervisor stream failed")
        message = f"internal error: {type(exc).__name__}"
        yield ev.sse(run.writer.error(message, "server_error"))
        yield ev.sse(run.writer.failed(run.writer.response("failed", run.output,
                                                           error=ev.response_error(message))))
    finally:
        session.close()
    if run.response is not None:
        save(state, caller, run.response.model_dump(mode="json", exclude_none=True))


__all__ = ["Callers", "api_error", "cache_stats", "cancel", "forget_callers", "get", "is_obo", "open_session",
           "respond", "start_background", "stream"]
