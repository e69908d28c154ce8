"""App benchmarks: `/invocations` throughput of our App vs a bare AgentServer, and the first streamed
byte's overhead over the engine's first event.

Targets (issue 9): throughput ours / bare >= 0.9; first-byte overhead <= 5 ms.

Both servers are MLflow `AgentServer("ResponsesAgent")`s in their own processes, served the same way
(one uvicorn worker on a TCP_NODELAY socket, MLflow tracing off in both, no access log). The bare one
registers an `@invoke` returning a fixed answer. Ours is `agent_lib.app.build_server` on a spec,
with everything an App request goes through (guard, authorization, the handlers, the Supervisor's
result turned into a Responses response) and only the engine replaced by one that answers the same
fixed text at once, so the ratio is what the App layer costs.

First byte: the fixed engine stamps its first stream event with the monotonic clock (shared by the
processes of one machine); the client notes when the first byte of the response arrives. The
difference is what the App adds between the engine's first event and the client: the event's
conversion and validation, the thread hop, SSE framing and the socket.

    uv run --frozen python bench/app_bench.py [--rounds 5] [--requests 300] [--clients 8]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ANSWER = "Order SO-10042 was delivered on 22 January."
SPEC = """name: agent-bench
model: databricks-claude-sonnet-4-5
engine: client
authorization: app
tools:
  - uc_function:
      name: main.sales.get_order_status
      description: Look up one order by its id.
