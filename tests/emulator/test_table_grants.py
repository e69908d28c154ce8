"""Table-level grants: a user reads only the tables they hold SELECT on (with USE_CATALOG and
USE_SCHEMA), through statement execution and through Genie (as the asking user), decided by the
warehouse's sandbox where SQLite decides; grant changes apply to the very next statement; another
user's Genie conversation, its rows and its statement stay theirs.

A schema `main.hr` with two tables nobody may read: alice is granted SELECT on `salaries`, bob on
`reviews`; carol has no USE_SCHEMA on `main.hr` at all. A SQL function owned by the admin reads
`salaries` with its owner's rights, as Databricks runs a SQL function's body.
"""

from __future__ import annotations

import json

import pytest
from databricks.sdk.errors import NotFound, OperationFailed, PermissionDenied
from databricks.sdk.service.catalog import (
    ColumnTypeName,
    CreateFunction,
    CreateFunctionParameterStyle,
    CreateFunctionRoutineBody,
    CreateFunctionSecurityType,
    CreateFunctionSqlDataAccess,
    FunctionParameterInfo,
    FunctionParameterInfos,
    PermissionsChange,
    Privilege,
)
from databricks.sdk.service.dashboards import MessageStatus
from databricks.sdk.service.iam import AccessControlRequest, PermissionLevel
from databricks.sdk.service.sql import StatementState

from agent_lib.emulator import start
from agent_lib.emulator.core.demo_ids import WAREHOUSE_ID
from agent_lib.emulator.warehouse import Column

SALARIES, REVIEWS = "main.hr.salaries", "main.hr.reviews"
QUESTION = "What is the total payroll?"


def grant(admin, securable: str, name: str, who: str, *privileges: Privilege, remove: bool = False) -> None:
    change = PermissionsChange(principal=who, remove=list(privileges)) if remove else \
        PermissionsChange(principal=who, add=list(privileges))
    admin.grants.update(securable, name, changes=[change])


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    workspace = start(tmp_path_factory.mktemp("table_grants"))
    admin = workspace.client()
    admin.schemas.create("hr", "main", comment="People data: only those granted SELECT read it.")
    wh = workspace.state.warehouse
    wh.create_table(SALARIES, [Column("employee_id", "INT"), Column("salary", "INT")],
                    [(1, 5000), (2, 7000)])
    wh.create_table(REVIEWS, [Column("employee_id", "INT"), Column("rating", "STRING")],
                    [(1, "exceeds"), (2, "meets"), (3, "new")])
    for user in ("alice@example.com", "bob@example.com"):
        grant(admin, "schema", "main.hr", user, Privilege.USE_SCHEMA)
    grant(admin, "table", SALARIES, "alice@example.com", Privilege.SELECT)
    grant(admin, "table", REVIEWS, "bob@example.com", Privilege.SELECT)
    yield workspace
    workspace.stop()


@pytest.fixture(scope="module")
def users(ws):
    return {name: ws.client(ws.token_for(f"{name}@example.com")) for name in ("alice", "bob", "carol")}


def run(w, statement: str):
    return w.statement_execution.execute_statement(statement=statement, warehouse_id=WAREHOUSE_ID)


def rows_or_error(w, statement: str):
    r = run(w, statement)
    if r.status.state == StatementState.SUCCEEDED:
        return r.result.data_array
    assert r.status.state == StatementState.FAILED and r.result is None
    return r.status.error.message


def denied(table: str) -> str:
    return f"[INSUFFICIENT_PERMISSIONS] Insufficient privileges: User does not have SELECT on Table '{table}'."


def test_each_user_reads_exactly_the_tables_granted(users):
    alice, bob = users["alice"], users["bob"]
    assert rows_or_error(alice, f"SELECT sum(salary) FROM {SALARIES}") == [["12000"]]
    assert rows_or_error(bob, f"SELECT count(*) FROM {REVIEWS}") == [["3"]]
    assert rows_or_error(alice, f"SELECT count(*) FROM {REVIEWS}") == denied(REVIEWS)
    assert rows_or_error(bob, f"SELECT * FROM {SALARIES}") == denied(SALARIES)
    # the catalog's other tables stay readable for both (the demo grants SELECT on main.sales)
    for w in (alice, bob):
        assert rows_or_error(w, "SELECT count(*) FROM main.sales.regions") == [["12"]]


