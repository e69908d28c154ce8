"""The SQL sandbox, attacked as a hostile user would, through the real SDK.

Each attack from the security review runs as a non-admin (bob) on a persistent workspace (so a
state file exists beside the warehouse to be reached) and must end as a FAILED statement with a
Databricks-shaped error, while reads of the catalog's tables keep working and the one legitimate
write (with MODIFY on the table) still goes through.
"""

from __future__ import annotations

import json
import re

import pytest
from databricks.sdk.errors import OperationFailed
from databricks.sdk.service.catalog import PermissionsChange, Privilege
from databricks.sdk.service.dashboards import MessageStatus
from databricks.sdk.service.sql import StatementState

from agent_lib.emulator import start
from agent_lib.emulator.core.demo_ids import WAREHOUSE_ID
from agent_lib.emulator.embedded import STATE_FILE


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    ws = start(tmp_path_factory.mktemp("sandbox_state"))
    yield ws
    ws.stop()


@pytest.fixture
def bob(workspace):
    return workspace.client(workspace.token_for("bob@example.com"))


def run(w, statement: str):
    return w.statement_execution.execute_statement(statement=statement, warehouse_id=WAREHOUSE_ID)


def failed(r, error_class: str) -> str:
    assert r.status.state == StatementState.FAILED, r.result
    message = r.status.error.message
    assert message.startswith(f"[{error_class}]"), message
    assert r.status.error.error_code is not None and r.result is None
    return message


def order_total(w, order_id: str = "SO-10042") -> str:
    r = run(w, f"SELECT total FROM main.sales.orders WHERE order_id = '{order_id}'")
    return r.result.data_array[0][0]


def test_reads_of_the_catalog_work_for_everyone(bob):
    r = run(bob, "/* a comment first */ WITH t AS (SELECT region, count(*) n FROM main.sales.orders "
                 "GROUP BY region) SELECT count(*) FROM t")
    assert r.status.state == StatementState.SUCCEEDED and r.result.data_array == [["4"]]
    r = run(bob, "SELECT count(*) FROM json_each('[1, 2, 3]')")
    assert r.result.data_array == [["3"]]


@pytest.mark.parametrize("statement", [
    "/**/UPDATE main.sales.orders SET total = 0",
    "-- x\nDELETE FROM main.sales.orders",
    "WITH t AS (SELECT 1) UPDATE main.sales.orders SET total = 0 WHERE order_id = 'SO-10042'",
    "INSERT INTO main.sales.regions VALUES ('Mars', 'Olympus', 'Bob')",
])
def test_writes_without_modify_fail(bob, admin_of, statement):
    before = order_total(admin_of)
    message = failed(run(bob, statement), "INSUFFICIENT_PERMISSIONS")
    assert "MODIFY" in message and "main.sales." in message
    assert order_total(admin_of) == before


@pytest.fixture(scope="module")
def admin_of(workspace):
    return workspace.client()


def test_the_state_path_cannot_be_read(bob):
    message = failed(run(bob, "SELECT file FROM pragma_database_list"), "TABLE_OR_VIEW_NOT_FOUND")
    assert "pragma_database_list" in message
    failed(run(bob, "/**/PRAGMA database_list"), "PARSE_SYNTAX_ERROR")
    failed(run(bob, "SELECT sql FROM sqlite_master"), "TABLE_OR_VIEW_NOT_FOUND")


def test_the_state_file_cannot_be_attached(workspace, bob):
    state_file = workspace.state.config.state_path
    assert state_file is not None and state_file.name == STATE_FILE and state_file.exists()
    for statement in (f"/**/ATTACH DATABASE '{state_file}' AS s",
                      f"-- x\nATTACH '{state_file}' AS s",
                      f"ATTACH DATABASE '{state_file.parent / 'new.db'}' AS n"):
        message = failed(run(bob, statement), "PARSE_SYNTAX_ERROR")
        assert "ATTACH" in message and str(state_file) not in message
    assert not (state_file.parent / "new.db").exists()
    # not even for an admin: the caller connection cannot reach any other database
    failed(run(workspace.client(), f"ATTACH DATABASE '{state_file}' AS s"), "PARSE_SYNTAX_ERROR")
    failed(run(bob, "SELECT document FROM s.documents"), "TABLE_OR_VIEW_NOT_FOUND")


