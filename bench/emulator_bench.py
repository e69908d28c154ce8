"""Emulator benchmarks: embedded start, SDK GET, a Genie answer, App create and deploy.

Each figure is reported with a baseline measured in the same run, as a ratio:

- start and median GET (targets, issue 3: start <= 1.5 s, GET <= 5 ms) against a bare FastAPI app
  with one route, served the same way (uvicorn in a thread on 127.0.0.1);
- a Genie answer (`genie.start_conversation_and_wait`, question to SQL to result; the tests once
  asserted < 1 s) against a bare statement execution of the SQL the answer ran, on the same
  warehouse;
- App create (`apps.create_and_wait`; once < 5 s in the tests) and deploy (`apps.deploy_and_wait`
  of a tiny stdlib App, until the deployment SUCCEEDED; once < 8 s) against that App process's own
  start: the same `python app.py` started as a plain subprocess until it accepts a connection.

    uv run --frozen python bench/emulator_bench.py [--rounds 5] [--gets 200] [--only start genie apps]
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

GENIE_QUESTION = "What was our revenue by region in 2025?"
# A tiny stdlib App: answers 200 on any GET once it listens.
TINY_APP = b"""import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

class H(BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

ThreadingHTTPServer(("127.0.0.1", int(os.environ["DATABRICKS_APP_PORT"])), H).serve_forever()
"""
TINY_APP_YAML = b'command: ["python", "app.py"]\n'


def _bare_server() -> tuple[str, object, threading.Thread]:
    import uvicorn
    from fastapi import FastAPI

    app = FastAPI()

    @app.get("/.well-known/databricks-config")
    def meta() -> dict[str, str]:
        return {"workspace_id": "1", "cloud": "aws"}

    @app.get("/api/2.0/preview/scim/v2/Me")
    def me() -> dict[str, object]:
        return {"id": "1", "userName": "admin@example.com", "active": True}

    from agent_lib.emulator.core.net import listen_loopback

    sock = listen_loopback(0)  # same socket options as the emulator: a fair baseline
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    server.install_signal_handlers = lambda: None
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.002)
    return f"http://127.0.0.1:{sock.getsockname()[1]}", server, thread


def _median_get(client, n: int) -> float:
    client.current_user.me()  # warm the connection
    samples = []
    for _ in range(n):
        t = time.perf_counter()
        client.current_user.me()
        samples.append(time.perf_counter() - t)
    return statistics.median(samples)


def _ratio_line(label: str, ours: list[float], base_label: str, base: list[float]) -> str:
    o, b = statistics.median(ours), statistics.median(base)
    return (f"{label}: {o * 1000:.0f} ms median (runs {min(ours) * 1000:.0f}-{max(ours) * 1000:.0f}); "
            f"{base_label} {b * 1000:.0f} ms (runs {min(base) * 1000:.0f}-{max(base) * 1000:.0f}); ratio {o / b:.2f}x")


def bench_genie(rounds: int) -> None:
    """A Genie answer against a bare statement execution of the SQL it ran, alternating."""
    from databricks.sdk.service.sql import StatementState

    from agent_lib.emulator import start
    from agent_lib.emulator.core.demo_ids import GENIE_SPACE_ID, WAREHOUSE_ID
    from agent_lib.workspace import client_for

    ws = start(None)
    try:
        w = client_for(ws.host, ws.token)
        first = w.genie.start_conversation_and_wait(GENIE_SPACE_ID, GENIE_QUESTION)  # warm both paths
        sql = next(a for a in first.attachments if a.query).query.query
        w.statement_execution.execute_statement(statement=sql, warehouse_id=WAREHOUSE_ID, wait_timeout="30s")
        genie, bare = [], []
        for _ in range(rounds):
            t = time.perf_counter()
            w.genie.start_conversation_and_wait(GENIE_SPACE_ID, GENIE_QUESTION)
            genie.append(time.perf_counter() - t)
            t = time.perf_counter()
            r = w.statement_execution.execute_statement(statement=sql, warehouse_id=WAREHOUSE_ID,
                                                        wait_timeout="30s")
            bare.append(time.perf_counter() - t)
            assert r.status.state == StatementState.SUCCEEDED, r.status
    finally:
        ws.stop()
    print(_ratio_line(f"Genie answer ({GENIE_QUESTION!r})", genie, "bare statement execution of its SQL", bare))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _process_start(folder: Path) -> float:
    """The tiny App started as a plain subprocess, until it accepts a connection (the readiness a
    deployment without a health path waits for)."""
    port = _free_port()
    t = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "app.py"], cwd=folder, stdin=subprocess.DEVNULL,
                            env={**os.environ, "DATABRICKS_APP_PORT": str(port)})
    try:
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    return time.perf_counter() - t
            except OSError:
                time.sleep(0.005)
    finally:
        proc.terminate()
        proc.wait()


def bench_apps(rounds: int) -> None:
    """App create and deploy against the App process's own start, alternating."""
    from datetime import timedelta

    from databricks.sdk.service.apps import App, AppDeployment, AppDeploymentState
    from databricks.sdk.service.workspace import ImportFormat

    from agent_lib.emulator import start
    from agent_lib.workspace import client_for

    wait = timedelta(seconds=60)
    ws = start(None)
    local = Path(tempfile.mkdtemp(prefix="app-bench-"))
    (local / "app.py").write_bytes(TINY_APP)
    try:
        w = client_for(ws.host, ws.token)
        creates, deploys, own = [], [], []
        for i in range(rounds + 1):  # the first round warms both paths and is not counted
            name = f"bench-{uuid.uuid4().hex[:8]}"
            folder = f"/Workspace/Users/admin@example.com/{name}"
            w.workspace.mkdirs(folder)
            for rel, data in {"app.py": TINY_APP, "app.yaml": TINY_APP_YAML}.items():
                w.workspace.upload(f"{folder}/{rel}", data, format=ImportFormat.AUTO, overwrite=True)
            t = time.perf_counter()
            w.apps.create_and_wait(App(name=name), timeout=wait)
            created = time.perf_counter() - t
            t = time.perf_counter()
            dep = w.apps.deploy_and_wait(name, AppDeployment(source_code_path=folder), timeout=wait)
            deployed = time.perf_counter() - t
            assert dep.status.state == AppDeploymentState.SUCCEEDED, dep.status
            w.apps.delete(name)
            started = _process_start(local)
            if i:
                creates.append(created)
                deploys.append(deployed)
                own.append(started)
    finally:
        ws.stop()
    print(_ratio_line("App create (create_and_wait)", creates, "the App process's own start", own))
    print(_ratio_line("App deploy (deploy_and_wait, until SUCCEEDED)", deploys, "the App process's own start", own))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--gets", type=int, default=200)
    parser.add_argument("--only", nargs="*", choices=["start", "genie", "apps"], default=None)
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    if args.only is None or "start" in args.only:
        bench_start(args.rounds, args.gets)
    if args.only is None or "genie" in args.only:
        bench_genie(max(args.rounds * 6, 30))
    if args.only is None or "apps" in args.only:
        bench_apps(args.rounds)


def bench_start(rounds: int, gets: int) -> None:
    from agent_lib.emulator import start
    from agent_lib.workspace import client_for

    # Warm imports once so both sides pay the same (already paid) import cost.
    warm = start(None)
    warm.stop()

    starts, bare_starts = [], []
    for _ in range(rounds):
        t = time.perf_counter()
        ws = start(None)
        starts.append(time.perf_counter() - t)
        ws.stop()
        t = time.perf_counter()
        _, server, thread = _bare_server()
        bare_starts.append(time.perf_counter() - t)
        server.should_exit = True
        thread.join()

    ws = start(None)
    ours = _median_get(client_for(ws.host, ws.token), gets)
    ws.stop()
    host, server, thread = _bare_server()
    bare = _median_get(client_for(host, "dapi-bench"), gets)
    server.should_exit = True
    thread.join()

    s, b = statistics.median(starts), statistics.median(bare_starts)
    print(f"embedded start: {s * 1000:.0f} ms median (target <= 1500 ms); bare FastAPI app "
          f"{b * 1000:.0f} ms; ratio {s / b:.1f}x")
    print(f"SDK GET (current_user.me): {ours * 1000:.2f} ms median (target <= 5 ms); bare FastAPI "
          f"{bare * 1000:.2f} ms; ratio {ours / bare:.2f}x")


if __name__ == "__main__":
    main()
