"""UC functions: CRUD and validation through the SDK and raw HTTP, and running them
(`execute_function`, the Python API other services call) with SQL and Python bodies."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from databricks.sdk.errors import NotFound, PermissionDenied, ResourceAlreadyExists
from databricks.sdk.service.catalog import (
    ColumnTypeName,
    CreateFunction,
    CreateFunctionParameterStyle,
    CreateFunctionRoutineBody,
    CreateFunctionSecurityType,
    CreateFunctionSqlDataAccess,
    FunctionParameterInfo,
    FunctionParameterInfos,
)

from agent_lib.emulator.catalog import functions as fx
from agent_lib.emulator.catalog.functions import FunctionResult, execute_function
from agent_lib.emulator.core.errors import ApiError

TYPES = {"STRING": ColumnTypeName.STRING, "DOUBLE": ColumnTypeName.DOUBLE, "LONG": ColumnTypeName.LONG,
         "INT": ColumnTypeName.INT, "BOOLEAN": ColumnTypeName.BOOLEAN, "DATE": ColumnTypeName.DATE}


def _params(spec: list[tuple[str, str] | tuple[str, str, str]]) -> FunctionParameterInfos:
    out = []
    for i, p in enumerate(spec):
        out.append(FunctionParameterInfo(name=p[0], type_name=TYPES[p[1]], type_text=p[1].lower(),
                                         position=i, parameter_default=p[2] if len(p) > 2 else None))
    return FunctionParameterInfos(parameters=out)


def make_function(schema: str, name: str, body: str, *, params: list[Any] = (),
                  returns: str = "STRING", python: bool = False,
                  table: list[tuple[str, str]] | None = None) -> CreateFunction:
    catalog, sch = schema.split(".")
    return CreateFunction(
        name=name, catalog_name=catalog, schema_name=sch, input_params=_params(list(params)),
        data_type=ColumnTypeName.TABLE_TYPE if table else TYPES[returns],
        full_data_type="TABLE" if table else returns,
        return_params=_params(table) if table else None,
        routine_body=CreateFunctionRoutineBody.EXTERNAL if python else CreateFunctionRoutineBody.SQL,
        external_language="Python" if python else None, routine_definition=body,
        parameter_style=CreateFunctionParameterStyle.S, is_deterministic=True,
        sql_data_access=CreateFunctionSqlDataAccess.NO_SQL if python
        else CreateFunctionSqlDataAccess.READS_SQL_DATA,
        is_null_call=False, security_type=CreateFunctionSecurityType.DEFINER, specific_name=name,
        comment=f"test function {name}")


@pytest.fixture(scope="module")
def schema(admin) -> str:
    """A fresh schema of main for this module's functions."""
    name = "fn_" + uuid.uuid4().hex[:8]
    admin.schemas.create(name=name, catalog_name="main")
    return f"main.{name}"


@pytest.fixture(scope="module")
def admin_principal(emulator):
    return emulator.state.identities.resolve(emulator.token)


@pytest.fixture(scope="module")
def fns(admin, schema) -> dict[str, str]:
    """A few functions with SQL and Python bodies, created through the SDK."""
    specs = {
        "add_tax": make_function(schema, "add_tax", "round(amount * (1 + rate), 2)",
                                 params=[("amount", "DOUBLE"), ("rate", "DOUBLE", "0.2")],
                                 returns="DOUBLE"),
        "orders_of": make_function(
            schema, "orders_of",
            "SELECT o.order_id, o.status FROM main.sales.orders o "
            "WHERE o.customer_id = customer_id AND o.status = orders_of.status ORDER BY o.order_id",
            params=[("customer_id", "STRING"), ("status", "STRING", "'delivered'")],
            table=[("order_id", "STRING"), ("status", "STRING")]),
        "greet": make_function(schema, "greet",
                               "return f'hello {who}, ' + str(n * 2) + (' !' if loud else '')",
                               params=[("who", "STRING"), ("n", "LONG"), ("loud", "BOOLEAN", "false")],
                               python=True),
        "weekday": make_function(schema, "weekday", "return day.strftime('%A')",
                                 params=[("day", "DATE")], python=True),
        "boom": make_function(schema, "boom", "x = {}\nreturn x['missing']", params=[("a", "STRING")],
                              python=True),
        "spin": make_function(schema, "spin", "while True:\n    pass", python=True),
        "wrong_type": make_function(schema, "wrong_type", "return 'not a number'", returns="DOUBLE",
                                    python=True),
        "noisy": make_function(schema, "noisy", "print('chatter on stdout')\nreturn 7", returns="LONG",
                               python=True),
        "quoted": make_function(schema, "quoted", "SELECT 'it''s ' || who || ' (who)'",
                                params=[("who", "STRING")]),
    }
    return {k: admin.functions.create(v).full_name for k, v in specs.items()}


