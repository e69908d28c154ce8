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

import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ...errors import SupervisorError
from ..core.errors import ApiError, invalid, not_found
from ..core.identity import Principal
from .callers import Callers, Session, cache_stats, forget_callers, is_obo, open_session
from .validation import SupervisorRequest

if TYPE_CHECKING:
    from ..core.state import EmulatorState

log = logging.getLogger("agent_lib.emulator.supervisor")

STORE_KIND = "supervisor-response"
RUNTIME_KEY = "supervisor-runs"
BACKGROUND_CAP_S = 30 * 60
_lock = threading.Lock()  # guards creating the runs registry only

_STATUS_CODES = {400: "INVALID_PARAMETER_VALUE", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED",
                 404: "RESOURCE_DOES_NOT_EXIST", 429: "REQUEST_LIMIT_EXCEEDED",
                 503: "TEMPORARILY_UNAVAILABLE"}


def api_error(exc: Exception) -> ApiError:
    """A loop failure as the HTTP error a foreground request answers."""
    status = getattr(exc, "status", None)
    cause = getattr(exc, "cause", "")
    if isinstance(status, int) and 400 <= status < 600:
        wait = getattr(exc, "retry_after_s", None)  # the failing model's or tool's, passed on
        headers = {"Retry-After": str(max(0, round(wait)))} if wait is not None else None
        return ApiError(status, _STATUS_CODES.get(status, "INTERNAL_ERROR"), str(exc), headers=headers)
    if cause == "timeout":
        return ApiError(504, "DEADLINE_EXCEEDED", str(exc))
    if cause in ("tool", "request"):
        return invalid(str(exc))
    return ApiError(500, "INTERNAL_ERROR", str(exc))


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
        from ...supervisor import service as served  # openai and the loop: on first use, not at start

        with self._lock:
            return served.response_object(response_id=self.response_id, model=self.request.model,
                                          output=self.output, status=self.status,
                                          created_at=self.created_at, usage=self.usage, error=self.error,
                                          instructions=self.request.instructions or None, background=True)

    def _stop(self) -> bool:
        return self.cancel.is_set() or time.time() - self.created_at > self.cap_s

    def _work(self) -> None:
        from ...supervisor import service as served  # openai and the loop: on first use, not at start

        try:
            run = self.session.loop.start(self.request.input, response_id=self.response_id,
                                          should_stop=self._stop)
        except BaseException:
            self.session.close()
            raise
        echoed = served.history_as_output(run.input)
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
        except served.Cancelled:
            with self._lock:
                if self.cancel.is_set():
                    self.status = "cancelled"
                else:
                    self.status = "failed"
                    self.error = served.response_error(f"the background response ran longer than "
                                                   f"{self.cap_s / 60:g} minutes and was stopped")
        except SupervisorError as exc:
            with self._lock:
                self.status, self.error = "failed", served.response_error(str(exc), exc.status)
        except Exception as exc:  # never leave a run in_progress forever
            log.exception("background supervisor run %s crashed", self.response_id)
            with self._lock:
                self.status, self.error = "failed", served.response_error(f"internal error: {type(exc).__name__}")
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
    from ...supervisor import service as served  # openai and the loop: on first use, not at start

    run = BackgroundRun(state, caller.id, session, request, served.new_id("resp"))
    queued = run.snapshot()
    _runs(state)[run.response_id] = run
    run.start()
    return queued


# -- foreground ----------------------------------------------------------------------------------

def respond(state: EmulatorState, caller: Principal, session: Session,
            request: SupervisorRequest) -> dict[str, Any]:
    """Run the loop to the end and return the response object (HTTP error when the loop fails)."""
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
    from ...supervisor import service as served  # openai and the loop: on first use, not at start

    try:
        run = session.loop.start(request.input)
    except BaseException:
        session.close()
        raise
    try:
        for event in run:
            yield served.sse(event)
    except SupervisorError:  # the loop has sent its `error` event
        if run.response is not None:
            yield served.sse(run.writer.failed(run.response))
    except Exception as exc:  # a bug: end the stream as a failure the client can read
        log.exception("supervisor stream failed")
        message = f"internal error: {type(exc).__name__}"
        yield served.sse(run.writer.error(message, "server_error"))
        yield served.sse(run.writer.failed(run.writer.response("failed", run.output,
                                                           error=served.response_error(message))))
    finally:
        session.close()
    if run.response is not None:
        save(state, caller, run.response.model_dump(mode="json", exclude_none=True))


__all__ = ["Callers", "Session", "api_error", "cache_stats", "cancel", "forget_callers", "get", "is_obo",
           "open_session", "respond", "start_background", "stream"]
