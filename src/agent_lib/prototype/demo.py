"""`agent-lib demo`: notebook 03 as a standalone web page (Voilà) on the embedded emulated workspace.

    agent-lib demo [--port 8866] [--state .agent_lib] [--spec agent.yml]
    # prints  Agent demo: http://127.0.0.1:8866/  once the page answers; Ctrl-C stops everything

The emulated workspace runs in this process; the notebook reaches it the way the job runner's
notebooks do (`workspace="emulated"`, the `host` parameter, DATABRICKS_TOKEN in the kernel's
environment), from a copy of the notebook with those parameters injected by papermill, and with
no scripted questions, so the page is the chat panel.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import AgentLibError

NOTEBOOK = Path("notebooks") / "03_prototype_agent.ipynb"
START_TIMEOUT_S = 120.0


@dataclass(frozen=True)
class DemoOptions:
    """What `agent-lib demo` takes; paths are relative to the working directory."""

    port: int = 8866
    state_dir: str = ".agent_lib"
    spec_path: str = "agent.yml"
    notebook: str = str(NOTEBOOK)
    engine: str = ""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def demo_notebook(source: Path, target: Path, parameters: Mapping[str, Any]) -> Path:
    """`source` with `parameters` injected after its `parameters` cell (as papermill does for a run)."""
    import nbformat
    from papermill.iorw import load_notebook_node
    from papermill.parameterize import parameterize_notebook

    nb = load_notebook_node(str(source))
    nb = parameterize_notebook(nb, dict(parameters), kernel_name="python3", language="python")
    nbformat.write(nb, target)
    return target


def serve_demo(options: DemoOptions, echo: Callable[[str], None] = print,
               stop: Callable[[], bool] | None = None) -> int:
    """Run the demo until Ctrl-C (or `stop()` returns true); returns the exit code."""
    from ..workspace import connect

    source = Path(options.notebook)
    if not source.is_file():
        raise AgentLibError(f"demo notebook {source} not found (from {Path.cwd()}): run agent-lib demo from "
                            "the repository root, or pass --notebook <path of 03_prototype_agent.ipynb>")
    spec = Path(options.spec_path)
    if not spec.is_file():
        raise AgentLibError(f"agent spec {spec} not found (from {Path.cwd()}): pass --spec <path of agent.yml>")
    port = options.port or free_port()
    if threading.current_thread() is threading.main_thread():  # Ctrl-C and `kill` both stop it
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, _interrupt)
    state = Path(options.state_dir).resolve()
    ws = connect("emulated", state_dir=state)
    emulator = ws.emulator
    assert emulator is not None
    with tempfile.TemporaryDirectory(prefix="agent-lib-demo-") as folder:
        page = demo_notebook(source, Path(folder) / source.name, {
            "workspace": "emulated", "host": emulator.host, "spec_path": str(spec.resolve()),
            "state_dir": str(state), "questions": [], "engine": options.engine})
        env = {**os.environ, "DATABRICKS_TOKEN": emulator.token, "MLFLOW_DISABLE_TELEMETRY": "true",
               "DO_NOT_TRACK": "true"}
        env.pop("DATABRICKS_HOST", None)
        command = [sys.executable, "-m", "voila", str(page), f"--port={port}", "--no-browser",
                   "--Voila.ip=127.0.0.1"]
        log = Path(folder) / "voila.log"
        with log.open("wb") as sink:
            voila = subprocess.Popen(command, env=env, cwd=folder, start_new_session=True,
                                     stdout=sink, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}/"
        try:
            _wait_until_up(url, port, voila, log)
            echo(f"Agent demo: {url}  (emulated workspace {emulator.host}; Ctrl-C stops)")
            while voila.poll() is None and not (stop and stop()):
                time.sleep(0.2)
            if voila.returncode not in (None, 0):
                echo(f"agent-lib demo: Voilà exited with code {voila.returncode}")
                return 1
            return 0
        except KeyboardInterrupt:
            return 0
        finally:
            _stop(voila)
            ws.close()


def _wait_until_up(url: str, port: int, voila: subprocess.Popen[bytes], log: Path) -> None:
    """Until Voilà listens (a GET of the page would start a kernel and run the notebook)."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if voila.poll() is not None:
            err = log.read_text(errors="replace")[-2000:]
            raise AgentLibError(f"Voilà exited with code {voila.returncode} before serving {url}: {err}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.3)
    raise AgentLibError(f"Voilà did not answer at {url} within {START_TIMEOUT_S:g} s")


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


__all__ = ["DemoOptions", "demo_notebook", "serve_demo"]
