"""Emulator benchmarks: embedded start time and median SDK GET latency.

Targets (issue 3): start <= 1.5 s, median GET <= 5 ms. Each figure is reported with a baseline run
in the same process: a bare FastAPI app with one route, served the same way (uvicorn in a thread on
127.0.0.1), so the ratio shows what the emulator itself adds on this machine.

    uv run --frozen python bench/emulator_bench.py [--rounds 5] [--gets 200]
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time


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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--gets", type=int, default=200)
    args = parser.parse_args()

    from agent_lib.emulator import start
    from agent_lib.workspace import client_for

    # Warm imports once so both sides pay the same (already paid) import cost.
    warm = start(None)
    warm.stop()

    starts, bare_starts = [], []
    for _ in range(args.rounds):
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
    ours = _median_get(client_for(ws.host, ws.token), args.gets)
    ws.stop()
    host, server, thread = _bare_server()
    bare = _median_get(client_for(host, "dapi-bench"), args.gets)
    server.should_exit = True
    thread.join()

    s, b = statistics.median(starts), statistics.median(bare_starts)
    print(f"embedded start: {s * 1000:.0f} ms median (target <= 1500 ms); bare FastAPI app "
          f"{b * 1000:.0f} ms; ratio {s / b:.1f}x")
    print(f"SDK GET (current_user.me): {ours * 1000:.2f} ms median (target <= 5 ms); bare FastAPI "
          f"{bare * 1000:.2f} ms; ratio {ours / bare:.2f}x")


if __name__ == "__main__":
    main()
