"""Statement execution's waiting as Databricks does it: wait_timeout, PENDING/RUNNING and polling,
cancel, the server-side limit, and one user's runaway statement not holding up another's.

A statement that never ends on its own (an unbounded recursive query) stands in for a slow one,
so nothing here depends on how fast the machine is: it ends only when cancelled or stopped.
"""

from __future__ import annotations

import time

import pytest
from databricks.sdk.service.sql import ExecuteStatementRequestOnWaitTimeout, StatementState

from agent_lib.emulator.core.demo_ids import WAREHOUSE_ID
from agent_lib.emulator.sql import running

RUNAWAY = "WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c) SELECT count(*) FROM c"
FINAL = {StatementState.SUCCEEDED, StatementState.FAILED, StatementState.CANCELED}


def run(w, statement: str, **kw):
    return w.statement_execution.execute_statement(statement=statement, warehouse_id=WAREHOUSE_ID, **kw)


def settle(w, statement_id: str, polls: int = 600):
    """Poll like a client until the statement is final (bounded, so a bug cannot hang the suite)."""
    for _ in range(polls):
        got = w.statement_execution.get_statement(statement_id)
        if got.status.state in FINAL:
            return got
        time.sleep(0.05)
    raise AssertionError(f"statement {statement_id} still {got.status.state} after {polls} polls")


def test_wait_timeout_0s_answers_at_once_and_cancel_stops_it(admin, alice):
    r = run(admin, RUNAWAY, wait_timeout="0s")
    assert r.status.state in (StatementState.PENDING, StatementState.RUNNING)
    assert r.statement_id and r.result is None and r.manifest is None
    # another user's statement is answered while the runaway still runs
    other = run(alice, "SELECT 1 AS one")
    assert other.status.state == StatementState.SUCCEEDED and other.result.data_array == [["1"]]
    assert admin.statement_execution.get_statement(r.statement_id).status.state in (
        StatementState.PENDING, StatementState.RUNNING)
    with pytest.raises(Exception, match="cannot access"):  # polling is the owner's (or an admin's)
        alice.statement_execution.get_statement(r.statement_id)
    admin.statement_execution.cancel_execution(r.statement_id)
    got = settle(admin, r.statement_id)
    assert got.status.state == StatementState.CANCELED and got.result is None


def test_a_finished_statement_is_polled_to_its_result(admin):
    r = run(admin, "SELECT count(*) FROM main.sales.orders", wait_timeout="0s")
    got = settle(admin, r.statement_id)
    assert got.status.state == StatementState.SUCCEEDED and got.result.data_array == [["2500"]]
    admin.statement_execution.cancel_execution(r.statement_id)  # cancelling a finished one: no change
    assert admin.statement_execution.get_statement(r.statement_id).status.state == StatementState.SUCCEEDED


def test_on_wait_timeout_cancel(admin):
    r = run(admin, RUNAWAY, wait_timeout="5s", on_wait_timeout=ExecuteStatementRequestOnWaitTimeout.CANCEL)
    assert r.status.state == StatementState.CANCELED
    assert admin.statement_execution.get_statement(r.statement_id).status.state == StatementState.CANCELED


def test_runaway_statements_stop_at_the_server_side_limit(admin, alice, monkeypatch):
    monkeypatch.setattr(running, "STATEMENT_TIMEOUT_S", 0.3)
    r = run(alice, RUNAWAY, wait_timeout="0s")
    got = settle(alice, r.statement_id)
    assert got.status.state == StatementState.FAILED
    assert got.status.error.message.startswith("[QUERY_EXECUTION_TIMEOUT_EXCEEDED]")
    assert got.status.error.error_code.value == "DEADLINE_EXCEEDED"


def test_many_users_statements_run_beside_runaways(admin, alice):
    runaways = [run(admin, RUNAWAY, wait_timeout="0s") for _ in range(3)]
    for _ in range(5):
        r = run(alice, "SELECT count(*) FROM main.sales.customers")
        assert r.status.state == StatementState.SUCCEEDED and r.result.data_array == [["600"]]
    for r in runaways:
        admin.statement_execution.cancel_execution(r.statement_id)
    assert {settle(admin, r.statement_id).status.state for r in runaways} == {StatementState.CANCELED}
