"""App processes as live objects: one OS process group per App, and the per-state runtime holding them.

An App's command runs in its own session (process group), so stopping it ends whatever it spawned.
Every started process is tracked until stopped, and an `atexit` hook ends the survivors, so an
interpreter that exits without stopping the emulator never leaves orphans. `AppsRuntime` holds
the live side of one emulator state (processes, proxy listeners, deployment events, locks) and
closes it all with the state.
"""

from __future__ import annotations

import atexit
import logging
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..core.state import EmulatorState

log = logging.getLogger("agent_lib.emulator.apps")

LOG_TAIL_LINES = 20
_RUNTIME_KEY = "apps"
_RUNTIME_LOCK = threading.Lock()
_LIVE: set[AppProcess] = set()  # every started process, so interpreter exit never leaves orphans


class LaunchError(Exception):
    """The App could not be started; the message says why, with the last lines of its log."""


class Unavailable(Exception):
    """The App is not running and cannot be started now (stopped, never deployed, deleted)."""


@dataclass(eq=False)
class AppProcess:
    name: str
    deployment_id: str
    port: int
    proc: subprocess.Popen[bytes]
    log_path: Path
    started_at: float = field(default_factory=time.time)

    def __post_init__(self) -> None:
        _LIVE.add(self)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self, timeout: float = 3.0) -> None:
        """SIGTERM the process group, SIGKILL it if it has not exited after `timeout` seconds."""
        _LIVE.discard(self)
        if self.proc.poll() is None:
            _signal_group(self.proc, signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                _signal_group(self.proc, signal.SIGKILL)
                try:
                    self.proc.wait(timeout)
                except subprocess.TimeoutExpired:
                    log.warning("app %s: process %s did not exit", self.name, self.proc.pid)
        else:  # the leader is gone; children may not be
            _signal_group(self.proc, signal.SIGKILL)


def _signal_group(proc: subprocess.Popen[bytes], sig: int) -> None:
    try:
        os.killpg(proc.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


@atexit.register
def _stop_all_at_exit() -> None:
    """Started App processes live in their own sessions: end them if the emulator was not stopped."""
    for app_proc in list(_LIVE):
        app_proc.stop(timeout=1.0)


def tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    """The last lines of a process log ("" if it cannot be read)."""
    try:
        with path.open("rb") as fh:
            last = deque(fh, maxlen=lines)
    except OSError:
        return ""
    return "".join(line.decode("utf-8", "replace") for line in last).rstrip()


class AppsRuntime:
    """Live App machinery of one emulator state: processes, proxies, locks, deployment events."""

    def __init__(self, state: EmulatorState) -> None:
        self.state = state
        self.lock = threading.RLock()
        self.processes: dict[str, AppProcess] = {}
        self.listeners: dict[str, Any] = {}  # name -> proxy.Listener
        self.events: dict[str, threading.Event] = {}  # deployment id -> finished
        self.tokens: dict[tuple[str, str, tuple[str, ...]], tuple[str, float]] = {}
        self._app_locks: dict[str, threading.RLock] = {}
        self._tmpdir: Path | None = None
        self.closed = False

    def app_lock(self, name: str) -> threading.RLock:
        with self.lock:
            return self._app_locks.setdefault(name, threading.RLock())

    @property
    def base_dir(self) -> Path:
        """Where deployments are materialized: beside the state file, or a temp dir in memory mode."""
        path = self.state.config.state_path
        if path is not None:
            return path.parent / "apps"
        with self.lock:
            if self._tmpdir is None:
                self._tmpdir = Path(tempfile.mkdtemp(prefix="agent-lib-apps-"))
            return self._tmpdir

    def release(self, dep_id: str) -> None:
        """The deployment is no longer in flight: wake whoever waits for it."""
        event = self.events.pop(dep_id, None)
        if event is not None:
            event.set()

    def close(self) -> None:
        with self.lock:
            self.closed = True
            listeners = list(self.listeners.values())
            processes = list(self.processes.values())
            self.listeners.clear()
            self.processes.clear()
        for listener in listeners:
            listener.signal_stop()
        threads = [threading.Thread(target=p.stop, daemon=True) for p in processes]
        for t in threads:
            t.start()
        for listener in listeners:
            listener.join()
        for t in threads:
            t.join(10)
        for event in list(self.events.values()):
            event.set()
        if self._tmpdir is not None:
            shutil.rmtree(self._tmpdir, ignore_errors=True)


def runtime(state: EmulatorState) -> AppsRuntime:
    """This state's AppsRuntime, created (and registered with `state.on_close`) on first use."""
    with _RUNTIME_LOCK:
        rt = state.runtime.get(_RUNTIME_KEY)
        if rt is None or rt.closed:
            rt = AppsRuntime(state)
            state.runtime[_RUNTIME_KEY] = rt
            state.on_close(rt.close)
        return rt


def existing_runtime(state: EmulatorState) -> AppsRuntime | None:
    """This state's AppsRuntime if something has started it; reads never create one."""
    return state.runtime.get(_RUNTIME_KEY)
