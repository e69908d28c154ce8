"""SQL statement execution through the SDK's `statement_execution` (and raw HTTP for errors):
results as Databricks' JSON_ARRAY strings, FAILED statements for bad SQL, chunks, UC function calls."""

from __future__ import annotations

import uuid

import httpx
import pytest
from databricks.sdk.errors import BadRequest, NotFound, PermissionDenied
from databricks.sdk.service.catalog import CreateFunction, PermissionsChange, Privilege
from databricks.sdk.service.sql import (
    Disposition,
    Format,
    StatementParameterListItem,
    StatementState,
)

from agent_lib.emulator.core.demo_ids import WAREHOUSE_ID
from agent_lib.emulator.sql import models as sql_models


def make_function(schema: str, name: str, body: str, *, params=(), returns: str = "STRING",
                  python: bool = False, table=None) -> CreateFunction:
    """A CreateFunction; params/table are (name, type_name[, default]) tuples."""

    def infos(spec):
        return {"parameters": [{"name": p[0], "type_name": p[1], "type_text": p[1].lower(), "position": i,
                                **({"parameter_default": p[2]} if len(p) > 2 else {})}
                               for i, p in enumerate(spec)]}

    catalog, sch = schema.split(".")
    info = {"name": name, "catalog_name": catalog, "schema_name": sch, "input_params": infos(params),
            "data_type": "TABLE_TYPE" if table else returns, "full_data_type": returns,
            "routine_body": "EXTERNAL" if python else "SQL", "routine_definition": body,
            "parameter_style": "S", "is_deterministic": True, "is_null_call": False,
            "sql_data_access": "NO_SQL" if python else "READS_SQL_DATA", "security_type": "DEFINER",
            "specific_name": name}
    if python:
        info["external_language"] = "Python"
    if table:
        info["return_params"] = infos(table)
    return CreateFunction.from_dict(info)


def run(w, statement: str, **kw):
    return w.statement_execution.execute_statement(statement=statement, warehouse_id=WAREHOUSE_ID, **kw)


def _post(emulator, token: str, body: dict) -> httpx.Response:
    with httpx.Client(base_url=emulator.host, headers={"Authorization": f"Bearer {token}"}) as c:
        return c.post("/api/2.0/sql/statements", json=body)


@pytest.fixture(scope="module")
def schema(admin) -> str:
    name = "sql_" + uuid.uuid4().hex[:8]
    admin.schemas.create(name=name, catalog_name="main")
    full = f"main.{name}"
    admin.functions.create(make_function(full, "double_it", "x * 2", params=[("x", "LONG")], returns="LONG"))
    admin.functions.create(make_function(full, "shout", "return s.upper() + '!'", params=[("s", "STRING")],
                                         python=True))
    admin.functions.create(make_function(
        full, "status_counts", "SELECT status, count(*) FROM main.sales.orders "
        "WHERE region = status_counts.region GROUP BY status ORDER BY status",
        params=[("region", "STRING", "'EMEA'")], table=[("status", "STRING"), ("n", "LONG")]))
    return full


def test_select_with_parameters_and_types(admin):
    r = run(admin, "SELECT order_id, total, order_date, ship_date FROM main.sales.orders "
                   "WHERE order_id = :id",
            parameters=[StatementParameterListItem(name="id", value="SO-10042")])
    assert r.status.state == StatementState.SUCCEEDED
    cols = r.manifest.schema.columns
    assert [c.name for c in cols] == ["order_id", "total", "order_date", "ship_date"]
    assert [c.type_text for c in cols] == ["STRING", "DOUBLE", "DATE", "DATE"]
    assert [c.position for c in cols] == [0, 1, 2, 3]
    assert r.manifest.total_row_count == 1 and r.result.row_count == 1 and r.result.chunk_index == 0
    row = r.result.data_array[0]
    assert row[0] == "SO-10042" and all(isinstance(v, str) or v is None for v in row)
    float(row[1])