def test_vacuum_into_writes_nothing(workspace, bob, tmp_path):
    target = tmp_path / "copy.db"
    for w in (bob, workspace.client()):
        failed(run(w, f"VACUUM INTO '{target}'"), "PARSE_SYNTAX_ERROR")
        failed(run(w, "VACUUM"), "PARSE_SYNTAX_ERROR")
    assert not target.exists()


@pytest.mark.parametrize("statement,error_class", [
    ("SELECT load_extension('/tmp/x')", "UNRESOLVED_ROUTINE"),
    ("SELECT readfile('/etc/passwd')", "UNRESOLVED_ROUTINE"),
    ("CREATE TABLE mine AS SELECT * FROM main.sales.orders", "UNSUPPORTED_FEATURE"),
    ("CREATE TEMP TABLE t AS SELECT 1", "UNSUPPORTED_FEATURE"),
    ("DROP TABLE main.sales.orders", "UNSUPPORTED_FEATURE"),
    ("BEGIN", "UNSUPPORTED_FEATURE"),
    ("SELECT * FROM _uc_columns", "TABLE_OR_VIEW_NOT_FOUND"),
    ("SELECT count(*) FROM _uc_columns", "TABLE_OR_VIEW_NOT_FOUND"),
    ("PRAGMA writable_schema = ON", "PARSE_SYNTAX_ERROR"),
    # columns used only in a USING join are not shown to SQLite's authorizer: the opened tables are
    ("SELECT count(*) FROM main.sales.products JOIN _uc_columns USING (name)", "TABLE_OR_VIEW_NOT_FOUND"),
    ("SELECT count(*) FROM main.sales.products JOIN sqlite_master USING (name)", "TABLE_OR_VIEW_NOT_FOUND"),
])
def test_other_escapes_fail(bob, statement, error_class):
    failed(run(bob, statement), error_class)


def test_writes_need_modify_and_reset_restores_content(workspace, bob, admin_of):
    before = order_total(admin_of)
    admin_of.grants.update("table", "main.sales.orders", changes=[PermissionsChange(
        principal="bob@example.com", add=[Privilege.MODIFY])])
    r = run(bob, "UPDATE main.sales.orders SET total = total + 1 WHERE order_id = 'SO-10042'")
    assert r.status.state == StatementState.SUCCEEDED
    assert order_total(admin_of) != before
    # MODIFY on one table is not MODIFY on another
    failed(run(bob, "DELETE FROM main.sales.customers"), "INSUFFICIENT_PERMISSIONS")
    workspace.reset()  # one changed value (the row count is the same) is restored
    assert order_total(admin_of) == before


def _space(w, sql: str) -> str:
    serialized = {"version": 2, "data_sources": {"tables": [{"identifier": "main.sales.orders"}]},
                  "instructions": {"example_question_sqls": [
                      {"id": "1", "question": ["What happened to the orders?"], "sql": [sql]}]}}
    return w.genie.create_space(WAREHOUSE_ID, json.dumps(serialized), title="Hostile").space_id


@pytest.mark.parametrize("sql", [
    "UPDATE main.sales.orders SET total = 0",
    "/**/ATTACH DATABASE '{state}' AS s",
    "CREATE TABLE stolen AS SELECT * FROM main.sales.orders",
    "SELECT file FROM pragma_database_list",
])
def test_genie_example_sql_runs_in_the_sandbox(workspace, bob, admin_of, sql):
    """Anyone may create a space; its example SQL runs for whoever asks, read-only and sandboxed."""
    before = order_total(admin_of)
    space_id = _space(bob, sql.format(state=workspace.state.config.state_path))
    for asker in (bob, admin_of):  # an admin asking does not make the example SQL an admin's
        with pytest.raises(OperationFailed):
            asker.genie.start_conversation_and_wait(space_id, "what happened to the orders?")
    conv = bob.genie.list_conversations(space_id).conversations[0]
    msg = bob.genie.list_conversation_messages(space_id, conv.conversation_id).messages[0]
    assert msg.status == MessageStatus.FAILED and msg.error.type.value == "SQL_EXECUTION_EXCEPTION"
    assert re.search(r"\[(INSUFFICIENT_PERMISSIONS|PARSE_SYNTAX_ERROR|UNSUPPORTED_FEATURE|"
                     r"TABLE_OR_VIEW_NOT_FOUND)\]", msg.error.error), msg.error.error
    assert order_total(admin_of) == before
    assert not list(workspace.state.config.state_path.parent.glob("stolen*"))
