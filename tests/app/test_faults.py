"""The agent App under each fault the emulated workspace injects, for both engines, over real HTTP.

For every fault x engine: a whole turn (`/invocations`) is either answered (the engine retried, or the
model heard the tool's error and answered anyway) or refused with the status that names the failing
upstream (429/503 with Retry-After, 502, 504) and a JSON reason, never a 500; the same turn streamed
either completes or ends with one in-stream `error` event and `[DONE]`; then, with the fault gone,
`/health` and a normal question are answered as before. No token appears in any answer.

One App per engine serves the whole module (tool budget `TIMEOUT_S`, quick retries), so each case
costs what its fault costs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import yaml

from agent_lib.supervisor import Supervisor
from agent_lib.supervisor.retry import RetryPolicy

MODEL = "databricks-claude-sonnet-4-5"  # the emulator's reference model: picks tools by itself
ORDER_Q = "Where is order SO-10042?"
GENIE_Q = "How many orders were placed in 2025?"
TIMEOUT_S = 2.0
QUICK = RetryPolicy(attempts=3, backoff_s=0.05, max_backoff_s=0.05)
ENGINES = ("client", "hosted")
MODEL_PATH = "^/serving-endpoints/"
MCP_FUNCTIONS = "^/api/2.0/mcp/functions"


@dataclass(frozen=True)
class Answered:
    """The turn is answered; `tool_error` (if any) is in a tool's `{"error": ...}` output."""

    tool_error: str | None = None


@dataclass(frozen=True)
class Refused:
    """The turn fails: `/invocations` answers `status`/`code`, the message says `says`."""

    status: int
    code: str
    says: str
    retry_after: str | None = None


@dataclass(frozen=True)
class Case:
    name: str
    question: str
    faults: dict[str, list[dict[str, Any]]]  # per engine
    expect: dict[str, Answered | Refused]


