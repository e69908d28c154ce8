"""Fixtures for Supervisor tests: a scripted model endpoint, specs, a fault-injecting proxy, MLflow.

    def test_x(emulator, script, admin):
        script([{"tool_calls": [{"name": "main__sales__get_order_status", "arguments": {...}}]}, "Done."])
        result = Supervisor(spec_with(UC_FUNCTION), admin, engine="client", tracing=False).respond("...")

`script` puts a scripted model behind `SCRIPTED_MODEL` (a Supervisor-supported endpoint) and
restores the default model afterwards; `fault_proxy` sits in front of the emulator and answers
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

SCRIPTED_MODEL = "databricks-claude-haiku-4-5"

GENIE = {"genie_space": {"id": "01f0c0ffee5a1e5d4a7a5e5a1e5c0de1",
                         "description": "Sales analytics: revenue, order counts and rankings by region."}}
UC_FUNCTION = {"uc_function": {"name": "main.sales.get_order_status",
                               "description": "Look up one order by its id: status and shipping details."}}
CONVERT = {"uc_function": {"name": "main.sales.convert_currency",
                           "description": "Convert an amount of money between currencies (ISO codes)."}}
KNOWLEDGE_ASSISTANT = {"knowledge_assistant": {
    "knowledge_assistant_id": "8c765842-f021-4946-85b4-df326cc01b03",
    "description": "Company policies: returns, refunds, shipping."}}
TICKETING = {"uc_connection": {"name": "ticketing", "description": "Support tickets: create, search, read."}}
HELPDESK = {"app": {"name": "agent-lib-helpdesk",
                    "description": "The IT helpdesk agent: passwords, VPN, laptops."}}


def spec_with(*tools: dict[str, Any], instructions: str = "") -> Any:
    from agent_lib.spec import AgentSpec

    return AgentSpec(model=SCRIPTED_MODEL, instructions=instructions, tools=list(tools))


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
def script(emulator: Any) -> Iterator[Callable[[list[Any]], None]]:
    """Set the scripted model's turns (`PUT /_emulator/models/{endpoint}`); restored after the test."""
    headers = {"Authorization": f"Bearer {emulator.token}"}
    url = f"{emulator.host}/_emulator/models/{SCRIPTED_MODEL}"

    def set_turns(turns: list[Any]) -> None:
        response = httpx.put(url, json={"kind": "scripted", "turns": turns}, headers=headers)
        assert response.status_code == 200, response.text

    yield set_turns
    httpx.delete(url, headers=headers)


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


def script_status(emulator: Any) -> dict[str, Any]:
    response = httpx.get(f"{emulator.host}/_emulator/models/{SCRIPTED_MODEL}",
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
def kit(emulator: Any) -> Any:
    """Constants and helpers of this folder (test modules cannot import each other in importlib mode)."""
    from types import SimpleNamespace

    return SimpleNamespace(
        MODEL=SCRIPTED_MODEL, GENIE=GENIE, UC_FUNCTION=UC_FUNCTION, CONVERT=CONVERT,
        KNOWLEDGE_ASSISTANT=KNOWLEDGE_ASSISTANT, TICKETING=TICKETING, HELPDESK=HELPDESK,
        spec_with=spec_with, sse_body=sse_body, script_status=lambda: script_status(emulator),
        strict_events=strict_events, strict_result=strict_result)
