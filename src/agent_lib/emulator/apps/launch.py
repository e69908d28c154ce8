"""Launching one deployment: its snapshot written to a folder, its command started, readiness awaited.

The command runs without a shell, in its own process group, bound to 127.0.0.1 on a free port,
with its output appended to a per-deployment log. A process that exits before its port answers
(or `/health`, or the deployment's own health check) fails the launch with the last lines of
its log, which is what the deployment's status message then shows.
"""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

from ..core.state import EmulatorState
from .command import app_credentials, argv, child_env, default_command, read_app_yaml, resolve_env
from .process import AppProcess, AppsRuntime, LaunchError, runtime, tail
from .records import snapshot

START_TIMEOUT_SECONDS = 60.0


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _materialize(rt: AppsRuntime, name: str, dep_id: str) -> Path:
    """Write the deployment's snapshot to a fresh folder (never outside it) and return the folder."""
    files = snapshot(rt.state, name, dep_id)
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
    spec = read_app_yaml(folder)
    command = dep.get("command") or spec.get("command") or default_command(folder)
    if isinstance(command, str):
        import shlex

        command = shlex.split(command)
    env_vars = resolve_env(state, app, spec.get("env") or [], "app.yaml")
    env_vars.update(resolve_env(state, app, dep.get("env_vars") or [], "the deployment's env_vars"))
    port = _free_port()
    url = None
    listener = rt.listeners.get(name)
    if listener is not None:
        url = listener.url
    _, secret = app_credentials(state, app)
    env = child_env(state, app, port, secret, folder, url)
    env.update(env_vars)
    args = argv(list(command), env)
    with log_path.open("ab") as fh:
        fh.write(f"[emulator] {time.strftime('%Y-%m-%dT%H:%M:%S')} starting deployment {dep_id}: "
                 f"{' '.join(command)} (port {port})\n".encode())
        fh.flush()
        try:
            proc = subprocess.Popen(args, cwd=folder, env=env, stdin=subprocess.DEVNULL, stdout=fh,
                                    stderr=subprocess.STDOUT, start_new_session=True)
        except OSError as exc:
            raise LaunchError(f"Could not start {args[0]}: {exc.strerror or exc}") from None
    app_proc = AppProcess(name, dep_id, port, proc, log_path)  # tracked from here until stopped
    path, strict, timeout = _health(dep)
    try:
        _wait_ready(app_proc, path, strict, timeout)
    except LaunchError as exc:
        app_proc.stop(timeout=2.0)
        last = tail(log_path)
        raise LaunchError(f"{exc}\nLast lines of the App's log:\n{last}" if last else str(exc)) from None
    return app_proc