"""


def _now_ns() -> int:
    return time.clock_gettime_ns(time.CLOCK_MONOTONIC)


# -- the fixed engine (ours) -------------------------------------------------------------------------
class FixedEngine:
    """Stands in for the Supervisor: the same fixed answer, as an AgentResult or as stream events."""

    def __init__(self, spec: Any, client: Any) -> None:
        self.spec = spec

    def respond(self, items: Any) -> Any:
        from agent_lib.supervisor import AgentResult
        from agent_lib.supervisor.events import build_response, message_item, new_id

        response = build_response(response_id=new_id("resp"), model=self.spec.model,
                                  output=[message_item(ANSWER)])
        return AgentResult.from_response(response, list(items), engine="client")

    def stream(self, items: Any) -> Any:
        from agent_lib.supervisor.events import EventWriter, message_item, new_id

        writer = EventWriter(response_id=new_id("resp"), model=self.spec.model)
        created = writer.created()
        created.response.metadata = {"engine_first_event_ns": str(_now_ns())}
        item = message_item(ANSWER)
        yield created
        yield from writer.item(item, 0)
        yield writer.completed(writer.response("completed", [item]))

    def close(self) -> None:
        pass


def serve_ours(port_file: str, host: str) -> None:
    import mlflow

    from agent_lib.app import AppConfig
    from agent_lib.app.server import build_server

    mlflow.tracing.disable()
    spec = Path(tempfile.mkdtemp()) / "agent.yml"
    spec.write_text(SPEC)
    built = build_server(AppConfig(spec_path=spec, workspace="emulated", host=host, experiment_name=None),
                         make_supervisor=FixedEngine)
    _run(built.app, port_file)


def serve_bare(port_file: str) -> None:
    import mlflow
    from mlflow.genai.agent_server import AgentServer, invoke, stream
    from mlflow.types.responses import ResponsesAgentResponse

    from agent_lib.supervisor.events import build_response, message_item, new_id

    mlflow.tracing.disable()

    @invoke()
    async def fixed(request: Any) -> ResponsesAgentResponse:
        body = build_response(response_id=new_id("resp"), model="bare", output=[message_item(ANSWER)])
        return ResponsesAgentResponse(**body.model_dump(mode="json", exclude_none=True))

    @stream()
    def fixed_stream(request: Any) -> Any:
        yield {"type": "response.output_text.delta", "item_id": "m", "delta": ANSWER}

    _run(AgentServer("ResponsesAgent").app, port_file)


def _run(app: Any, port_file: str) -> None:
    import uvicorn

    from agent_lib.app.server import listen

    sock = listen("127.0.0.1", 0)
    Path(port_file).write_text(str(sock.getsockname()[1]))
    uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False)).run(sockets=[sock])


# -- the client ----------------------------------------------------------------------------------------
def _start(kind: str, host: str, token: str) -> tuple[subprocess.Popen[bytes], str]:
    port_file = tempfile.mktemp()
    env = {**os.environ, "DATABRICKS_TOKEN": token, "MLFLOW_LOGGING_LEVEL": "WARNING"}
    proc = subprocess.Popen([sys.executable, __file__, f"serve-{kind}", port_file, host], env=env)
    deadline = time.monotonic() + 120
    while not (os.path.exists(port_file) and Path(port_file).read_text()):
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the {kind} server did not start")
        time.sleep(0.05)
    url = f"http://127.0.0.1:{Path(port_file).read_text()}"
    import httpx

    while True:
        try:
            if httpx.get(f"{url}/health").status_code == 200:
                return proc, url
        except httpx.HTTPError:
            time.sleep(0.05)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc), all its threads."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def throughput(url: str, requests: int, clients: int, pid: int) -> tuple[float, float]:
    """(requests per second, server CPU ms per request) of `requests` POST /invocations from
    `clients` keep-alive connections. CPU time per request is what load from other processes on
    the machine disturbs least: on a free core, throughput is its inverse."""
    import httpx

    body = json.dumps({"input": [{"role": "user", "content": "Where is order SO-10042?"}]}).encode()
    per_client = requests // clients
    barrier = threading.Barrier(clients + 1)
    errors: list[str] = []

    def worker() -> None:
        try:
            with httpx.Client(headers={"content-type": "application/json"}, timeout=120) as client:
                client.post(f"{url}/invocations", content=body)  # warm the connection
                barrier.wait()
                for _ in range(per_client):
                    r = client.post(f"{url}/invocations", content=body)
                    if r.status_code != 200 or ANSWER not in r.text:
                        errors.append(r.text[:200])
                barrier.wait()
        except Exception as exc:  # noqa: BLE001 - reported below; never leave the others waiting
            errors.append(f"{type(exc).__name__}: {exc}")
            barrier.abort()

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for t in threads:
        t.start()
    try:
        barrier.wait()
        start, cpu = time.perf_counter(), cpu_seconds(pid)
        barrier.wait()
    except threading.BrokenBarrierError:
        raise RuntimeError(f"a client failed: {errors[:2]}") from None
    elapsed = time.perf_counter() - start
    cpu = cpu_seconds(pid) - cpu
    for t in threads:
        t.join()
    if errors:
        raise RuntimeError(f"bad answers: {errors[:2]}")
    done = per_client * clients
    return done / elapsed, cpu * 1000 / done


def latencies(url: str, n: int) -> list[float]:
    """Milliseconds per POST /invocations, one request at a time on one keep-alive connection."""
    import httpx

    body = {"input": [{"role": "user", "content": "Where is order SO-10042?"}]}
    out = []
    with httpx.Client(timeout=30) as client:
        client.post(f"{url}/invocations", json=body)
        for _ in range(n):
            start = time.perf_counter()
            client.post(f"{url}/invocations", json=body)
            out.append((time.perf_counter() - start) * 1000)
    return out


def first_byte_overheads(url: str, n: int) -> list[float]:
    """Milliseconds from the engine's first event to the client's first byte, per streamed request."""
    import httpx

    out = []
    with httpx.Client(timeout=30) as client:
        for _ in range(n):
            with client.stream("POST", f"{url}/invocations",
                               json={"input": "Where is order SO-10042?", "stream": True}) as r:
                chunks = r.iter_raw()
                first = next(chunks)
                arrived = _now_ns()
                rest = first + b"".join(chunks)
            frame = rest.split(b"\n\n", 1)[0].decode()
            event = json.loads(frame[len("data: "):])
            stamped = int(event["response"]["metadata"]["engine_first_event_ns"])
            out.append((arrived - stamped) / 1e6)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--streams", type=int, default=100)
    args = parser.parse_args()

    from agent_lib.workspace import connect

    ws = connect("emulated", state_dir=tempfile.mkdtemp())
    assert ws.emulator is not None
    servers = {kind: _start(kind, ws.host, ws.emulator.token) for kind in ("ours", "bare")}
    try:
        ratios, rates, cpu = [], {"ours": [], "bare": []}, {"ours": [], "bare": []}
        for i in range(args.rounds):  # interleaved, first one then the other, so load hits both alike
            for kind in (("bare", "ours") if i % 2 == 0 else ("ours", "bare")):
                rate, cpu_ms = throughput(servers[kind][1], args.requests, args.clients, servers[kind][0].pid)
                rates[kind].append(rate)
                cpu[kind].append(cpu_ms)
            ratios.append(rates["ours"][-1] / rates["bare"][-1])
        latency = {kind: statistics.median(latencies(servers[kind][1], args.streams)) for kind in ("bare", "ours")}
        overheads = first_byte_overheads(servers["ours"][1], args.streams)
    finally:
        for proc, _ in servers.values():
            proc.terminate()
            proc.wait(10)
        ws.close()
    print(f"/invocations throughput ({args.rounds} rounds x {args.requests} requests, {args.clients} clients):")
    print(f"  bare AgentServer: median {statistics.median(rates['bare']):.0f} req/s "
          f"(rounds {', '.join(f'{r:.0f}' for r in rates['bare'])})")
    print(f"  ours:             median {statistics.median(rates['ours']):.0f} req/s "
          f"(rounds {', '.join(f'{r:.0f}' for r in rates['ours'])})")
    print(f"  ratio ours/bare:  median {statistics.median(ratios):.3f} (rounds "
          f"{', '.join(f'{r:.3f}' for r in ratios)}; target >= 0.9)")
    cpu_bare, cpu_ours = statistics.median(cpu["bare"]), statistics.median(cpu["ours"])
    print(f"  server CPU per request: bare {cpu_bare:.2f} ms, ours {cpu_ours:.2f} ms; throughput ratio on a "
          f"free core (bare CPU / ours CPU) {cpu_bare / cpu_ours:.3f} (target >= 0.9)")
    print(f"one request at a time ({args.streams} requests): median bare {latency['bare']:.2f} ms, "
          f"ours {latency['ours']:.2f} ms")
    print(f"first streamed byte after the engine's first event ({args.streams} streams): median "
          f"{statistics.median(overheads):.2f} ms, p90 {statistics.quantiles(overheads, n=10)[-1]:.2f} ms "
          "(target <= 5 ms)")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "serve-ours":
        serve_ours(sys.argv[2], sys.argv[3])
    elif len(sys.argv) > 1 and sys.argv[1] == "serve-bare":
        serve_bare(sys.argv[2])
    else:
        main()