def _http(emulator, token: str | None = None) -> httpx.Client:
    return httpx.Client(base_url=emulator.host,
                        headers={"Authorization": f"Bearer {token or emulator.token}"})


# -- CRUD -------------------------------------------------------------------------------------

def test_create_returns_function_info(admin, schema, fns):
    f = admin.functions.get(fns["add_tax"])
    assert f.full_name == f"{schema}.add_tax"
    assert f.owner == "admin@example.com" and f.created_at and f.function_id
    assert f.data_type == ColumnTypeName.DOUBLE
    assert [p.name for p in f.input_params.parameters] == ["amount", "rate"]
    assert f.input_params.parameters[1].parameter_default == "0.2"
    assert f.routine_body.value == "SQL"


def test_list_and_delete(admin, schema):
    admin.functions.create(make_function(schema, "temp_fn", "1", returns="LONG"))
    assert f"{schema}.temp_fn" in [f.full_name for f in admin.functions.list(*schema.split("."))]
    admin.functions.delete(f"{schema}.temp_fn")
    with pytest.raises(NotFound):
        admin.functions.get(f"{schema}.temp_fn")
    assert f"{schema}.temp_fn" not in [f.full_name for f in admin.functions.list(*schema.split("."))]


def test_duplicate_is_409_and_missing_schema_404(admin, schema, fns):
    with pytest.raises(ResourceAlreadyExists):
        admin.functions.create(make_function(schema, "add_tax", "1", returns="LONG"))
    with pytest.raises(NotFound, match="nope"):
        admin.functions.create(make_function("main.nope", "f", "1", returns="LONG"))


def test_demo_functions_exist_with_comments(admin):
    for name in ("main.sales.get_order_status", "main.sales.convert_currency",
                 "main.support.days_until_sla_breach"):
        f = admin.functions.get(name)
        assert len(f.comment) > 40
        assert all(p.comment for p in f.input_params.parameters)


@pytest.mark.parametrize("field", [
    "name", "catalog_name", "schema_name", "input_params", "data_type", "full_data_type",
    "routine_body", "routine_definition", "parameter_style", "is_deterministic", "sql_data_access",
    "is_null_call", "security_type", "specific_name"])
def test_missing_required_field_named(emulator, schema, field):
    info = make_function(schema, "v_" + field, "1", returns="LONG").as_dict()
    info.pop(field, None)
    with _http(emulator) as c:
        r = c.post("/api/2.1/unity-catalog/functions", json={"function_info": info})
    assert r.status_code == 400, r.text
    assert r.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    assert field in r.json()["message"]