def test_values_are_strings_and_null_is_null(admin):
    r = run(admin, "SELECT 1 AS i, 2.5 AS d, 'x' AS s, NULL AS n, :flag AS b",
            parameters=[StatementParameterListItem(name="flag", value="true", type="BOOLEAN")])
    assert r.result.data_array == [["1", "2.5", "x", None, "1"]]
    assert [c.type_name.value for c in r.manifest.schema.columns[:3]] == ["LONG", "DOUBLE", "STRING"]


def test_statement_catalog_and_schema(admin):
    r = run(admin, "SELECT count(*) FROM orders o WHERE o.ship_date IS DISTINCT FROM o.order_date",
            catalog="main", schema="sales")
    assert r.status.state == StatementState.SUCCEEDED, r.status
    r2 = run(admin, "SELECT count(*) FROM sales.orders WHERE ship_date IS DISTINCT FROM order_date")
    assert r.result.data_array == r2.result.data_array and int(r.result.data_array[0][0]) > 0


def test_empty_result(admin):
    r = run(admin, "SELECT * FROM main.sales.orders WHERE 1 = 0")
    assert r.status.state == StatementState.SUCCEEDED
    assert r.manifest.total_row_count == 0 and r.result.data_array is None
    assert len(r.manifest.schema.columns) == 9


@pytest.mark.parametrize("statement,needle", [
    ("SELEC 1", "PARSE_SYNTAX_ERROR"),
    ("SELECT * FROM main.sales.nope", "TABLE_OR_VIEW_NOT_FOUND"),
    ("SELECT no_such_column FROM main.sales.orders", "UNRESOLVED_COLUMN"),
    ("SELECT :missing", "UNBOUND_SQL_PARAMETER"),
    ("SELECT main.sales.no_such_fn(1)", "UNRESOLVED_ROUTINE"),
    ("SELECT 1; SELECT 2", "one statement"),
    ("SELECT * FROM sales.nope", "TABLE_OR_VIEW_NOT_FOUND"),
    ("ATTACH DATABASE 'x.db' AS x", "PARSE_SYNTAX_ERROR"),
])
def test_bad_sql_is_a_failed_statement(admin, statement, needle):
    r = run(admin, statement)
    assert r.status.state == StatementState.FAILED
    assert needle in r.status.error.message
    assert r.status.error.error_code is not None
    assert r.result is None
    got = admin.statement_execution.get_statement(r.statement_id)
    assert got.status.state == StatementState.FAILED


def test_request_errors_are_400(emulator, admin):
    with pytest.raises(BadRequest, match="EXTERNAL_LINKS"):
        run(admin, "SELECT 1", disposition=Disposition.EXTERNAL_LINKS)
    with pytest.raises(BadRequest, match="format"):
        run(admin, "SELECT 1", format=Format.ARROW_STREAM)
    with pytest.raises(BadRequest, match="wait_timeout"):
        run(admin, "SELECT 1", wait_timeout="3s")
    with pytest.raises(NotFound):
        admin.statement_execution.execute_statement(statement="SELECT 1", warehouse_id="nope")
    r = _post(emulator, emulator.token, {"warehouse_id": WAREHOUSE_ID})
    assert r.status_code == 400 and "statement" in r.json()["message"]
    r = _post(emulator, emulator.token, {"statement": "SELECT 1", "warehouse_id": WAREHOUSE_ID, "bogus": 1})
    assert r.status_code == 400 and "bogus" in r.json()["message"]
    r = _post(emulator, emulator.token, {"statement": "SELECT :x", "warehouse_id": WAREHOUSE_ID,
                                         "parameters": [{"name": "x", "value": "abc", "type": "INT"}]})
    assert r.status_code == 400 and "'x'" in r.json()["message"]


