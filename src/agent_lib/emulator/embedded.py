"""Run the emulated workspace in this process (notebooks, tests, the runner) or as a command.

`start()` binds 127.0.0.1 on a free port, serves the app from a background thread and returns an
`EmulatedWorkspace` with the host and admin token a `WorkspaceClient` needs. `serve_forever()`
is what `agent-lib emulator` runs.
"""

from __future__ import annotations

import logging
import signal
import socket
import sys
import threading
import time
from pathlib import Path
from typing import Any

import uvicorn

from ..clients import client_for
from ..errors import EmulatorError
from .core.net import listen_loopback
from .core.state import EmulatorConfig, EmulatorState
from .server import create_app
from .services import new_state

STATE_FILE = "emulator.db"


class EmulatedWorkspace:
    """A running emulated workspace: `host`, `token` (admin), `state`; `stop()` or use as a context."""

    def __init__(self, state: EmulatorState, server: uvicorn.Server, thread: threading.Thread) -> None:
        self.state = state
        self._server = server
        self._thread = thread

    @property
    def host(self) -> str:
        return self.state.host

    @property
    def token(self) -> str:
        return self.state.admin_token

    def token_for(self, user_name: str, scopes: list[str] | None = None) -> str:
        """A token acting as another user (scoped OAuth token when `scopes` is given)."""
        return self.state.user_token(user_name, scopes)

    def client(self, token: str | None = None) -> Any:
        """A real `WorkspaceClient` pointed at this workspace (admin unless `token` is given)."""
        return client_for(self.host, token or self.token)

    def reset(self) -> None:
        self.state.reset()

    def stop(self) -> None:
        _flush_pending_traces()  # they may be on their way to this workspace's experiment
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self.state.close()

    def __enter__(self) -> EmulatedWorkspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:  # never show the token
        return f"EmulatedWorkspace(host={self.host!r})"


def _flush_pending_traces() -> None:
    """Let MLflow send the traces it still queues (only if this process uses MLflow at all)."""
    if "mlflow" not in sys.modules:
        return
    try:
        sys.modules["mlflow"].flush_trace_async_logging()
    except Exception:  # stopping must not fail because a trace could not be sent
        logging.getLogger("agent_lib.emulator").warning("pending MLflow traces were not sent", exc_info=True)


def _bind(port: int) -> socket.socket:
    try:
        return listen_loopback(port)
    except OSError as exc:
        raise EmulatorError(
            f"cannot bind the emulated workspace to 127.0.0.1:{port} ({exc.strerror}); "
            "choose another --port or 0 for a free one"
        ) from exc


def _config(state_dir: str | Path | None, **overrides: Any) -> EmulatorConfig:
    path = Path(state_dir) / STATE_FILE if state_dir is not None else None
    return EmulatorConfig(state_path=path, **overrides)


def start(state_dir: str | Path | None = None, *, port: int = 0, seed_demo: bool = True,
          **config: Any) -> EmulatedWorkspace:
    """Start an emulated workspace in a background thread; state in `state_dir` (None = memory)."""
    state = new_state(_config(state_dir, seed_demo=seed_demo, **config))
    sock = _bind(port)
    state.host = f"http://127.0.0.1:{sock.getsockname()[1]}"
    state.bootstrap()
    server = uvicorn.Server(uvicorn.Config(create_app(state), log_level="warning", access_log=False,
                                           lifespan="off", timeout_graceful_shutdown=2))
    server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True,
                              name="agent-lib-emulator")
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            state.close()
            raise EmulatorError("the emulated workspace did not start within 15 s; see the log above")
        time.sleep(0.005)
    return EmulatedWorkspace(state, server, thread)


def serve_forever(state_dir: str | Path | None, port: int = 0) -> None:
    """Standalone mode: print DATABRICKS_HOST / DATABRICKS_TOKEN once ready, run until stopped."""
    logging.basicConfig(level=logging.WARNING)
    ws = start(state_dir, port=port)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    print(f"DATABRICKS_HOST={ws.host}", flush=True)
    print(f"DATABRICKS_TOKEN={ws.token}", flush=True)
    print("# export both lines; then, in another terminal, an OAuth token (Apps accept only OAuth) or "
          "another user's:\n#   agent-lib emulator token [--user alice@example.com] [--scopes genie,sql | --pat]",
          flush=True)
    try:
        while not stop.wait(0.5):
            pass
    finally:
        ws.stop()


__all__ = ["EmulatedWorkspace", "serve_forever", "start"]
