"""The real MLflow tracking server behind the workspace's MLflow API, started on first use.

Starting it costs seconds (importing mlflow, creating its tables), so the emulator itself starts
without it: `upstream(state)` launches MLflow's own server app (`mlflow.server.fastapi_app:app`,
what `mlflow server` runs) under uvicorn in a child process the first time a request needs it,
keeps it in `state.runtime` and registers a closer, so `state.close()` (and `reset`) stop it.

What the child runs is `serve.py` (MLflow's Flask server app, no `mlflow server` CLI). It serves
one workspace's data: a SQLite backend store and a local artifact root in the
folder `mlflow/` beside the emulator's state file (a temporary folder when the state is in memory,
removed with it). It listens on a socket the emulator binds on 127.0.0.1 and hands down (no port
race), and it exits when its stdin closes, so a killed emulator leaves no server behind.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

from ..core.child import ChildServer
from ..core.errors import ApiError
from ..core.net import listen_loopback
from ..core.state import EmulatorState

log = logging.getLogger("agent_lib.emulator.mlflow")

START_TIMEOUT_S = 90.0
_RUNTIME_KEY = "mlflow.server"
_DATA_KEY = "mlflow.data"
_META = "mlflow"
_start_lock = threading.Lock()

@dataclass(frozen=True)
class DataDir:
    """Where one workspace's MLflow data lives: `mlflow.db` and `artifacts/`."""

    root: Path
    temporary: bool

    @property
    def backend_uri(self) -> str:
        return f"sqlite:///{self.root / 'mlflow.db'}"

    @property
    def artifact_root(self) -> Path:
        return self.root / "artifacts"


def data_dir(state: EmulatorState) -> DataDir:
    """The workspace's MLflow folder, created on first use (beside the state file, or temporary)."""
    current: DataDir | None = state.runtime.get(_DATA_KEY)
    if current is not None:
        return current
    if state.config.state_path is not None:
        current = DataDir(state.config.state_path.with_name("mlflow"), temporary=False)
    else:
        current = DataDir(Path(tempfile.mkdtemp(prefix="agent-lib-mlflow-")), temporary=True)
    current.artifact_root.mkdir(parents=True, exist_ok=True)
    state.runtime[_DATA_KEY] = current
    return current


class TrackingServer(ChildServer):
    """A started child process serving MLflow's REST API and UI at `url`."""

    def __init__(self, process: subprocess.Popen[bytes], url: str, data: DataDir) -> None:
        super().__init__(process, url)
        self.data = data
        self.start_seconds = 0.0

    def stop(self, timeout: float = 5.0) -> None:
        super().stop(timeout)

    def __repr__(self) -> str:
        return f"TrackingServer(pid={self.process.pid}, url={self.url!r})"


def running(state: EmulatorState) -> TrackingServer | None:
    """The server if it runs now (never starts it)."""
    current: TrackingServer | None = state.runtime.get(_RUNTIME_KEY)
    return current if current is not None and current.alive else None


def upstream(state: EmulatorState) -> TrackingServer:
    """The workspace's tracking server, started first if it is not running (blocking: call it
    from a worker thread, not the event loop)."""
    current = running(state)
    if current is not None:
        return current
    with _start_lock:
        current = running(state)
        if current is None:
            if state.store.get("meta", _META) is None:  # a new or reset workspace: no experiments
                forget_data(state)
                state.store.put("meta", _META, {"created": time.time()})
            data = data_dir(state)
            current = _start(data)
            state.runtime[_RUNTIME_KEY] = current
            state.on_close(_closer(state, current))
        return current


def _closer(state: EmulatorState, server: TrackingServer) -> Callable[[], None]:
    def close() -> None:
        server.stop()
        if state.runtime.get(_RUNTIME_KEY) is server:
            state.runtime.pop(_RUNTIME_KEY, None)
        if server.data.temporary:
            shutil.rmtree(server.data.root, ignore_errors=True)
    return close


def forget_data(state: EmulatorState) -> None:
    """Delete the (stopped) server's data, so a reset workspace starts with no experiments."""
    data = state.runtime.pop(_DATA_KEY, None) or (
        DataDir(state.config.state_path.with_name("mlflow"), False) if state.config.state_path else None)
    if data is not None:
        shutil.rmtree(data.root, ignore_errors=True)


def template_path() -> Path:
    """A database with MLflow's tables created, per MLflow version, in the user's cache folder."""
    from importlib.metadata import version

    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "agent-lib" / f"mlflow-{version('mlflow')}-empty.db"


def _child_env(data: DataDir) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DATABRICKS_", "MLFLOW_TRACKING_", "_MLFLOW_SERVER_"))}
    env.update({
        "_MLFLOW_SERVER_FILE_STORE": data.backend_uri,
        "_MLFLOW_SERVER_ARTIFACT_ROOT": str(data.artifact_root),
        "_MLFLOW_SGI_NAME": "uvicorn",
        "MLFLOW_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "true", "MLFLOW_MODEL_CATALOG_URI": "",
        "PYTHONUNBUFFERED": "1", "PYTHONWARNINGS": "ignore",
    })
    return env


def _start(data: DataDir) -> TrackingServer:
    started = time.monotonic()
    sock = listen_loopback()
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    log_path = data.root / "server.log"
    with open(log_path, "ab") as log_file:
        cmd = [sys.executable, "-m", "agent_lib.emulator.mlflow_tracking.serve",
               "--fd", str(sock.fileno()), "--template", str(template_path())]
        proc = subprocess.Popen(cmd,
                                stdin=subprocess.PIPE, stdout=log_file, stderr=subprocess.STDOUT,
                                env=_child_env(data), pass_fds=[sock.fileno()],
                                start_new_session=True)
    sock.close()  # the child holds its own copy
    server = TrackingServer(proc, url, data)
    deadline = started + START_TIMEOUT_S
    with httpx.Client(timeout=30.0, trust_env=False) as client:
        while True:
            if proc.poll() is not None or time.monotonic() > deadline:
                server.stop()
                tail = _tail(log_path)
                raise ApiError(503, "TEMPORARILY_UNAVAILABLE",
                               "The workspace's MLflow tracking server did not start "
                               f"(exit code {proc.returncode}); its log ends: {tail}")
            try:  # the child creates its store before it serves: healthy means ready
                if client.get(f"{url}/health").status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
    server.start_seconds = time.monotonic() - started
    log.info("MLflow tracking server ready at %s in %.2f s", url, server.start_seconds)
    return server


def _tail(path: Path, lines: int = 8) -> str:
    try:
        return " | ".join(path.read_text(errors="replace").strip().splitlines()[-lines:]) or "(empty)"
    except OSError:
        return "(no log)"