def test_chunks_and_row_limit(admin, monkeypatch):
    monkeypatch.setattr(sql_models, "CHUNK_ROWS", 40)
    r = run(admin, "SELECT order_id FROM main.sales.orders ORDER BY order_id LIMIT 100")
    assert r.manifest.total_row_count == 100 and r.manifest.total_chunk_count == 3
    assert r.result.row_count == 40 and r.result.next_chunk_index == 1
    c1 = admin.statement_execution.get_statement_result_chunk_n(r.statement_id, 1)
    c2 = admin.statement_execution.get_statement_result_chunk_n(r.statement_id, 2)
    assert c1.row_offset == 40 and c2.row_count == 20 and c2.next_chunk_index is None
    ids = [x[0] for x in r.result.data_array + c1.data_array + c2.data_array]
    assert ids == sorted(ids) and len(set(ids)) == 100
    with pytest.raises(BadRequest):
        admin.statement_execution.get_statement_result_chunk_n(r.statement_id, 3)
    r = run(admin, "SELECT order_id FROM main.sales.orders", row_limit=5)
    assert r.manifest.total_row_count == 5 and r.manifest.truncated is True


def test_get_and_cancel_statement(admin, alice):
    r = run(admin, "SELECT 42 AS answer")
    got = admin.statement_execution.get_statement(r.statement_id)
    assert got.status.state == StatementState.SUCCEEDED and got.result.data_array == [["42"]]
    admin.statement_execution.cancel_execution(r.statement_id)
    with pytest.raises(PermissionDenied):
        alice.statement_execution.get_statement(r.statement_id)
    with pytest.raises(NotFound):
        admin.statement_execution.get_statement(str(uuid.uuid4()))


def test_scalar_function_calls(admin, schema):
    r = run(admin, f"SELECT {schema}.double_it(21) AS v, {schema}.shout('hi'), "
                   f"{schema}.double_it({schema}.double_it(:n)) AS nested",
            parameters=[StatementParameterListItem(name="n", value="5", type="INT")])
    assert r.status.state == StatementState.SUCCEEDED, r.status
    assert r.result.data_array == [["42", "HI!", "20"]]
    cols = r.manifest.schema.columns
    assert cols[1].name == f"{schema}.shout('hi')" and cols[0].type_text == "BIGINT"
    r = run(admin, f"SELECT order_id, {schema}.double_it(CAST(total AS INT)) FROM main.sales.orders "
                   "ORDER BY order_id LIMIT 3")
    assert len(r.result.data_array) == 3
    short = schema.split(".")[1]
    r = run(admin, "SELECT double_it(x => 4)", catalog="main", schema=short)
    assert r.result.data_array == [["8"]], r.status


def test_table_function_calls(admin, schema):
    r = run(admin, f"SELECT * FROM {schema}.status_counts('APAC') ORDER BY n DESC")
    assert r.status.state == StatementState.SUCCEEDED, r.status
    assert [c.name for c in r.manifest.schema.columns] == ["status", "n"]
    direct = admin.statement_execution.execute_statement(
        statement="SELECT count(*) FROM main.sales.orders WHERE region = 'APAC'",
        warehouse_id=WAREHOUSE_ID).result.data_array[0][0]
    assert sum(int(row[1]) for row in r.result.data_array) == int(direct)
    r = run(admin, f"SELECT s.status FROM {schema}.status_counts() AS s WHERE s.n > 0")
    assert r.status.state == StatementState.SUCCEEDED and r.result.data_array
    r = run(admin, "SELECT * FROM main.sales.get_order_status(:id)",
            parameters=[StatementParameterListItem(name="id", value="SO-10042")])
    assert [c.name for c in r.manifest.schema.columns] == ["status", "order_date", "ship_date", "carrier",
                                                           "total"]
    assert r.manifest.schema.columns[1].type_text == "DATE" and len(r.result.data_array) == 1


def test_function_misuse_fails_the_statement(admin, schema):
    r = run(admin, f"SELECT {schema}.status_counts('EMEA')")
    assert r.status.state == StatementState.FAILED and "NOT_A_SCALAR_FUNCTION" in r.status.error.message
    r = run(admin, f"SELECT * FROM {schema}.double_it(1)")
    assert r.status.state == StatementState.FAILED and "NOT_A_TABLE_FUNCTION" in r.status.error.message
    r = run(admin, f"SELECT {schema}.double_it()")
    assert r.status.state == StatementState.FAILED and "'x'" in r.status.error.message
    r = run(admin, "SELECT main.sales.convert_currency(1, 'USD', 'XYZ')")
    assert r.status.state == StatementState.FAILED and "unsupported currency" in r.status.error.message