@pytest.mark.parametrize("statement", [
    # no column of `reviews` is named: SQLite's authorizer alone would not be asked about it
    f"SELECT count(*) FROM {SALARIES} s JOIN {REVIEWS} r USING (employee_id)",
    f"SELECT s.salary FROM {SALARIES} s NATURAL JOIN {REVIEWS} r",
    f"SELECT 1 FROM {REVIEWS}",
    f"SELECT EXISTS (SELECT 1 FROM {REVIEWS} WHERE 1)",
    f"SELECT (SELECT count(*) FROM {REVIEWS})",
    f"WITH x AS (SELECT * FROM {REVIEWS}) SELECT count(*) FROM x",
    f"SELECT * FROM {SALARIES} WHERE employee_id IN (SELECT employee_id FROM {REVIEWS})",
    "SELECT count(*) FROM main__hr__reviews",  # the SQLite name, written directly
    f"SELECT rowid FROM {REVIEWS}",
    f"SELECT salary FROM {SALARIES} UNION ALL SELECT rating FROM {REVIEWS}",
])
def test_no_statement_shape_reads_an_ungranted_table(users, statement):
    assert rows_or_error(users["alice"], statement) == denied(REVIEWS)


def test_without_use_schema_the_error_names_the_schema(users):
    assert rows_or_error(users["carol"], f"SELECT * FROM {SALARIES}") == (
        "[INSUFFICIENT_PERMISSIONS] Insufficient privileges: User does not have USE SCHEMA on "
        "Schema 'main.hr'.")


def test_grant_changes_apply_to_the_next_statement(ws, users):
    admin, bob = ws.client(), users["bob"]
    statement = f"SELECT sum(salary) FROM {SALARIES}"
    assert rows_or_error(bob, statement) == denied(SALARIES)
    grant(admin, "table", SALARIES, "bob@example.com", Privilege.SELECT)
    assert rows_or_error(bob, statement) == [["12000"]]
    grant(admin, "table", SALARIES, "bob@example.com", Privilege.SELECT, remove=True)
    assert rows_or_error(bob, statement) == denied(SALARIES)
    grant(admin, "schema", "main.hr", "bob@example.com", Privilege.SELECT)  # inherited by both tables
    assert rows_or_error(bob, statement) == [["12000"]]
    grant(admin, "schema", "main.hr", "bob@example.com", Privilege.SELECT, remove=True)
    assert rows_or_error(bob, statement) == denied(SALARIES)


def _sql_function(name: str, body: str, *, param: str | None = None, table: bool = False) -> CreateFunction:
    params = FunctionParameterInfos(parameters=[FunctionParameterInfo(
        name=param, type_name=ColumnTypeName.INT, type_text="int", position=0)] if param else [])
    returns = FunctionParameterInfos(parameters=[FunctionParameterInfo(
        name="salary", type_name=ColumnTypeName.INT, type_text="int", position=0)]) if table else None
    return CreateFunction(
        name=name, catalog_name="main", schema_name="hr", input_params=params,
        data_type=ColumnTypeName.TABLE_TYPE if table else ColumnTypeName.INT,
        full_data_type="TABLE" if table else "INT", return_params=returns,
        routine_body=CreateFunctionRoutineBody.SQL, routine_definition=body,
        parameter_style=CreateFunctionParameterStyle.S, is_deterministic=True,
        sql_data_access=CreateFunctionSqlDataAccess.READS_SQL_DATA, is_null_call=False,
        security_type=CreateFunctionSecurityType.DEFINER, specific_name=name)