def both(*faults: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    return dict.fromkeys(ENGINES, list(faults))


CASES = [
    Case("model 429 once", ORDER_Q, both({"path": MODEL_PATH, "status": 429, "times": 1}),
         dict.fromkeys(ENGINES, Answered())),
    Case("model 503", ORDER_Q, both({"path": MODEL_PATH, "status": 503}),
         dict.fromkeys(ENGINES, Refused(503, "TEMPORARILY_UNAVAILABLE", f"{MODEL} answered 503",
                                        retry_after="1"))),
    Case("tool 500", ORDER_Q, both({"path": MCP_FUNCTIONS, "status": 500}),
         dict.fromkeys(ENGINES, Answered("500 INTERNAL_ERROR"))),
    Case("tool timeout", ORDER_Q, both({"path": MCP_FUNCTIONS, "delay_ms": 3000}),
         {"client": Answered(f"within {TIMEOUT_S:g} s"),
          "hosted": Refused(504, "DEADLINE_EXCEEDED", f"within {TIMEOUT_S:g} s")}),
    Case("stream dropped once", ORDER_Q,
         {"client": [{"path": "^/serving-endpoints/responses$", "drop_after_bytes": 200, "times": 1}],
          "hosted": [{"path": "^/ai-gateway/mlflow/v1/responses$", "drop_after_bytes": 200, "times": 1}]},
         {"client": Answered(),  # a model call has no side effects: repeated
          "hosted": Refused(502, "BAD_GATEWAY", "lost the connection to the Supervisor API")}),  # its
    # tools may have run: not repeated
    Case("stream dropped", ORDER_Q,
         {"client": [{"path": "^/serving-endpoints/responses$", "drop_after_bytes": 200}],
          "hosted": [{"path": "^/ai-gateway/mlflow/v1/responses$", "drop_after_bytes": 200}]},
         {"client": Refused(502, "BAD_GATEWAY", f"lost the connection to model endpoint {MODEL}"),
          "hosted": Refused(502, "BAD_GATEWAY", "lost the connection to the Supervisor API")}),
    Case("Genie message FAILED", GENIE_Q,
         both({"sql": r"main\.sales\.orders", "error": "[INTERNAL_ERROR] injected warehouse failure"}),
         dict.fromkeys(ENGINES, Answered("injected warehouse failure"))),
    Case("MCP server down", ORDER_Q, both({"path": "^/(api/2.0/mcp|_emulator/mcp)/", "status": 503}),
         dict.fromkeys(ENGINES, Answered("503 TEMPORARILY_UNAVAILABLE"))),
    Case("slow SQL", GENIE_Q, both({"sql": r"main\.sales\.orders", "delay_ms": 4000}),
         {"client": Answered(f"did not finish within {TIMEOUT_S:g} s"),
          "hosted": Refused(504, "DEADLINE_EXCEEDED", f"within {TIMEOUT_S:g} s")}),
]


def _supervisor(spec: Any, client: Any) -> Supervisor:
    return Supervisor(spec, client, timeout_s=TIMEOUT_S, retry=QUICK, tracing=False)


@pytest.fixture(scope="module")
def apps(emulator, app_starter, tmp_path_factory, app_kit) -> Any:
    """One App per engine, with the order tool and the Genie space, each asked both questions once."""
    from agent_lib.spec import AgentSpec

    folder = tmp_path_factory.mktemp("fault-apps")
    tools = [app_kit.ORDER_TOOL, app_kit.GENIE_TOOL]
    for engine in ENGINES:  # the first turn imports what the tools need: longer than TIMEOUT_S
        with Supervisor(AgentSpec(model=MODEL, tools=tools), emulator.client(), engine=engine,
                        tracing=False) as warm:
            warm.respond(GENIE_Q)
    urls, stops = {}, []
    try:
        for engine in ENGINES:
            spec = {"name": f"faults-{engine}", "model": MODEL, "engine": engine, "authorization": "app",
                    "instructions": "Answer with the tools.", "tools": tools}
            path = folder / f"{engine}.yml"
            path.write_text(yaml.safe_dump(spec, sort_keys=False))
            url, stop = app_starter(emulator, path, state_dir=folder, make_supervisor=_supervisor,
                                    experiment_name=None)
            stops.append(stop)
            urls[engine] = url
        yield urls
    finally:
        for stop in stops:
            stop()


@pytest.fixture
def inject(emulator):
    admin = httpx.Client(base_url=emulator.host, headers={"Authorization": f"Bearer {emulator.token}"})

    def put(faults: list[dict[str, Any]]) -> None:
        r = admin.put("/_emulator/faults", json={"faults": faults})
        assert r.status_code == 200, r.text

    yield put
    admin.delete("/_emulator/faults")
    admin.close()


def _ask(url: str, question: str, *, stream: bool = False) -> httpx.Response:
    return httpx.post(f"{url}/invocations", json={"input": question, "stream": stream}, timeout=60)


def _tool_outputs(output: list[dict[str, Any]]) -> str:
    return " ".join(o["output"] for o in output if o["type"] == "function_call_output")


def _answered_normally(url: str, question: str) -> None:
    assert httpx.get(f"{url}/health").json() == {"status": "healthy"}
    r = _ask(url, question)
    assert r.status_code == 200, r.text
    output = r.json()["output"]
    assert output[-1]["type"] == "message" and output[-1]["content"][0]["text"]
    assert '"error"' not in _tool_outputs(output)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_the_app_under_a_fault(apps, inject, emulator, app_kit, case, engine):
    url, expect = apps[engine], case.expect[engine]
    _answered_normally(url, case.question)  # tool listings warm (the hosted route keeps them 30 s)

    inject(case.faults[engine])
    r = _ask(url, case.question)
    assert emulator.token not in r.text
    if isinstance(expect, Answered):
        assert r.status_code == 200, r.text
        output = r.json()["output"]
        assert output[-1]["type"] == "message"
        if expect.tool_error:
            assert expect.tool_error in _tool_outputs(output)
    else:
        assert r.status_code == expect.status, r.text
        error = r.json()["error"]
        assert error["code"] == expect.code and expect.says in error["message"], error
        assert error["type"] == "upstream_error" and error["dependency"]
        assert r.headers.get("retry-after") == expect.retry_after

    inject(case.faults[engine])  # re-armed: faults with `times` are used up
    r = _ask(url, case.question, stream=True)
    assert r.status_code == 200 and emulator.token not in r.text
    frames = app_kit.sse_frames(r.text)
    assert frames[-1] == "[DONE]"
    events = [json.loads(f) for f in frames[:-1]]
    kinds = [e.get("type") for e in events]
    if isinstance(expect, Answered):
        assert kinds[-1] == "response.completed" and "error" not in kinds, kinds
        if expect.tool_error:
            assert expect.tool_error in _tool_outputs(events[-1]["response"]["output"])
    else:
        assert kinds.count("error") == 1 and "response.completed" not in kinds, kinds
        error = next(e for e in events if e.get("type") == "error")
        assert expect.says in error["message"], error
        assert kinds[-1] in ("error", "response.failed")

    inject([])
    _answered_normally(url, case.question)


def test_a_tool_the_users_token_may_not_use_is_403_naming_it(serve_app, spec_file, emulator, app_kit):
    """User authorization, a forwarded token without the tool's scope: the listing answers 403, and
    so does the App, naming the tool (the user's permissions, not an upstream outage)."""
    url = serve_app(spec_file([app_kit.ORDER_TOOL], authorization="user", model=MODEL))
    token = emulator.token_for("admin@example.com", ["model-serving"])  # no scope for UC functions
    r = httpx.post(f"{url}/invocations", json={"input": ORDER_Q}, timeout=60,
                   headers={"x-forwarded-access-token": token})
    assert r.status_code == 403, r.text
    error = r.json()["error"]
    assert error["code"] == "PERMISSION_DENIED" and error["upstream_status"] == 403
    assert error["dependency"] == "uc_function main.sales.get_order_status" and token not in r.text
    assert httpx.get(f"{url}/health").status_code == 200
