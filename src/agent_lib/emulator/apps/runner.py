"""App processes: a deployment's snapshot written to a folder and its command run as Databricks would.

The command comes from the deployment (`command`, `env_vars`, which override) or the source's
`app.yaml` (`command`, `env` with `value` / `valueFrom: <resource name>`). It runs without a shell,
in its own process group, bound to 127.0.0.1 on a free port, with the environment an App gets:
`DATABRICKS_HOST`, `DATABRICKS_CLIENT_ID` / `DATABRICKS_CLIENT_SECRET` (its service principal's
OAuth credentials, a fresh secret per launch), `DATABRICKS_APP_PORT`, `DATABRICKS_APP_NAME`,
`DATABRICKS_APP_URL`, `DATABRICKS_WORKSPACE_ID`, plus `PORT`-style variables for common servers.
No token of the emulator's admin or of the parent process reaches the App.

`python` as the first word runs this interpreter; the venv's bin folder comes first on PATH;
`uv run X ...` runs `X ...` directly (the App's dependencies are the emulator's venv).

A process that exits before its port answers (or `/health`, or the deployment's health check)
fails the deployment with the last lines of its log. `stop`, App deletion, `reset` and emulator
shutdown terminate the process group. After a restart, an App whose state says RUNNING is
relaunched by `ensure_running`, which the front proxy calls on the App's first request.
"""

from __future__ import annotations

import atexit
import logging
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..core.state import WORKSPACE_ID, EmulatorState
from . import models

log = logging.getLogger("agent_lib.emulator.apps")

START_TIMEOUT_SECONDS = 60.0
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


# -- spec: command and environment --------------------------------------------------------------
def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _read_app_yaml(folder: Path) -> dict[str, Any]:
    for name in ("app.yaml", "app.yml"):
        path = folder / name
        if path.is_file():
            import yaml

            try:
                data = yaml.safe_load(path.read_text()) or {}
            except yaml.YAMLError as exc:
                raise LaunchError(f"Invalid {name}: {exc}") from None
            if not isinstance(data, dict):
                raise LaunchError(f"Invalid {name}: expected a mapping with `command` and `env`.")
            return data
    return {}


def _default_command(folder: Path) -> list[str]:
    if (folder / "app.py").is_file():
        return ["python", "app.py"]
    py = sorted(p.name for p in folder.glob("*.py"))
    if py:
        return ["python", py[0]]
    if (folder / "package.json").is_file():
        return ["npm", "run", "start"]
    raise LaunchError("No command to run: the source has no app.yaml `command`, no app.py and no "
                      "package.json.")


def _resolve_env(state: EmulatorState, app: dict[str, Any], entries: list[Any], where: str) -> dict[str, str]:
    resources = {r["name"]: r for r in app.get("resources") or []}
    out: dict[str, str] = {}
    for i, entry in enumerate(entries or []):
        if not isinstance(entry, dict) or not entry.get("name"):
            raise LaunchError(f"Invalid {where} entry {i}: each needs a `name`.")
        ref = entry.get("valueFrom", entry.get("value_from"))
        if ref is not None:
            res = resources.get(ref)
            value = models.resource_value(state, res) if res is not None else None
            if value is None:
                raise LaunchError(f"Error resolving resource {ref} specified in {where}. Please make sure "
                                  f"to configure resource {ref} for app {app['name']}.")
            out[str(entry["name"])] = value
        else:
            out[str(entry["name"])] = "" if entry.get("value") is None else str(entry["value"])
    return out


_CREDENTIAL_WORDS = ("TOKEN", "SECRET", "PASSWORD", "API_KEY", "CREDENTIAL")
_VAR = re.compile(r"\$(\w+)|\$\{(\w+)\}")


