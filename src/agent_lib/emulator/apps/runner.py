"""Running deployments: launch in the background, relaunch on demand, stop, and report what runs.

A deployment's process starts on a background thread so `POST .../deployments` answers at once;
its outcome is recorded on the deployment and the App (`records.finish_deployment`), and any
`GET` long-polling it is woken. A new deployment replaces the App's process only once it answers,
so a failed deployment leaves the previous one serving. `stop`, App deletion, `reset` and emulator
shutdown terminate the process group. After a restart, an App whose state says RUNNING is
relaunched by `ensure_running`, which the front proxy calls on the App's first request.

The pieces live beside this module: `process.py` (live processes and the per-state runtime),
`command.py` (command and environment resolution), `launch.py` (materializing the snapshot,
starting, waiting for readiness).
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from ..core.state import EmulatorState
from .launch import launch
from .process import AppProcess, AppsRuntime, LaunchError, Unavailable, existing_runtime, runtime, tail
from .records import APPS, finish_deployment, load, load_deployment, set_app_status

log = logging.getLogger("agent_lib.emulator.apps")


def _run_deployment(state: EmulatorState, rt: AppsRuntime, name: str, dep_id: str) -> None:
    old: AppProcess | None = None
    try:
        with rt.app_lock(name):
            try:
                app = load(state, name)
                dep = load_deployment(state, name, dep_id)
            except Exception:  # deleted meanwhile
                return
            previous = rt.processes.get(name)
            try:
                proc = launch(state, app, dep)
            except LaunchError as exc:
                finish_deployment(state, name, dep_id, ok=False, message=f"App failed to start: {exc}",
                                  previous_alive=bool(previous and previous.alive()))
                return
            if rt.closed or not finish_deployment(state, name, dep_id, ok=True,
                                                  message="App started successfully."):
                proc.stop()
                return
            old, rt.processes[name] = previous, proc
    except Exception as exc:  # never leave a deployment IN_PROGRESS
        log.exception("app %s: deployment %s failed", name, dep_id)
        try:
            finish_deployment(state, name, dep_id, ok=False, message=f"App deployment failed: {exc}")
        except Exception:
            pass
    finally:
        rt.release(dep_id)
    if old is not None:
        old.stop()


def expect(state: EmulatorState, dep_id: str) -> None:
    """Mark a deployment as in flight before it is recorded (see `in_flight`)."""
    runtime(state).events.setdefault(dep_id, threading.Event())


def forget(state: EmulatorState, dep_id: str) -> None:
    runtime(state).release(dep_id)


def deploy_in_background(state: EmulatorState, name: str, dep_id: str) -> None:
    rt = runtime(state)
    rt.events.setdefault(dep_id, threading.Event())
    threading.Thread(target=_run_deployment, args=(state, rt, name, dep_id), daemon=True,
                     name=f"app-deploy-{name}").start()


def in_flight(state: EmulatorState, dep_id: str) -> bool:
    """Whether this process is running the deployment right now."""
    rt = existing_runtime(state)
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
        doc = state.store.get(APPS, name)
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
            set_app_status(state, name, "CRASHED", f"App failed to start: {exc}")
            raise
        if rt.closed:
            proc.stop()
            raise Unavailable("The emulated workspace is shutting down.")
        rt.processes[name] = proc
        if doc.get("app_status", {}).get("state") != "RUNNING":
            set_app_status(state, name, "RUNNING", "App has status: App is running")
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
    rt = existing_runtime(state)
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
        return tail(proc.log_path, lines)
    logs = sorted((rt.base_dir / name / "logs").glob("*.log"), key=lambda p: p.stat().st_mtime)
    return tail(logs[-1], lines) if logs else ""
