"""The bundle's catalog, schema, model, engine and authorization variables do what they say.

They reach every notebook as job parameters (`catalog_name`, `schema_name`, `model`, `engine`,
`authorization`; tests/test_bundle.py checks each notebook declares them) and change how the
notebook reads agent.yml (`NotebookParams.spec_overrides()`); empty keeps the spec's. Here: a UC
function moved by catalog/schema is created there by notebook 01's library and called there, and
an authorization override reaches the grants plan and the deployed App's own agent.yml.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from agent_lib.bundle import load_bundle
from agent_lib.deploy import DeployParams, source_files
from agent_lib.emulator.core.demo_ids import WAREHOUSE_ID
from agent_lib.errors import ParamsError, SpecError
from agent_lib.grants import GrantParams, plan_grants
from agent_lib.params import NotebookParams
from agent_lib.setup import CREATED, DefinitionError, read_definition, setup_tools
from agent_lib.spec import load_spec

ROOT = Path(__file__).resolve().parents[2]


def test_bundle_variables_become_the_job_parameters_that_shape_the_spec():
    job = load_bundle(ROOT, overrides={"catalog": "dev", "schema": "agent", "authorization": "app",
                                       "model": "databricks-meta-llama", "engine": "hosted"}).job()
    shaping = {k: job.parameters[k] for k in NotebookParams().spec_overrides()}
    assert shaping == {"engine": "hosted", "model": "databricks-meta-llama", "authorization": "app",
                       "catalog_name": "dev", "schema_name": "agent"}
    defaults = load_bundle(ROOT, environ={}).job().parameters
    assert all(defaults[k] == "" for k in shaping)  # empty by default: agent.yml decides


def test_catalog_and_schema_move_every_uc_function_tool_and_nothing_else():
    spec = load_spec(ROOT / "agent.yml")
    moved = load_spec(ROOT / "agent.yml", overrides=NotebookParams(catalog_name="dev").spec_overrides())
    for before, after in zip(spec.tools, moved.tools, strict=True):
        if before.type == "uc_function":
            assert after.ref == "dev." + before.ref.split(".", 1)[1]
        else:
            assert after == before
    both = load_spec(ROOT / "agent.yml", overrides={"catalog_name": "dev", "schema_name": "agent"})
    assert {t.ref for t in both.tools if t.type == "uc_function"} == {
        "dev.agent.get_order_status", "dev.agent.convert_currency", "dev.agent.days_until_sla_breach"}
    with pytest.raises(SpecError, match="not a three-part Unity Catalog name"):
        load_spec(ROOT / "agent.yml", overrides={"catalog_name": "a.b"})


def test_a_definition_is_created_where_the_spec_names_it_and_must_name_the_same_function(tmp_path):
    path = tmp_path / "f.sql"
    path.write_text("CREATE OR REPLACE FUNCTION main.sales.f(x STRING) RETURNS STRING RETURN upper(x)")
    info = read_definition(path, "dev.agent.f", "uc_function definition f.sql")
    assert (info["catalog_name"], info["schema_name"], info["name"]) == ("dev", "agent", "f")
    with pytest.raises(DefinitionError, match="defines main.sales.f, but the spec names dev.sales.g"):
        read_definition(path, "dev.sales.g", "uc_function definition f.sql")


def test_setup_creates_the_functions_where_catalog_and_schema_put_them_and_they_answer(workspace):
    admin = workspace.client()
    admin.catalogs.create(name="dev")
    admin.schemas.create(name="agent", catalog_name="dev")
    params = NotebookParams(catalog_name="dev", schema_name="agent")
    spec = load_spec(ROOT / "agent.yml", overrides=params.spec_overrides())
    report = setup_tools(admin, spec, spec_dir=ROOT)
    created = {r.resource.split()[1] for r in report.rows if r.status == CREATED}
    assert created == {"dev.agent.get_order_status", "dev.agent.convert_currency",
                       "dev.agent.days_until_sla_breach"}, str(report)
    report.raise_for_problems()
    answer = admin.statement_execution.execute_statement(
        "SELECT dev.agent.convert_currency(100.0, 'USD', 'EUR')", WAREHOUSE_ID, wait_timeout="20s")
    assert answer.result.data_array == admin.statement_execution.execute_statement(
        "SELECT main.sales.convert_currency(100.0, 'USD', 'EUR')", WAREHOUSE_ID,
        wait_timeout="20s").result.data_array
    assert setup_tools(admin, spec, spec_dir=ROOT).changes == 0  # idempotent there too


def test_authorization_reaches_the_grants_plan_and_the_app_gets_the_spec_as_overridden(workspace, tmp_path):
    data = yaml.safe_load((ROOT / "agent.yml").read_text())
    data["tools"] = [t for t in data["tools"] if "app" not in t]  # no app tool on behalf of a user
    spec_path = tmp_path / "agent.yml"
    spec_path.write_text(yaml.safe_dump(data))
    params = GrantParams(spec_path=str(spec_path), authorization="user")
    spec = load_spec(spec_path, overrides=params.spec_overrides())
    plan = plan_grants(workspace.client(), spec)
    assert spec.authorization == "user" and plan.scopes, "user authorization plans user_api_scopes"
    as_is = load_spec(spec_path, overrides=GrantParams(spec_path=str(spec_path)).spec_overrides())
    assert as_is.authorization == "app" and not plan_grants(workspace.client(), as_is).scopes

    deploy = DeployParams(spec_path=str(spec_path), authorization="user", catalog_name="dev").options()
    shipped = yaml.safe_load(source_files(deploy.spec_path, ROOT / "app", deploy.spec_overrides)["agent.yml"])
    assert shipped["authorization"] == "user"
    assert {t["uc_function"]["name"].split(".")[0] for t in shipped["tools"] if "uc_function" in t} == {"dev"}
    unchanged = source_files(spec_path, ROOT / "app", DeployParams(spec_path=str(spec_path)).spec_overrides())
    assert unchanged["agent.yml"] == spec_path.read_bytes()  # no override: the user's file, comments and all


def test_a_bad_authorization_names_the_parameter_and_the_choices():
    with pytest.raises(ParamsError, match="'authorization' = 'admin'.*'app'.*'user'"):
        NotebookParams(authorization="admin")
