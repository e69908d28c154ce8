"""What engine `client` keeps between turns: one tool thread pool and the MCP sessions, per Supervisor.

Asserted through the loop's counters (`pools_created`, `McpSessions.opened`), never wall-clock:
the pool outlives a turn and is replaced only after an abandoned call; MCP sessions are opened once
per server and reused by later listings and calls (parallel calls get sessions of their own); a
failed session is replaced; `close()` releases both and a later turn starts them again.
"""

from __future__ import annotations

import time

import pytest

from agent_lib.supervisor import Supervisor
from agent_lib.supervisor.retry import NO_RETRY, RetryPolicy

MCP_PATH = "/api/2.0/mcp/functions/main/sales"
ORDER = {"name": "main__sales__get_order_status", "arguments": {"order_id": "SO-10042"}}
ORDER_TURNS = [{"tool_calls": [ORDER]}, {"text": "On its way.", "expect": ""}]


def _accepts_work(pool) -> bool:
    """Whether a thread pool still takes calls (a shut-down one refuses new work)."""
    try:
        pool.submit(lambda: None).result(timeout=10)
    except RuntimeError:
        return False
    return True


def client(spec, w, **kw) -> Supervisor:
    kw.setdefault("tracing", False)
    return Supervisor(spec, w, engine="client", **kw)


def test_one_pool_serves_every_turn_and_close_shuts_it_down(kit, script, admin):
    sup = client(kit.spec_with(kit.UC_FUNCTION, kit.KNOWLEDGE_ASSISTANT), admin)
    loop = sup.loop
    script([{"tool_calls": [ORDER]},
            {"tool_calls": [{"name": "knowledge_assistant_8c765842", "arguments": {"question": "refunds"}}]},
            {"text": "Done.", "expect": ""}])
    assert sup.respond("order, then refunds").text == "Done."
    script(ORDER_TURNS)
    assert sup.respond("order again").text == "On its way."
    assert loop.pools_created == 1, "a turn started a thread pool of its own"
    pool = loop.pool
    assert pool is not None and _accepts_work(pool)

    sup.close()
    assert loop.pool is None and not _accepts_work(pool)
    sup.close()  # idempotent
    script(ORDER_TURNS)
    assert sup.respond("after close").text == "On its way."  # a later turn starts a new pool
    assert loop.pools_created == 2
    sup.close()


def test_context_manager_closes(kit, script, admin):
    script(ORDER_TURNS)
    with client(kit.spec_with(kit.UC_FUNCTION), admin) as sup:
        sup.respond("where is it?")
        pool, mcp = sup.loop.pool, sup.loop.toolset.context.mcp
        assert pool is not None and mcp.idle() == 1
    assert not _accepts_work(pool) and sup.loop.pool is None and mcp.idle() == 0


def test_an_abandoned_call_gets_later_turns_a_fresh_pool(kit, script, emulator, fault_proxy):
    from agent_lib.workspace import client_for

    def slow_once(method, path, n):
        if path.startswith("/api/2.1/knowledge-assistants") and n == 1:
            time.sleep(2.5)
        return None

    fault_proxy.rule = slow_once
    ka = {"name": "knowledge_assistant_8c765842", "arguments": {"question": "refunds"}}
    script([{"tool_calls": [ka]}, {"text": "Timed out.", "expect": "did not finish"},
            {"tool_calls": [ka]}, {"text": "Refunds within 30 days.", "expect": "refund"}])
    sup = client(kit.spec_with(kit.KNOWLEDGE_ASSISTANT), client_for(fault_proxy.host, emulator.token),
                 timeout_s=1)
    first = sup.respond("refunds?")
    assert "did not finish within 1 s" in first.tool_calls[0].error
    assert sup.loop.pool is None  # the pool with the stuck worker is no longer used
    second = sup.respond("refunds, again?")
    assert second.tool_calls[0].error is None and sup.loop.pools_created == 2
    sup.close()


def test_mcp_sessions_are_opened_once_and_reused_across_turns(kit, script, admin):
    sup = client(kit.spec_with(kit.UC_FUNCTION), admin)
    mcp = sup.loop.toolset.context.mcp
    for _ in range(3):
        script(ORDER_TURNS)
        result = sup.respond("Where is SO-10042?")
        assert result.tool_calls[0].error is None
    assert mcp.opened == 1, "listing and three calls should share one MCP session"
    assert mcp.idle() == 1
    sup.close()
    assert mcp.idle() == 0
    script(ORDER_TURNS)
    assert sup.respond("and now?").tool_calls[0].error is None
    assert mcp.opened == 2  # closed sessions are replaced on demand
    sup.close()


def test_parallel_calls_to_one_server_run_on_sessions_of_their_own(kit, script, admin, emulator,
                                                                   monkeypatch):
    monkeypatch.setattr(emulator.state.config, "tool_latency_ms", 300)  # the two calls surely overlap
    other = {"name": "main__sales__get_order_status", "arguments": {"order_id": "SO-10043"}}
    script([{"tool_calls": [ORDER, other]}, {"text": "Both.", "expect": ""}])
    sup = client(kit.spec_with(kit.UC_FUNCTION), admin)
    result = sup.respond("two orders")
    assert [c.error for c in result.tool_calls] == [None, None]
    mcp = sup.loop.toolset.context.mcp
    assert mcp.opened == 2 and mcp.idle() == 2  # the listing's session, and one more for the 2nd call
    sup.close()