def _argv(command: list[str], env: dict[str, str]) -> list[str]:
    args = [_VAR.sub(lambda m: env.get(m.group(1) or m.group(2), m.group(0)), str(a)) for a in command]
    if len(args) >= 3 and args[0] == "uv" and args[1] == "run":
        args = args[2:]
        while args and args[0].startswith("-"):  # uv run's own flags
            args = args[1:]
    if not args:
        raise LaunchError("The App's command is empty.")
    if args[0] in ("python", "python3", f"python{sys.version_info[0]}.{sys.version_info[1]}"):
        return [sys.executable, *args[1:]]
    exe = shutil.which(args[0], path=env.get("PATH"))
    if exe is None:
        raise LaunchError(f"Command not found: {args[0]!r} (not on the App's PATH).")
    return [exe, *args[1:]]


def _child_env(state: EmulatorState, app: dict[str, Any], port: int, secret: str, folder: Path,
               url: str | None) -> dict[str, str]:
    """The parent's environment minus every credential, plus what Databricks gives an App."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("DATABRICKS_") and not any(w in k.upper() for w in _CREDENTIAL_WORDS)}
    bin_dir = str(Path(sys.executable).parent)
    env["PATH"] = os.pathsep.join([bin_dir, *[p for p in env.get("PATH", "").split(os.pathsep)
                                               if p and p != bin_dir]])
    venv = Path(sys.prefix)
    if (venv / "pyvenv.cfg").is_file():
        env["VIRTUAL_ENV"] = str(venv)
    host = "127.0.0.1"
    env.update({
        "DATABRICKS_HOST": state.host,
        "DATABRICKS_CLIENT_ID": app["service_principal_client_id"],
        "DATABRICKS_CLIENT_SECRET": secret,
        "DATABRICKS_APP_NAME": app["name"],
        "DATABRICKS_APP_PORT": str(port),
        "DATABRICKS_WORKSPACE_ID": WORKSPACE_ID,
        # No ~/.databrickscfg inside an App: a profile there must not mix with the SP credentials.
        "DATABRICKS_CONFIG_FILE": str(folder.parent / "no-databrickscfg"),
        "PORT": str(port), "HOST": host,
        "UVICORN_HOST": host, "UVICORN_PORT": str(port),
        "GRADIO_SERVER_NAME": host, "GRADIO_SERVER_PORT": str(port),
        "STREAMLIT_SERVER_ADDRESS": host, "STREAMLIT_SERVER_PORT": str(port),
        "STREAMLIT_SERVER_HEADLESS": "true",
        "FLASK_RUN_HOST": host, "FLASK_RUN_PORT": str(port),
        "PYTHONUNBUFFERED": "1",
    })
    if url:
        env["DATABRICKS_APP_URL"] = url
    return env


# -- materialize and launch -----------------------------------------------------------------------
def _materialize(rt: AppsRuntime, name: str, dep_id: str) -> Path:
    files = models.snapshot(rt.state, name, dep_id)
    folder = rt.base_dir / name / dep_id / "src"
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    for rel, data in files.items():
        target = (folder / rel).resolve()
        if folder.resolve() not in target.parents:
            continue  # never write outside the folder
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return folder


def _tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    try:
        with path.open("rb") as fh:
            last = deque(fh, maxlen=lines)
    except OSError:
        return ""
    return "".join(line.decode("utf-8", "replace") for line in last).rstrip()


def _health(dep: dict[str, Any]) -> tuple[str, bool, float]:
    """(path, strict, timeout): the deployment's health check, else a lenient probe of /health."""
    check = dep.get("health_check") or {}
    timeout = START_TIMEOUT_SECONDS
    raw = check.get("timeout")
    if isinstance(raw, (int, float)):
        timeout = float(raw)
    elif isinstance(raw, str) and re.fullmatch(r"\d+(\.\d+)?s?", raw.strip()):
        timeout = float(raw.strip().rstrip("s"))
    if check.get("path"):
        return "/" + str(check["path"]).lstrip("/"), True, timeout
    return "/health", False, timeout


