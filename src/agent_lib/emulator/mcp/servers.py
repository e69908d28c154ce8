"""MCP servers that the emulated workspace runs itself, started on first use.

A UC connection points at an MCP server by its options (`host` + `base_path`). The demo's servers
are not running until something talks to them: their connections point at the internal path
`/_emulator/mcp/servers/<server>` (`internal_base_path`), and `url(state, server)` starts the server
as a child process on a free 127.0.0.1 port the first time it is needed, keeps it in
`state.runtime` and registers a closer, so `state.close()` (and `reset`) stop it. The child also
exits by itself when its stdin closes, so a killed emulator leaves no server behind.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..core.child import ChildServer
from ..core.errors import ApiError
from ..core.state import EmulatorState

INTERNAL_PREFIX = "/_emulator/mcp/servers/"
START_TIMEOUT_S = 30.0
_start_lock = threading.Lock()


@dataclass(frozen=True)
class BuiltinServer:
    """How to launch one built-in MCP server: its module and where it keeps its data."""

    module: str
    data_file: str  # beside the emulator's state file; in memory when the state is in memory
    ready_prefix: str


BUILTIN: dict[str, BuiltinServer] = {
    "ticketing": BuiltinServer("agent_lib.emulator.mcp.ticketing", "tickets.db", "TICKETING_MCP_URL="),
}


def internal_base_path(server: str) -> str:
    """The connection `base_path` that designates a built-in server: `/_emulator/mcp/servers/<server>`."""
    return f"{INTERNAL_PREFIX}{server}"


def builtin_name(base_path: str | None) -> str | None:
    """The built-in server a connection's `base_path` designates, or None for an ordinary URL."""
    path = (base_path or "").rstrip("/")
    if path.startswith(INTERNAL_PREFIX):
        name = path[len(INTERNAL_PREFIX):]
        return name if name in BUILTIN else None
    return None


def data_path(state: EmulatorState, server: str) -> Path | None:
    """The server's data file (None: in memory, the emulator's state is in memory too)."""
    spec = BUILTIN[server]
    state_path = state.config.state_path
    return state_path.with_name(spec.data_file) if state_path is not None else None


def forget_data(state: EmulatorState, server: str) -> None:
    """Delete a (stopped) server's data file, so its next start seeds the demo data afresh."""
    path = data_path(state, server)
    if path is not None:
        for p in (path, path.with_name(path.name + "-journal"), path.with_name(path.name + "-wal"),
                  path.with_name(path.name + "-shm")):
            p.unlink(missing_ok=True)


class RunningServer(ChildServer):
    """A started child process and the URL it serves MCP at."""

    def __init__(self, name: str, process: subprocess.Popen[bytes], url: str) -> None:
        super().__init__(process, url)
        self.name = name

    def __repr__(self) -> str:
        return f"RunningServer({self.name!r}, pid={self.process.pid}, url={self.url!r})"


def _runtime_key(server: str) -> str:
    return f"mcp.server.{server}"


def running(state: EmulatorState, server: str) -> RunningServer | None:
    """The server if it is running now (never starts it)."""
    current: RunningServer | None = state.runtime.get(_runtime_key(server))
    return current if current is not None and current.alive else None


def url(state: EmulatorState, server: str) -> str:
    """The MCP URL of a built-in server, starting it first if it is not running."""
    current = running(state, server)
    if current is not None:
        return current.url
    with _start_lock:
        current = running(state, server)
        if current is None:
            current = _start(state, server)
            state.runtime[_runtime_key(server)] = current
            state.on_close(_closer(state, server, current))
        return current.url


def _closer(state: EmulatorState, server: str, proc: RunningServer) -> Callable[[], None]:
    def close() -> None:
        proc.stop()
        if state.runtime.get(_runtime_key(server)) is proc:
            state.runtime.pop(_runtime_key(server), None)
    return close


def _start(state: EmulatorState, server: str) -> RunningServer:
    spec = BUILTIN[server]
    cmd = [sys.executable, "-m", spec.module, "--port", "0", "--exit-on-stdin-eof"]
    path = data_path(state, server)
    if path is not None:
        cmd += ["--db", str(path)]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env,
                            start_new_session=True)
    found: dict[str, Any] = {}

    def read_ready() -> None:
        assert proc.stdout is not None
        for raw in proc.stdout:
            line = raw.decode(errors="replace").strip()
            if line.startswith(spec.ready_prefix):
                found["url"] = line[len(spec.ready_prefix):]
                break
        # keep draining stdout so the child never blocks on a full pipe
        for _ in proc.stdout:
            pass

    reader = threading.Thread(target=read_ready, daemon=True, name=f"mcp-{server}-stdout")
    reader.start()
    deadline = time.monotonic() + START_TIMEOUT_S
    while "url" not in found:
        if proc.poll() is not None or time.monotonic() > deadline:
            RunningServer(server, proc, "").stop()
            raise ApiError(503, "TEMPORARILY_UNAVAILABLE",
                           f"The MCP server '{server}' behind this connection did not start "
                           f"(exit code {proc.returncode}); see the emulator's log.")
        time.sleep(0.01)
    return RunningServer(server, proc, found["url"])