def _fail_nth_mcp_post(status: int, nth: int):
    def rule(method, path, n):
        if (method, path) == ("POST", MCP_PATH) and n == nth:
            body = b'{"error_code": "TEMPORARILY_UNAVAILABLE", "message": "busy"}'
            return status, {"content-type": "application/json"}, body
        return None

    return rule


def test_a_session_failing_mid_call_is_reported_and_replaced(kit, script, emulator, fault_proxy):
    from agent_lib.workspace import client_for

    # POSTs on the session: 1 initialize, 2 notifications/initialized, 3 tools/list, 4 tools/call
    fault_proxy.rule = _fail_nth_mcp_post(503, 4)
    sup = client(kit.spec_with(kit.UC_FUNCTION), client_for(fault_proxy.host, emulator.token), retry=NO_RETRY)
    script(ORDER_TURNS)
    failed = sup.respond("Where is SO-10042?").tool_calls[0]
    assert failed.error and "503" in failed.error
    mcp = sup.loop.toolset.context.mcp
    assert mcp.idle() == 0  # the failed session was closed
    script(ORDER_TURNS)
    assert sup.respond("again?").tool_calls[0].error is None
    assert mcp.opened == 2
    sup.close()


def test_a_503_mid_call_is_repeated_on_a_new_session(kit, script, emulator, fault_proxy):
    from agent_lib.workspace import client_for

    fault_proxy.rule = _fail_nth_mcp_post(503, 4)  # the server did not run the call: safe to repeat
    sup = client(kit.spec_with(kit.UC_FUNCTION), client_for(fault_proxy.host, emulator.token),
                 retry=RetryPolicy(attempts=2, backoff_s=0.01))
    script(ORDER_TURNS)
    call = sup.respond("Where is SO-10042?").tool_calls[0]
    assert call.error is None and "delivered" in call.output.lower()
    assert sup.loop.toolset.context.mcp.opened == 2  # the failed session was replaced
    sup.close()


def test_a_session_the_server_forgot_is_reopened_once(kit, script, emulator, fault_proxy):
    from agent_lib.workspace import client_for

    # 404 on a used session's tools/call is 'Session terminated': a new session, the call again
    fault_proxy.rule = _fail_nth_mcp_post(404, 4)
    sup = client(kit.spec_with(kit.UC_FUNCTION), client_for(fault_proxy.host, emulator.token))
    script(ORDER_TURNS)
    call = sup.respond("Where is SO-10042?").tool_calls[0]
    assert call.error is None and call.output
    assert sup.loop.toolset.context.mcp.opened == 2
    sup.close()


def test_mcp_errors_are_diagnosed_as_before(kit, admin, emulator):
    from agent_lib.supervisor.tools import McpHttpError, McpSessions, list_tools
    from agent_lib.supervisor.tools.base import ToolFailure
    from agent_lib.workspace import client_for

    sessions = McpSessions(admin, timeout_s=30)
    missing = "/api/2.0/mcp/functions/main/no_such_schema"
    for attempt in (lambda: sessions.list_tools(missing), lambda: list_tools(admin, missing)):
        with pytest.raises(McpHttpError) as err:
            attempt()
        assert err.value.status_code == 404 and "no_such_schema" in str(err.value)
    with pytest.raises(ToolFailure, match="no_such_tool"):  # the server's MCP error result
        sessions.call_tool(MCP_PATH, "no_such_tool", {})
    assert sessions.idle() == 1  # ... on a session that stays usable
    bad = McpSessions(client_for(emulator.host, "dapi" + "ab" * 16), timeout_s=30)
    with pytest.raises(McpHttpError) as err:
        bad.list_tools(MCP_PATH)
    assert err.value.status_code == 401 and "ab" * 16 not in str(err.value)
    sessions.close()
    bad.close()


def test_a_pool_let_go_of_by_another_run_is_replaced_not_failed_on(kit, admin):
    sup = client(kit.spec_with(kit.UC_FUNCTION), admin)
    loop = sup.loop
    pool = loop.executor()
    pool.shutdown(wait=False)  # as if another run of this loop discarded it after we picked it up
    used, future = loop.submit(lambda: 42)
    assert future.result(timeout=5) == 42 and used is not pool and loop.pools_created == 2
    sup.close()


def test_respond_builds_no_stream_events_and_answers_as_the_stream_does(kit, script, admin):
    sup = client(kit.spec_with(kit.UC_FUNCTION), admin)
    script(ORDER_TURNS)
    quiet = sup.loop.start("Where is SO-10042?", events=False)
    assert list(quiet) == [] and quiet.response.status == "completed"
    script(ORDER_TURNS)
    streamed = sup.stream("Where is SO-10042?")
    assert [e.type for e in streamed][-1] == "response.completed"
    script(ORDER_TURNS)
    answered = kit.strict_result(sup.respond("Where is SO-10042?"))
    for result in (quiet.response, streamed.result, answered):
        assert [i.type for i in result.output] == ["function_call", "function_call_output", "message"]
    assert answered.text == streamed.result.text == "On its way."
    sup.close()
