"""Both engines under each fault the emulated workspace injects (`PUT /_emulator/faults`), over HTTP.

For every fault x engine, what the engine does and how often it asked: a retry where it makes
sense (a 429 or 503 said the service did not do the work; a model answer that broke off), bounded
(the fault's `left` counter shows the requests made), waiting what `Retry-After` says (the policy's
`sleep` records the waits instead of sleeping); otherwise the tool's error goes to the model, or
the turn fails with a `SupervisorError` naming the model or tool and the cause. Then, the fault
gone, the same Supervisor answers normally (a failed tool listing is not kept).

Engine `hosted` runs the client loop server-side (the emulated Supervisor API, which retries a
call once itself, 0.5 s at most): its requests counted are the server's. An MCP attempt that fails
is two requests: the failing one and the `initialize` that reads the server's status and reason.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from agent_lib.errors import SupervisorError
from agent_lib.spec import AgentSpec
from agent_lib.supervisor import Supervisor
from agent_lib.supervisor.retry import RetryPolicy

# Every case is bounded: a turn, or a Supervisor API run left behind, that never ends fails here.
pytestmark = pytest.mark.timeout(120)

MODEL = "databricks-claude-sonnet-4-5"  # the reference model: picks its tools by itself
ORDER_Q = "Where is order SO-10042?"
GENIE_Q = "How many orders were placed in 2025?"
MANY = 100  # a fault's `times`: `MANY - left` is the number of requests it answered
TIMEOUT_S = 1.0
MODEL_PATH = "^/serving-endpoints/"
MCP_FUNCTIONS = "^/api/2.0/mcp/functions"
MCP_DOWN = "^/(api/2.0/mcp|_emulator/mcp)/"


@dataclass(frozen=True)
class Outcome:
    """What one engine did: answered (`tool_error` in a tool output) or failed (`error` in the
    message, with `status`/`cause`); `hits` requests met the fault; `waits` are the client's backoffs."""

    hits: int
    waits: list[float] = field(default_factory=list)
    error: str | None = None
    status: int | None = None
    cause: str | None = None
    tool_error: str | None = None


@dataclass(frozen=True)
class Case:
    name: str
    fault: dict[str, Any] | dict[str, dict[str, Any]]  # one for both engines, or one per engine
    expect: dict[str, Outcome]
    question: str = ORDER_Q
    listed: bool = True  # the tools were listed by an earlier turn when the fault starts
    timeout_s: float = 120.0

    def fault_for(self, engine: str) -> dict[str, Any]:
        per_engine = self.fault.get(engine) if isinstance(self.fault.get(engine), dict) else None
        return {"times": MANY, **(per_engine or self.fault)}


CASES = [
    Case("model 429", {"path": MODEL_PATH, "status": 429}, {
        "client": Outcome(3, [1.0, 1.0], f"model endpoint {MODEL} answered 429", 429, "http"),
        "hosted": Outcome(6, [1.0, 1.0], f"model endpoint {MODEL} answered 429", 429, "http")}),
    Case("model 503 once", {"path": MODEL_PATH, "status": 503, "times": 1}, {
        "client": Outcome(1, [1.0]),
        "hosted": Outcome(1)}),  # the Supervisor API retried it itself
    Case("tool 500", {"path": MCP_FUNCTIONS, "status": 500}, {  # it may have run: not repeated
        "client": Outcome(2, tool_error="500 INTERNAL_ERROR"),
        "hosted": Outcome(2, tool_error="500 INTERNAL_ERROR")}),
    Case("MCP server down at the call", {"path": MCP_DOWN, "status": 503}, {
        "client": Outcome(6, [1.0, 1.0], tool_error="503 TEMPORARILY_UNAVAILABLE"),
        "hosted": Outcome(4, tool_error="503 TEMPORARILY_UNAVAILABLE")}),
    Case("MCP server down at the listing", {"path": MCP_DOWN, "status": 503}, listed=False, expect={
        "client": Outcome(6, [1.0, 1.0], "uc_function main.sales.get_order_status: could not prepare",
                          503, "tool"),
        "hosted": Outcome(12, [1.0, 1.0], "uc_function main.sales.get_order_status: could not prepare",
                          503, "http")}),
    Case("tool timeout", {"path": MCP_FUNCTIONS, "delay_ms": 2500}, timeout_s=TIMEOUT_S, expect={
        "client": Outcome(1, tool_error=f"within {TIMEOUT_S:g} s"),
        "hosted": Outcome(1, error=f"did not answer within {TIMEOUT_S:g} s", cause="timeout")}),
    Case("stream dropped half-way", {
        "client": {"path": "^/serving-endpoints/responses$", "drop_after_bytes": 200},
        "hosted": {"path": "^/ai-gateway/mlflow/v1/responses$", "drop_after_bytes": 200}}, {
        "client": Outcome(3, [0.0, 0.0], f"lost the connection to model endpoint {MODEL}", cause="http"),
        "hosted": Outcome(1, error="lost the connection to the Supervisor API", cause="http")}),
    Case("Genie message FAILED", {"sql": r"main\.sales\.orders", "error": "[INTERNAL_ERROR] injected"},
         question=GENIE_Q, expect={  # a failed message is final: not repeated
             "client": Outcome(1, tool_error="ended FAILED: SQL execution failed: [INTERNAL_ERROR] injected"),
             "hosted": Outcome(1, tool_error="ended FAILED: SQL execution failed: [INTERNAL_ERROR] injected")}),
    Case("Genie 503 once", {"path": "/start-conversation$", "status": 503, "times": 1}, question=GENIE_Q,
         expect={"client": Outcome(1), "hosted": Outcome(1)}),  # databricks-sdk's own retry, not ours
    Case("slow SQL", {"sql": r"main\.sales\.orders", "delay_ms": 2500}, question=GENIE_Q,
         timeout_s=TIMEOUT_S, expect={
             "client": Outcome(1, tool_error=f"within {TIMEOUT_S:g} s"),
             "hosted": Outcome(1, error=f"did not answer within {TIMEOUT_S:g} s", cause="timeout")}),
]