def _wait_ready(app_proc: AppProcess, health_path: str, strict: bool, timeout: float) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    port_open = False
    while time.monotonic() < deadline:
        code = app_proc.proc.poll()
        if code is not None:
            raise LaunchError(f"App process exited with code {code} before it was ready.")
        if not port_open:
            try:
                with socket.create_connection(("127.0.0.1", app_proc.port), timeout=0.2):
                    port_open = True
            except OSError:
                time.sleep(0.03)
                continue
        try:
            r = httpx.get(f"http://127.0.0.1:{app_proc.port}{health_path}", timeout=5.0)
        except httpx.HTTPError:
            time.sleep(0.05)
            continue
        if (r.status_code < 400) if strict else (r.status_code < 500):
            return
        time.sleep(0.1)
    raise LaunchError(f"App did not become ready on port {app_proc.port} within {timeout:g} s "
                      f"(health check {health_path}).")


def launch(state: EmulatorState, app: dict[str, Any], dep: dict[str, Any]) -> AppProcess:
    """Start the deployment's process and wait until it answers; LaunchError with its log otherwise."""
    rt = runtime(state)
    name, dep_id = app["name"], dep["deployment_id"]
    folder = _materialize(rt, name, dep_id)
    log_path = rt.base_dir / name / "logs" / f"{dep_id}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    spec = _read_app_yaml(folder)
    command = dep.get("command") or spec.get("command") or _default_command(folder)
    if isinstance(command, str):
        import shlex

        command = shlex.split(command)
    env_vars = _resolve_env(state, app, spec.get("env") or [], "app.yaml")
    env_vars.update(_resolve_env(state, app, dep.get("env_vars") or [], "the deployment's env_vars"))
    port = _free_port()
    url = None
    listener = rt.listeners.get(name)
    if listener is not None:
        url = listener.url
    _, secret = models.app_credentials(state, app)
    env = _child_env(state, app, port, secret, folder, url)
    env.update(env_vars)
    argv = _argv(list(command), env)
    with log_path.open("ab") as fh:
        fh.write(f"[emulator] {time.strftime('%Y-%m-%dT%H:%M:%S')} starting deployment {dep_id}: "
                 f"{' '.join(command)} (port {port})\n".encode())
        fh.flush()
        try:
            proc = subprocess.Popen(argv, cwd=folder, env=env, stdin=subprocess.DEVNULL, stdout=fh,
                                    stderr=subprocess.STDOUT, start_new_session=True)
        except OSError as exc:
            raise LaunchError(f"Could not start {argv[0]}: {exc.strerror or exc}") from None
    app_proc = AppProcess(name, dep_id, port, proc, log_path)
    _LIVE.add(app_proc)
    path, strict, timeout = _health(dep)
    try:
        _wait_ready(app_proc, path, strict, timeout)
    except LaunchError as exc:
        app_proc.stop(timeout=2.0)
        tail = _tail(log_path)
        raise LaunchError(f"{exc}\nLast lines of the App's log:\n{tail}" if tail else str(exc)) from None
    return app_proc


# -- orchestration --------------------------------------------------------------------------------
def _run_deployment(state: EmulatorState, rt: AppsRuntime, name: str, dep_id: str) -> None:
    old: AppProcess | None = None
    try:
        with rt.app_lock(name):
            try:
                app = models.load(state, name)
                dep = models.load_deployment(state, name, dep_id)
            except Exception:  # deleted meanwhile
                return
            previous = rt.processes.get(name)
            try:
                proc = launch(state, app, dep)
            except LaunchError as exc:
                models.finish_deployment(state, name, dep_id, ok=False, message=f"App failed to start: {exc}",
                                         previous_alive=bool(previous and previous.alive()))
                return
            if rt.closed or not models.finish_deployment(state, name, dep_id, ok=True,
                                                         message="App started successfully."):
                proc.stop()
                return
            old, rt.processes[name] = previous, proc
    except Exception as exc:  # never leave a deployment IN_PROGRESS
        log.exception("app %s: deployment %s failed", name, dep_id)
        try:
            models.finish_deployment(state, name, dep_id, ok=False, message=f"App deployment failed: {exc}")
        except Exception:
            pass
    finally:
        event = rt.events.pop(dep_id, None)
        if event is not None:
            event.set()
    if old is not None:
        old.stop()


