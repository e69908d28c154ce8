"""Smoke test of `bench/supervisor_bench.py`: every code path once, with tiny latencies.

Asserts that the results are well formed, that both frameworks did the same work, and that the
parallel case overlapped its two tool executions (client side for engine client, server side for
engine hosted); never wall-clock thresholds.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"


@pytest.fixture(scope="module")
def sb():
    sys.path.insert(0, str(BENCH))
    try:
        import supervisor_bench

        yield supervisor_bench
    finally:
        sys.path.remove(str(BENCH))


@pytest.fixture(scope="module")
def env(sb):
    env = sb.Env.start()
    yield env
    env.stop()


def _positive(value: float) -> bool:
    return math.isfinite(value) and value > 0


def test_parallel_tools_overlap_on_both_engines(sb, env):
    # Tools take 250 ms here, so the two server-side windows overlap with room to spare even when the
    # hosted route has to open its MCP session first (its first request after a cache expiry).
    summary = sb.bench_parallel(env, runs=2, model_ms=5, tool_ms=250).summary()
    assert summary["runs"] == 2 and summary["nominal_critical_ms"] == 260
    for engine in ("client", "hosted"):
        figures = summary[engine]
        assert all(_positive(figures[k]) for k in ("wall_ms", "critical_ms", "ratio"))
        assert figures["overlapped_runs"] == 2, f"engine {engine} ran the two tools one after the other"
        assert figures["serial_would_be_ms"] > figures["critical_ms"]
    assert set(summary["tools_ms"]) == {"genie", "uc_function_sql", "uc_function_mcp", "model_turn"}


def test_loop_overhead_is_measured_against_the_bare_calls(sb, env):
    summary = sb.bench_overhead(env, runs=2).summary()
    assert summary["turns"] == 4  # Genie, UC function, Knowledge Assistant, answer
    assert _positive(summary["supervisor_ms"]) and _positive(summary["bare_ms"])
    assert all(math.isfinite(summary[k]) for k in ("overhead_per_turn_ms", "paired_overhead_per_turn_ms"))
    assert env.ws.state.config.tool_latency_ms == 0 and env.ws.state.config.model_latency_ms == 0


def test_agents_sdk_does_the_same_work(sb, env):
    summary = sb.bench_agents_sdk(env, runs=2, model_ms=5, tool_ms=10).summary()
    assert all(_positive(summary[k]) for k in ("ours_ms", "agents_sdk_ms", "ratio"))
    assert summary["work"] == {"model_turns_per_run": 3, "tool_calls_per_run": 3, "server_tool_executions": {
        "genie": 2, "uc_function": 2, "knowledge_assistant": 2}}


def test_main_prints_and_writes_the_report(sb, tmp_path, capsys):
    out = tmp_path / "SUPERVISOR_RESULTS.md"
    results = sb.main(["--runs", "1", "--overhead-runs", "1", "--model-ms", "5", "--tool-ms", "20",
                       "--out", str(out)])
    assert set(results) == {"parallel", "overhead", "agents_sdk", "load"}
    text = out.read_text()
    for heading in ("## 1. Parallel tool calls", "## 2. Loop overhead", "## 3. vs the OpenAI Agents SDK"):
        assert heading in text
    assert "cores" in text and "uv run --frozen python bench/supervisor_bench.py" in text
    assert "1. parallel tools, engine client" in capsys.readouterr().out


def test_latency_classifies_tool_executions(env):
    from agent_lib.emulator.core import demo_ids as ids
    from agent_lib.emulator.core.latency import classify

    state = env.ws.state
    space = f"/api/2.0/genie/spaces/{ids.GENIE_SPACE_ID}"
    assert classify(state, "POST", f"{space}/start-conversation") == "genie"
    assert classify(state, "POST", f"{space}/conversations/c1/messages") == "genie"
    assert classify(state, "GET", f"{space}/conversations/c1/messages/m1") is None
    statement = b'{"statement": "SELECT * FROM main.sales.get_order_status(:id)", "warehouse_id": "w"}'
    assert classify(state, "POST", "/api/2.0/sql/statements", statement) == "uc_function"
    assert classify(state, "POST", "/api/2.0/sql/statements", b'{"statement": "SELECT 1"}') is None
    call = b'{"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "x"}}'
    mcp = "/api/2.0/mcp/functions/main/sales"
    assert classify(state, "POST", mcp, call) == "mcp"
    assert classify(state, "POST", mcp, call.replace(b"tools/call", b"tools/list")) is None
    ka = f'{{"model": "{ids.KNOWLEDGE_ASSISTANT_ENDPOINT}", "input": "q"}}'.encode()
    assert classify(state, "POST", "/serving-endpoints/responses", ka) == "knowledge_assistant"
    assert classify(state, "POST", f"/serving-endpoints/{ids.KNOWLEDGE_ASSISTANT_ENDPOINT}/invocations") == (
        "knowledge_assistant")
    model = b'{"model": "databricks-claude-sonnet-4-5", "input": "q"}'
    assert classify(state, "POST", "/serving-endpoints/responses", model) is None
