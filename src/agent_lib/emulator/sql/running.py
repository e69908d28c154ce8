"""Statements that are still running: each on a worker thread of its own, waited for as Databricks does.

`POST /api/2.0/sql/statements` waits up to `wait_timeout` (10 s by default, 0 s = return at once)
for the statement. A statement that finishes in time is answered in full; one that does not is
answered PENDING or RUNNING with its `statement_id`, to be polled with GET, or, with
`on_wait_timeout: CANCEL`, cancelled and answered CANCELED. `cancel` stops a running statement
at SQLite's next progress check, and every statement stops at the server-side limit
(`STATEMENT_TIMEOUT_S`), so a runaway query cannot hold a worker for ever. Statements run on a
pool of workers and pooled warehouse connections, so one user's slow statement does not hold
up another user's.

Live statements are kept in `state.runtime` (they cannot outlive the process); finished ones are
saved by `models` in the store.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from ..core.state import EmulatorState

WORKERS = 16  # statements running at once (more wait PENDING for a worker; as many as connections)
STATEMENT_TIMEOUT_S = 120.0  # the server-side limit of one statement (module constant: tests shrink it)
_KEY = "sql.running"
_lock = threading.Lock()


@dataclass
class Live:
    """One statement between submit and its final response."""

    statement_id: str
    owner_id: str
    state: str = "PENDING"
    cancel: threading.Event = field(default_factory=threading.Event)
    done: threading.Event = field(default_factory=threading.Event)
    response: dict[str, Any] | None = None

    def status(self) -> dict[str, Any]:
        """The response while it runs: the id and PENDING / RUNNING, nothing else (as Databricks)."""
        return {"statement_id": self.statement_id, "status": {"state": self.state}}


class Running:
    """The worker pool and the live statements of one workspace."""

    def __init__(self) -> None:
        self.pool = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="sql-statement")
        self.live: dict[str, Live] = {}
        self.lock = threading.Lock()

    def close(self) -> None:
        with self.lock:
            for live in self.live.values():
                live.cancel.set()
        self.pool.shutdown(wait=False, cancel_futures=True)


def running(state: EmulatorState) -> Running:
    with _lock:
        r = state.runtime.get(_KEY)
        if r is None:
            r = state.runtime[_KEY] = Running()
            state.on_close(r.close)
        return r


def submit(state: EmulatorState, statement_id: str, owner_id: str,
           work: Callable[[Live], dict[str, Any]]) -> Live:
    """Start `work(live)` on a worker; it returns the final response (it must not raise)."""
    r = running(state)
    live = Live(statement_id, owner_id)
    with r.lock:
        r.live[statement_id] = live

    def run() -> None:
        try:
            if live.cancel.is_set():
                live.response = {"statement_id": statement_id, "status": {"state": "CANCELED"}}
            else:
                live.state = "RUNNING"
                live.response = work(live)
        finally:
            live.state = live.response["status"]["state"] if live.response else "FAILED"
            live.done.set()
            with r.lock:
                r.live.pop(statement_id, None)

    r.pool.submit(run)
    return live


def find(state: EmulatorState, statement_id: str) -> Live | None:
    r = state.runtime.get(_KEY)
    if r is None:
        return None
    with r.lock:
        return r.live.get(statement_id)