def expect(state: EmulatorState, dep_id: str) -> None:
    """Mark a deployment as in flight before it is recorded (see `in_flight`)."""
    runtime(state).events.setdefault(dep_id, threading.Event())


def forget(state: EmulatorState, dep_id: str) -> None:
    event = runtime(state).events.pop(dep_id, None)
    if event is not None:
        event.set()


def deploy_in_background(state: EmulatorState, name: str, dep_id: str) -> None:
    rt = runtime(state)
    rt.events.setdefault(dep_id, threading.Event())
    threading.Thread(target=_run_deployment, args=(state, rt, name, dep_id), daemon=True,
                     name=f"app-deploy-{name}").start()


def in_flight(state: EmulatorState, dep_id: str) -> bool:
    """Whether this process is running the deployment right now."""
    rt = state.runtime.get(_RUNTIME_KEY)
    return rt is not None and dep_id in rt.events


def wait_deployment(state: EmulatorState, dep_id: str, timeout: float) -> None:
    event = runtime(state).events.get(dep_id)
    if event is not None:
        event.wait(timeout)


def ensure_running(state: EmulatorState, name: str) -> int:
    """The port of the App's live process, (re)launching its active deployment if needed."""
    rt = runtime(state)
    with rt.app_lock(name):
        proc = rt.processes.get(name)
        if proc is not None and proc.alive():
            return proc.port
        doc = state.store.get(models.APPS, name)
        if doc is None:
            raise Unavailable(f"App {name} does not exist.")
        if doc["compute_status"]["state"] != "ACTIVE":
            raise Unavailable(f"App {name} is not available: its compute is "
                              f"{doc['compute_status']['state']}.")
        dep = doc.get("active_deployment")
        if not dep:
            raise Unavailable(f"App {name} has not been deployed yet.")
        if proc is not None:
            log.warning("app %s: process exited with code %s; restarting", name, proc.proc.returncode)
            rt.processes.pop(name, None)
        try:
            proc = launch(state, doc, dep)
        except LaunchError as exc:
            models.set_app_status(state, name, "CRASHED", f"App failed to start: {exc}")
            raise
        if rt.closed:
            proc.stop()
            raise Unavailable("The emulated workspace is shutting down.")
        rt.processes[name] = proc
        if doc.get("app_status", {}).get("state") != "RUNNING":
            models.set_app_status(state, name, "RUNNING", "App has status: App is running")
        return proc.port


def start_in_background(state: EmulatorState, name: str) -> None:
    """After `start`: relaunch the active deployment without blocking the request."""
    def run() -> None:
        try:
            ensure_running(state, name)
        except (LaunchError, Unavailable) as exc:
            log.info("app %s did not start: %s", name, exc)
        except Exception:
            log.exception("app %s: start failed", name)

    threading.Thread(target=run, daemon=True, name=f"app-start-{name}").start()


def stop(state: EmulatorState, name: str) -> None:
    """Terminate the App's process group (if any) before returning."""
    rt = runtime(state)
    with rt.app_lock(name):
        proc = rt.processes.pop(name, None)
    if proc is not None:
        proc.stop()


def live_status(state: EmulatorState, doc: dict[str, Any]) -> dict[str, Any] | None:
    """A crashed process shows as CRASHED; otherwise the stored status stands (None)."""
    rt = state.runtime.get(_RUNTIME_KEY)
    if rt is None:
        return None
    proc = rt.processes.get(doc["name"])
    if proc is not None and not proc.alive():
        return {"state": "CRASHED",
                "message": f"App process exited with code {proc.proc.returncode}; it restarts on the "
                           "next request."}
    return None


def app_logs(state: EmulatorState, name: str, lines: int = 200) -> str:
    """The last lines of the App's current (or last) process log, for debugging and tests."""
    rt = runtime(state)
    proc = rt.processes.get(name)
    if proc is not None:
        return _tail(proc.log_path, lines)
    logs = sorted((rt.base_dir / name / "logs").glob("*.log"), key=lambda p: p.stat().st_mtime)
    return _tail(logs[-1], lines) if logs else ""