@pytest.fixture
def faults(emulator):
    admin = httpx.Client(base_url=emulator.host, headers={"Authorization": f"Bearer {emulator.token}"})

    class Faults:
        def set(self, fault: dict[str, Any]) -> None:
            r = admin.put("/_emulator/faults", json={"faults": [fault]})
            assert r.status_code == 200, r.text

        def hits(self) -> int:
            (armed,) = admin.get("/_emulator/faults").json()["faults"]
            return armed["times"] - armed["left"]

        def clear(self) -> None:
            assert admin.delete("/_emulator/faults").status_code == 200

    yield Faults()
    admin.delete("/_emulator/faults")
    admin.close()


def _supervisor(emulator, kit, engine: str, waits: list[float], timeout_s: float) -> Supervisor:
    spec = AgentSpec(model=MODEL, tools=[kit.UC_FUNCTION, kit.GENIE])
    # a token of its own: the hosted route keeps each token's tool listings for 30 s
    client = emulator.client(emulator.token_for("admin@example.com"))
    retry = RetryPolicy(attempts=3, backoff_s=0.0, sleep=waits.append)
    return Supervisor(spec, client, engine=engine, tracing=False, retry=retry, timeout_s=timeout_s)


def settle(emulator) -> None:
    """Wait until no run of the emulated Supervisor API is in progress: one a timed-out caller left
    behind still calls its tools and model, and would meet the next case's fault (a run that never
    ends fails the test by the module's pytest-timeout, not by a clock read here)."""
    from agent_lib.emulator.supervisor.callers import callers_of

    cache = callers_of(emulator.state)
    while any(entry.leases for entry in list(cache.entries.values())):
        time.sleep(0.05)


@pytest.mark.parametrize("engine", ["client", "hosted"])
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_an_engine_under_a_fault(emulator, kit, faults, case, engine):
    expect = case.expect[engine]
    settle(emulator)
    waits: list[float] = []
    with _supervisor(emulator, kit, engine, waits, case.timeout_s) as sup:
        if case.listed:
            assert sup.respond(case.question).text
        faults.set(case.fault_for(engine))
        try:
            result = sup.respond(case.question)
        except SupervisorError as exc:
            assert expect.error is not None, f"unexpected failure: {exc}"
            assert expect.error in str(exc) and emulator.token not in str(exc), exc
            assert (exc.status, exc.cause) == (expect.status, expect.cause), exc
            assert exc.dependency, exc
        else:
            assert expect.error is None, f"expected {expect.error!r}, got the answer {result.text!r}"
            errors = " ".join(c.error or "" for c in result.tool_calls)
            assert (expect.tool_error or "") in errors and bool(expect.tool_error) == bool(errors), errors
            assert result.text
        assert (faults.hits(), waits) == (expect.hits, expect.waits)
        faults.clear()
        after = sup.respond(case.question)
        assert after.text and not any(c.error for c in after.tool_calls)


def test_a_hosted_stream_dropped_half_way_ends_with_an_error_event(emulator, kit, faults):
    settle(emulator)
    with _supervisor(emulator, kit, "hosted", [], 120.0) as sup:
        faults.set({"path": "^/ai-gateway/mlflow/v1/responses$", "drop_after_bytes": 600, "times": MANY})
        stream = sup.stream(ORDER_Q)
        events = []
        with pytest.raises(SupervisorError) as failure:
            for event in stream:
                events.append(event)
        assert events[0].type == "response.created" and events[-1].type == "error"
        assert "lost the connection to the Supervisor API" in events[-1].message
        assert failure.value.cause == "stream" and faults.hits() == 1  # relayed events: not repeated
        faults.clear()
        assert sup.stream(ORDER_Q).until_done().text


def test_a_rest_call_the_sdk_gave_up_on_is_not_retried_again(emulator, kit, faults):
    """databricks-sdk retries a 503 itself until its budget is spent (here 2 s): `RetryPolicy` does
    not start that over (3 x the budget), and the tool's error names the 503 behind the SDK's timeout."""
    from agent_lib.clients import client_for

    waits: list[float] = []
    w = client_for(emulator.host, emulator.token_for("admin@example.com"), retry_timeout_seconds=2)
    spec = AgentSpec(model=MODEL, tools=[kit.GENIE])
    with Supervisor(spec, w, engine="client", tracing=False,
                    retry=RetryPolicy(attempts=3, sleep=waits.append)) as sup:
        faults.set({"path": "/start-conversation$", "status": 503, "times": MANY})
        (call,) = sup.respond(GENIE_Q).tool_calls
        assert "503" in call.error and "TEMPORARILY_UNAVAILABLE" in call.error and "SDK's retries" in call.error
        assert waits == [] and faults.hits() <= 4  # the SDK's tries in 2 s, 1 s apart (Retry-After)
