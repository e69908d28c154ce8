"""Fixtures for Supervisor tests: a scripted model endpoint, specs, a fault-injecting proxy, MLflow.

    def test_x(emulator, script, admin):
        script([{"tool_calls": [{"name": "main__sales__get_order_status", "arguments": {...}}]}, "Done."])
        result = Supervisor(kit.spec_with(kit.UC_FUNCTION), admin, engine="client", tracing=False).respond("...")

`script` puts a scripted model behind `kit.MODEL` (a Supervisor-supported endpoint; the shared
`scripted_model` and `demo_tools` of tests/conftest.py) and restores the default model afterwards; `fault_proxy` sits in front of the emulator and answers
chosen requests itself (a 503, a hand-made SSE stream), forwarding everything else.
"""

from __future__ import annotations

import http.server
import json
import os
import threading
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest


def spec_with(model: str, *tools: dict[str, Any], instructions: str = "") -> Any:
    from agent_lib.spec import AgentSpec

    return AgentSpec(model=model, instructions=instructions, tools=list(tools))


@pytest.fixture(scope="session", autouse=True)
def _mlflow_tracking(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Traces go to a temporary SQLite store, never to ./mlruns."""
    uri = f"sqlite:///{tmp_path_factory.mktemp('mlflow') / 'mlflow.db'}"
    previous = os.environ.get("MLFLOW_TRACKING_URI")
    os.environ["MLFLOW_TRACKING_URI"] = uri
    yield uri
    if previous is None:
        os.environ.pop("MLFLOW_TRACKING_URI", None)
    else:
        os.environ["MLFLOW_TRACKING_URI"] = previous


@pytest.fixture(autouse=True)
def _traces_to_the_test_store(_mlflow_tracking: str) -> None:
    """Each test traces to the session's SQLite store, whatever an earlier test module (an App or a
    notebook test calling `use_experiment`) left MLflow pointed at."""
    import mlflow
    import mlflow.tracking.fluent as fluent

    mlflow.set_tracking_uri(_mlflow_tracking)
    fluent._active_experiment_id = None
    os.environ.pop("MLFLOW_EXPERIMENT_ID", None)


@pytest.fixture
def script(scripted_model: Callable[[list[Any]], None]) -> Callable[[list[Any]], None]:
    """The scripted model's turns (the shared `scripted_model`); restored after the test."""
    return scripted_model


def strict_events(events: list[Any]) -> list[Any]:
    """Each stream event re-validated by openai's union and dumped, warnings as errors."""
    from openai.types.responses import ResponseStreamEvent
    from pydantic import TypeAdapter

    adapter = TypeAdapter(ResponseStreamEvent)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for event in events:
            adapter.validate_python(event.model_dump(mode="json", exclude_none=True))
    return events


def strict_result(result: Any) -> Any:
    """The result's output items re-validated by openai's union and dumped, warnings as errors."""
    from openai.types.responses import ResponseOutputItem
    from pydantic import TypeAdapter

    adapter = TypeAdapter(ResponseOutputItem)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for item in result.output:
            adapter.validate_python(item.model_dump(mode="json", exclude_none=True))
        if result.usage is not None:
            result.usage.model_dump(mode="json")
        json.dumps(result.to_dict())
    return result


def script_status(emulator: Any, model: str) -> dict[str, Any]:
    response = httpx.get(f"{emulator.host}/_emulator/models/{model}",
                         headers={"Authorization": f"Bearer {emulator.token}"})
    return response.json()


Rule = Callable[[str, str, int], "tuple[int, dict[str, str], bytes] | None"]


@dataclass
class FaultProxy:
    """An HTTP proxy in front of `upstream`; `rule(method, path, n)` may answer a request itself
    (`n` counts requests to that method+path so far, from 1). `seen` records every request."""

    upstream: str
    rule: Rule = field(default=lambda method, path, n: None)
    seen: list[tuple[str, str]] = field(default_factory=list)
    host: str = ""

    def count(self, method: str, path: str) -> int:
        return sum(1 for m, p in self.seen if m == method and p == path)


def _handler(proxy: FaultProxy) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def _serve(self) -> None:
            path = self.path.split("?", 1)[0]
            body = self.rfile.read(int(self.headers.get("content-length") or 0))
            proxy.seen.append((self.command, path))
            canned = proxy.rule(self.command, path, proxy.count(self.command, path))
            if canned is None:
                headers = {k: v for k, v in self.headers.items()
                           if k.lower() not in ("host", "content-length")}
                upstream = httpx.request(self.command, proxy.upstream + self.path, headers=headers,
                                         content=body, timeout=60)
                status, out_headers, content = upstream.status_code, dict(upstream.headers), upstream.content
                out_headers = {k: v for k, v in out_headers.items()
                               if k.lower() in ("content-type", "retry-after")}
            else:
                status, out_headers, content = canned
            self.send_response(status)
            for k, v in out_headers.items():
                self.send_header(k, v)
            self.send_header("content-length", str(len(content)))
            self.end_headers()
            self.wfile.write(content)

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve

    return Handler


@pytest.fixture
def fault_proxy(emulator: Any) -> Iterator[FaultProxy]:
    proxy = FaultProxy(upstream=emulator.host)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler(proxy))
    proxy.host = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield proxy
    server.shutdown()
    server.server_close()


def sse_body(*events: dict[str, Any] | tuple[str, dict[str, Any]]) -> bytes:
    """A hand-made SSE stream: dicts become `event: <type>` + `data:` frames."""
    frames = []
    for e in events:
        kind, data = e if isinstance(e, tuple) else (e["type"], e)
        frames.append(f"event: {kind}\ndata: {json.dumps(data)}\n\n")
    return "".join(frames).encode()


@pytest.fixture
def kit(emulator: Any, demo_tools: Any) -> Any:
    """Constants (the shared `demo_tools`) and helpers of this folder (test modules cannot import each
    other in importlib mode)."""
    from functools import partial
    from types import SimpleNamespace

    return SimpleNamespace(
        **vars(demo_tools), spec_with=partial(spec_with, demo_tools.MODEL), sse_body=sse_body,
        script_status=lambda: script_status(emulator, demo_tools.MODEL),
        strict_events=strict_events, strict_result=strict_result)