@pytest.mark.parametrize("change,needle", [
    ({"routine_body": "JAVA"}, "routine_body"),
    ({"data_type": "NUMBER"}, "data_type"),
    ({"security_type": "INVOKER"}, "security_type"),
    ({"sql_data_access": "WRITES"}, "sql_data_access"),
    ({"is_deterministic": "yes"}, "is_deterministic"),
    ({"input_params": {"parameters": [{"name": "a", "type_text": "int", "position": 0}]}}, "type_name"),
    ({"input_params": {"parameters": [{"name": "a", "type_text": "x", "type_name": "FOO", "position": 0}]}},
     "type_name"),
    ({"routine_body": "EXTERNAL"}, "external_language"),
    ({"routine_body": "EXTERNAL", "external_language": "Python", "routine_definition": "return ("},
     "routine_definition"),
    ({"data_type": "TABLE_TYPE"}, "return_params"),
    ({"name": "bad.name"}, "name"),
])
def test_invalid_values_named(emulator, schema, change, needle):
    info = make_function(schema, "invalid_fn", "1", returns="LONG").as_dict()
    info.update(change)
    with _http(emulator) as c:
        r = c.post("/api/2.1/unity-catalog/functions", json={"function_info": info})
    assert r.status_code == 400, r.text
    assert needle in r.json()["message"]


def test_body_without_wrapper_is_400(emulator, schema):
    info = make_function(schema, "unwrapped", "1", returns="LONG").as_dict()
    with _http(emulator) as c:
        r = c.post("/api/2.1/unity-catalog/functions", json=info)
    assert r.status_code == 400 and "function_info" in r.json()["message"]


def test_create_needs_create_function(emulator, alice, schema):
    with pytest.raises(PermissionDenied):
        alice.functions.create(make_function(schema, "alice_fn", "1", returns="LONG"))
    with _http(emulator, emulator.token_for("alice@example.com")) as c:
        r = c.get(f"/api/2.1/unity-catalog/functions/{schema}.add_tax")
    assert r.status_code == 403


# -- execute_function -------------------------------------------------------------------------

def test_sql_scalar_with_default_and_coercion(emulator, admin_principal, fns):
    r = execute_function(emulator.state, admin_principal, fns["add_tax"], {"amount": "100"})
    assert isinstance(r, FunctionResult) and not r.is_table
    assert r.value == 120.0
    assert execute_function(emulator.state, admin_principal, fns["add_tax"],
                            {"amount": 10, "rate": 0.5}).as_dict() == {"value": 15.0}


def test_sql_table_function(emulator, admin_principal, fns):
    customer = emulator.state.warehouse.execute(
        "SELECT customer_id FROM main.sales.orders WHERE status = 'delivered' LIMIT 1").rows[0][0]
    r = execute_function(emulator.state, admin_principal, fns["orders_of"], {"customer_id": customer})
    assert r.is_table and [c.name for c in r.columns] == ["order_id", "status"]
    assert r.rows and all(row[1] == "delivered" for row in r.rows)
    assert r.as_dict()["columns"] == ["order_id", "status"]


def test_sql_body_literals_are_not_parameters(emulator, admin_principal, fns):
    r = execute_function(emulator.state, admin_principal, fns["quoted"], {"who": "Bo"})
    assert r.value == "it's Bo (who)"


def test_python_body_types_and_defaults(emulator, admin_principal, fns):
    r = execute_function(emulator.state, admin_principal, fns["greet"], {"who": "ann", "n": "21"})
    assert r.value == "hello ann, 42"
    r = execute_function(emulator.state, admin_principal, fns["greet"],
                         {"who": "ann", "n": 1, "loud": "true"})
    assert r.value == "hello ann, 2 !"
    assert execute_function(emulator.state, admin_principal, fns["weekday"],
                            {"day": "2025-12-25"}).value == "Thursday"
    assert execute_function(emulator.state, admin_principal, fns["noisy"], {}).value == 7


@pytest.mark.parametrize("args,needle", [
    ({}, "Missing required parameter 'who'"),
    ({"who": "a", "n": "many"}, "parameter 'n'"),
    ({"who": "a", "n": 1, "loud": "maybe"}, "parameter 'loud'"),
    ({"who": "a", "n": 1, "colour": "red"}, "no parameter 'colour'"),
])
def test_argument_errors_name_the_parameter(emulator, admin_principal, fns, args, needle):
    with pytest.raises(ApiError) as exc:
        execute_function(emulator.state, admin_principal, fns["greet"], args)
    assert exc.value.status == 400 and needle in exc.value.message