def test_execute_enforced_in_statements(emulator, admin, alice, schema):
    r = run(alice, f"SELECT {schema}.double_it(1)")
    assert r.status.state == StatementState.FAILED and "EXECUTE" in r.status.error.message
    admin.grants.update("schema", schema, changes=[PermissionsChange(
        principal="alice@example.com", add=[Privilege.USE_SCHEMA])])
    admin.grants.update("function", f"{schema}.double_it", changes=[PermissionsChange(
        principal="alice@example.com", add=[Privilege.EXECUTE])])
    r = run(alice, f"SELECT {schema}.double_it(1)")
    assert r.status.state == StatementState.SUCCEEDED and r.result.data_array == [["2"]]
    r = run(alice, f"SELECT {schema}.shout('x')")  # no EXECUTE on this one
    assert r.status.state == StatementState.FAILED
    r = run(alice, "DELETE FROM main.sales.orders")
    assert r.status.state == StatementState.FAILED and "INSUFFICIENT_PERMISSIONS" in r.status.error.message


def test_scopes_on_narrowed_tokens(emulator):
    fn_token = emulator.token_for("admin@example.com", scopes=["mcp.functions"])
    r = _post(emulator, fn_token, {"statement": "SELECT main.sales.convert_currency(1, 'USD', 'USD')",
                                   "warehouse_id": WAREHOUSE_ID})
    assert r.status_code == 200 and r.json()["status"]["state"] == "SUCCEEDED"
    r = _post(emulator, fn_token, {"statement": "SELECT 1", "warehouse_id": WAREHOUSE_ID})
    assert r.status_code == 403 and "sql" in r.json()["message"]
    sql_token = emulator.token_for("alice@example.com", scopes=["sql"])
    r = _post(emulator, sql_token, {"statement": "SELECT 1", "warehouse_id": WAREHOUSE_ID})
    assert r.status_code == 200
    r = _post(emulator, emulator.token_for("alice@example.com", scopes=["genie"]),
              {"statement": "SELECT 1", "warehouse_id": WAREHOUSE_ID})
    assert r.status_code == 403
    with httpx.Client(base_url=emulator.host) as c:
        assert c.post("/api/2.0/sql/statements", json={"statement": "SELECT 1"}).status_code == 401


def test_warehouses(admin, alice):
    whs = list(alice.warehouses.list())
    assert [w.id for w in whs] == [WAREHOUSE_ID]
    w = admin.warehouses.get(WAREHOUSE_ID)
    assert w.state.value == "RUNNING" and w.name
    with pytest.raises(NotFound):
        admin.warehouses.get("nope")


def test_python_functions_over_many_rows_share_one_interpreter(admin, schema, monkeypatch):
    from agent_lib.emulator.catalog import functions

    # the interpreter's process id, as each row's call sees it: one id = one interpreter started
    admin.functions.create(make_function(schema, "interpreter", "import os\nreturn str(os.getpid())",
                                         params=[("s", "STRING")], python=True))
    r = run(admin, f"SELECT order_id, {schema}.shout(order_id), {schema}.interpreter(order_id) "
                   "FROM main.sales.orders ORDER BY order_id LIMIT 300")
    assert r.status.state == StatementState.SUCCEEDED and len(r.result.data_array) == 300
    assert all(row[1] == row[0].upper() + "!" for row in r.result.data_array)
    assert len({row[2] for row in r.result.data_array}) == 1
    # a runaway body inside a statement is stopped and fails the statement
    admin.functions.create(make_function(schema, "spin", "while True:\n    pass", python=True))
    monkeypatch.setattr(functions, "DEFAULT_TIMEOUT_S", 0.5)
    r = run(admin, f"SELECT {schema}.shout('a'), {schema}.spin()")
    assert r.status.state == StatementState.FAILED
    assert "timed out after 0.5 s" in r.status.error.message and f"{schema}.spin" in r.status.error.message