def test_a_sql_function_body_reads_with_its_owners_rights(ws, users):
    """EXECUTE on a function over `salaries` lets bob run it without SELECT on the table, but its
    arguments are still his: a subquery over a table he may not read fails."""
    admin, bob = ws.client(), users["bob"]
    admin.functions.create(_sql_function("payroll", f"SELECT sum(salary) FROM {SALARIES}"))
    admin.functions.create(_sql_function(
        "salary_of", f"SELECT salary FROM {SALARIES} WHERE employee_id = id", param="id", table=True))
    for fn in ("main.hr.payroll", "main.hr.salary_of"):
        grant(admin, "function", fn, "bob@example.com", Privilege.EXECUTE)
    assert rows_or_error(bob, "SELECT main.hr.payroll()") == [["12000"]]
    assert rows_or_error(bob, "SELECT * FROM main.hr.salary_of(2)") == [["7000"]]
    message = rows_or_error(bob, f"SELECT * FROM main.hr.salary_of((SELECT max(employee_id) FROM {SALARIES}))")
    assert isinstance(message, str) and "SELECT on Table 'main.hr.salaries'" in message


def _space(admin) -> str:
    serialized = {"version": 2, "data_sources": {"tables": [{"identifier": SALARIES}]},
                  "instructions": {"example_question_sqls": [
                      {"id": "1", "question": [QUESTION], "sql": [f"SELECT sum(salary) AS payroll FROM {SALARIES}"]}]}}
    space_id = admin.genie.create_space(WAREHOUSE_ID, json.dumps(serialized), title="Payroll").space_id
    admin.permissions.update("genie", space_id, access_control_list=[
        AccessControlRequest(user_name=f"{u}@example.com", permission_level=PermissionLevel.CAN_RUN)
        for u in ("alice", "bob")])
    return space_id


def test_genie_runs_its_sql_as_the_asking_user(ws, users):
    space_id = _space(ws.client())
    answer = users["alice"].genie.start_conversation_and_wait(space_id, QUESTION)
    assert answer.status == MessageStatus.COMPLETED
    [query] = [a for a in answer.attachments if a.query]
    result = users["alice"].genie.get_message_attachment_query_result(
        space_id, answer.conversation_id, answer.message_id, query.attachment_id)
    assert result.statement_response.result.data_array == [["12000"]]
    # bob may run the space, but alice's conversation, its rows and its statement are hers
    ids = (space_id, answer.conversation_id, answer.message_id, query.attachment_id)
    for peek in (lambda: users["bob"].genie.get_message_attachment_query_result(*ids),
                 lambda: users["bob"].genie.execute_message_attachment_query(*ids),
                 lambda: users["bob"].genie.get_message(*ids[:3]),
                 lambda: users["bob"].genie.create_message(*ids[:2], QUESTION)):
        with pytest.raises(PermissionDenied):
            peek()
    with pytest.raises(NotFound):
        users["bob"].statement_execution.get_statement(query.query.statement_id)
    assert not users["bob"].genie.list_conversations(space_id).conversations
    with pytest.raises(OperationFailed):
        users["bob"].genie.start_conversation_and_wait(space_id, QUESTION)
    conv = users["bob"].genie.list_conversations(space_id).conversations[0]
    msg = users["bob"].genie.list_conversation_messages(space_id, conv.conversation_id).messages[0]
    assert msg.status == MessageStatus.FAILED
    assert denied(SALARIES) in msg.error.error


def test_a_function_a_user_writes_reads_only_what_they_may(ws, users):
    """bob may create functions in `main.hr`, but one reading `salaries` reads with his rights
    (none there), and he cannot hand it to the admin to borrow theirs."""
    admin, bob = ws.client(), users["bob"]
    grant(admin, "schema", "main.hr", "bob@example.com", Privilege.CREATE_FUNCTION)
    bob.functions.create(_sql_function("peek", f"SELECT max(salary) FROM {SALARIES}"))
    message = rows_or_error(bob, "SELECT main.hr.peek()")
    assert isinstance(message, str) and denied(SALARIES) in message
    with pytest.raises(PermissionDenied, match="privilege escalation"):
        bob.functions.update("main.hr.peek", owner="admin@example.com")
    assert rows_or_error(bob, "SELECT main.hr.peek()") == message