def test_python_errors_are_clear(emulator, admin_principal, fns):
    with pytest.raises(fx.FunctionExecutionError) as exc:
        execute_function(emulator.state, admin_principal, fns["boom"], {"a": "x"})
    assert "KeyError" in exc.value.message and fns["boom"] in exc.value.message
    assert "line 2" in exc.value.message
    with pytest.raises(fx.FunctionExecutionError, match="not a DOUBLE"):
        execute_function(emulator.state, admin_principal, fns["wrong_type"], {})


@pytest.mark.timeout(60)  # a runaway body that is not killed hangs here; the run fails instead
def test_python_timeout_kills_runaway_body(emulator, admin_principal, fns):
    with pytest.raises(fx.FunctionExecutionError) as exc:
        execute_function(emulator.state, admin_principal, fns["spin"], {}, timeout=0.5)
    assert exc.value.reason == "timeout"
    assert fns["spin"] in exc.value.message and "0.5 s" in exc.value.message


def test_python_body_has_no_environment(emulator, admin_principal, admin, schema, monkeypatch):
    monkeypatch.setenv("DATABRICKS_TOKEN", "dapi-secret-in-env")
    name = admin.functions.create(make_function(
        schema, "env_probe", "import os\nreturn os.environ.get('DATABRICKS_TOKEN', 'absent')",
        python=True)).full_name
    assert execute_function(emulator.state, admin_principal, name, {}).value == "absent"


def test_execute_enforces_execute(emulator, fns):
    alice = emulator.state.identities.resolve(emulator.token_for("alice@example.com"))
    with pytest.raises(ApiError) as exc:
        execute_function(emulator.state, alice, fns["add_tax"], {"amount": 1})
    assert exc.value.status == 403 and "EXECUTE" in exc.value.message
    with pytest.raises(ApiError) as exc:
        execute_function(emulator.state, alice, "main.sales.no_such_fn", {})
    assert exc.value.status == 404


def test_demo_functions(emulator, admin_principal):
    state = emulator.state
    r = execute_function(state, admin_principal, "main.sales.get_order_status", {"order_id": " so-10042 "})
    assert [c.name for c in r.columns] == ["status", "order_date", "ship_date", "carrier", "total"]
    expected = state.warehouse.execute(
        "SELECT status, order_date, total FROM main.sales.orders WHERE order_id = 'SO-10042'").rows[0]
    assert (r.rows[0][0], r.rows[0][1], r.rows[0][4]) == expected
    assert execute_function(state, admin_principal, "main.sales.get_order_status",
                            {"order_id": "SO-0"}).rows == ()
    assert execute_function(state, admin_principal, "main.sales.convert_currency",
                            {"amount": 100, "from_currency": "usd", "to_currency": "EUR"}).value == 92.0
    with pytest.raises(fx.FunctionExecutionError, match="unsupported currency 'XYZ'"):
        execute_function(state, admin_principal, "main.sales.convert_currency",
                         {"amount": 1, "from_currency": "XYZ", "to_currency": "USD"})
    sla = "main.support.days_until_sla_breach"
    assert execute_function(state, admin_principal, sla,
                            {"priority": "P2", "opened_date": "2025-12-27T10:02:00Z"}).value == -1
    assert execute_function(state, admin_principal, sla, {"priority": "p4", "opened_date": "2025-12-30",
                                                          "as_of_date": "2025-12-31"}).value == 9


def test_sql_bodies_calling_functions(emulator, admin, admin_principal, schema, fns):
    quad = admin.functions.create(make_function(
        schema, "tax_twice", f"{fns['add_tax']}({schema}.add_tax(amount))",
        params=[("amount", "DOUBLE")], returns="DOUBLE")).full_name
    assert execute_function(emulator.state, admin_principal, quad, {"amount": 100}).value == 144.0
    loop = admin.functions.create(make_function(schema, "loop", f"{schema}.loop(x)",
                                                params=[("x", "LONG")], returns="LONG")).full_name
    with pytest.raises(fx.FunctionExecutionError, match="levels deep"):
        execute_function(emulator.state, admin_principal, loop, {"x": 1})
