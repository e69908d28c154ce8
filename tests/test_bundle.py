"""The bundle: typed resources (`databricks-bundles`), our structural rules, and variable resolution.

Nothing here reads outside the repository (a user's fresh clone has nothing beside it). The
Databricks CLI's JSON schema is an extra check that runs only when AGENT_LIB_BUNDLE_SCHEMA names
the schema file (`.ci/run` sets it where `../shared/schemas/` exists) and says so when it cannot.
"""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import tomllib
from pathlib import Path

import papermill
import pytest
import yaml

from agent_lib.bundle import MODES, load_bundle, parse_var_flags
from agent_lib.errors import BundleError

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = Path(__file__).parent / "fixtures" / "bundle"
SCHEMA_ENV = "AGENT_LIB_BUNDLE_SCHEMA"
BUNDLES = [ROOT, FIXTURE]


def _files(root: Path) -> list[Path]:
    return load_bundle(root).files()


def _typed(kind: str):
    """The `databricks-bundles` class that types one resource kind (jobs, apps, experiments)."""
    from databricks.bundles.apps import App
    from databricks.bundles.experiments import MlflowExperiment
    from databricks.bundles.jobs import Job

    return {"jobs": Job, "apps": App, "experiments": MlflowExperiment}[kind]


@pytest.mark.parametrize("path", _files(ROOT) + _files(FIXTURE), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_resource_is_a_valid_typed_resource(path):
    resources = (yaml.safe_load(path.read_text()) or {}).get("resources") or {}
    for kind, items in resources.items():
        for spec in items.values():
            _typed(kind).from_dict(spec)  # raises on unknown fields and wrong shapes, naming them


def test_typed_validation_rejects_unknown_fields():
    with pytest.raises(ValueError, match="bogus"):
        _typed("jobs").from_dict({"name": "j", "tasks": [{"task_key": "t", "bogus": 1}]})


@pytest.mark.parametrize("root", BUNDLES, ids=["project", "fixture"])
@pytest.mark.parametrize("target", ["dev", "prod"])
def test_structural_rules_hold(root, target):
    assert load_bundle(root, target=target).problems() == []


@pytest.mark.parametrize("root", BUNDLES, ids=["project", "fixture"])
def test_every_parameter_a_notebook_receives_is_one_it_declares(root):
    job = load_bundle(root).job()
    for task in job.tasks:
        declared = papermill.inspect_notebook(str(task.notebook))
        missing = sorted(set(job.parameters) - set(declared))
        assert not missing, f"{task.notebook.name} does not declare job parameters {missing}"
        missing = sorted(set(task.parameters) - set(declared))
        assert not missing, f"{task.notebook.name} does not declare its base_parameters {missing}"


def test_targets_follow_the_conventions():
    bundle = load_bundle(ROOT)
    targets = bundle.raw["targets"]
    assert {t["mode"] for t in targets.values()} <= set(MODES)
    assert targets["dev"] == {"mode": "development", "default": True}
    prod = targets["prod"]
    assert prod["mode"] == "production" and prod["workspace"]["root_path"].startswith("/Workspace/")
    assert prod["permissions"] and "service_principal_name" in prod["run_as"]


def test_the_job_is_scheduled_paused_and_its_notebooks_install_the_bundle_wheel():
    bundle = load_bundle(ROOT)
    spec = bundle.resources("jobs")["agent_pipeline"]
    assert spec["schedule"]["pause_status"] == "PAUSED"
    artifact = bundle.document["artifacts"]["agent_lib_wheel"]
    assert artifact["type"] == "whl" and "--wheel" in artifact["build"]
    assert "dist/*.whl" in bundle.document["sync"]["include"]
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    wheel = f"../dist/agent_lib-{version}-py3-none-any.whl"
    for task in bundle.job().tasks:
        nb = json.loads(task.notebook.read_text())
        env = nb["metadata"]["application/vnd.databricks.v1+notebook"]["environmentMetadata"]
        assert wheel in env["dependencies"], f"{task.notebook.name}: serverless environment should install {wheel}"
        assert task.notebook.name.endswith(".ipynb")


def test_resource_files_are_named_by_kind_and_open_with_a_comment():
    for path in (ROOT / "resources").glob("*.yml"):
        assert re.fullmatch(r"[a-z0-9_]+\.(job|app|experiment)\.yml", path.name), path.name
        assert path.read_text().startswith("# "), f"{path.name} should open with a one-line comment"


# --- variables, as the Databricks CLI resolves them ------------------------------------------------

def test_variable_precedence_default_target_environment_flag():
    assert load_bundle(FIXTURE, environ={}).job().parameters["engine"] == ""
    assert load_bundle(FIXTURE, target="prod", environ={}).job().parameters["engine"] == "hosted"
    env = {"BUNDLE_VAR_engine": "client"}
    assert load_bundle(FIXTURE, target="prod", environ=env).job().parameters["engine"] == "client"
    flags = parse_var_flags(["engine=hosted,dry_run=true"])
    bundle = load_bundle(FIXTURE, overrides=flags, environ=env)
    assert bundle.job().parameters["engine"] == "hosted"
    assert bundle.job().task("find_folder").parameters == {"dry_run": "true"}


def test_bad_variables_and_targets_are_named():
    with pytest.raises(BundleError, match="--var colour: no such variable"):
        load_bundle(FIXTURE, overrides={"colour": "red"})
    with pytest.raises(BundleError, match="expected name=value"):
        parse_var_flags(["engine"])
    with pytest.raises(BundleError, match="no target 'staging'.*dev, prod"):
        load_bundle(FIXTURE, target="staging")


def test_tasks_are_selected_by_key_name_or_number():
    job = load_bundle(FIXTURE).job()
    assert [t.key for t in job.tasks] == ["make_folder", "find_folder", "report"]
    assert [t.key for t in job.select(start="02")] == ["find_folder", "report"]
    assert [t.key for t in job.select(only=["03", "make_folder"])] == ["make_folder", "report"]
    assert [t.key for t in job.select(only=["02_find_folder"], start="find_folder")] == ["find_folder"]


# --- the rules catch what they are for ----------------------------------------------------------

@pytest.fixture
def broken(tmp_path):
    """A copy of the fixture bundle to break one rule at a time."""
    root = tmp_path / "bundle"
    shutil.copytree(FIXTURE, root)

    def edit(name: str, change) -> Path:
        path = root / name
        doc = yaml.safe_load(path.read_text())
        change(doc)
        path.write_text(yaml.safe_dump(doc, sort_keys=False))
        return root

    return edit


def _tasks(doc):
    return doc["resources"]["jobs"]["fixture_job"]["tasks"]


def test_a_depends_on_cycle_is_reported(broken):
    root = broken("resources/fixture.job.yml",
                  lambda d: _tasks(d)[1].update(depends_on=[{"task_key": "report"}]))
    assert any("cycle" in p for p in load_bundle(root).problems())


def test_an_unknown_dependency_and_a_missing_notebook_are_reported(broken):
    def change(d):
        _tasks(d)[0]["depends_on"] = [{"task_key": "nope"}]
    problems = load_bundle(broken("resources/fixture.job.yml", change)).problems()
    assert any("depends_on names 'nope'" in p for p in problems)

    def missing(d):
        _tasks(d)[0]["depends_on"] = [{"task_key": "find_folder"}]
        _tasks(d)[1]["notebook_task"]["notebook_path"] = "../notebooks/01_gone.ipynb"
    problems = load_bundle(broken("resources/fixture.job.yml", missing)).problems()
    assert any("01_gone.ipynb does not exist" in p for p in problems)


def test_unused_variables_bad_modes_and_a_prod_without_root_path_are_reported(broken):
    def change(d):
        d["variables"]["unused"] = {"description": "nobody reads it", "default": "x"}
        d["targets"]["dev"]["mode"] = "develop"
        del d["targets"]["prod"]["workspace"]
    problems = load_bundle(broken("databricks.yml", change)).problems()
    assert any("variable 'unused' is declared but never used" in p for p in problems)
    assert any("targets.dev.mode is 'develop'" in p for p in problems)
    assert any("targets.prod is a production target without workspace.root_path" in p for p in problems)


# --- the CLI's JSON schema: an extra, where a schema file is handed in --------------------------

@functools.cache
def _schema_validator():
    import jsonschema

    # Python's `re` has no \p{L} / \p{N}: rewrite them to equivalent classes before compiling.
    text = Path(os.environ[SCHEMA_ENV]).read_text()
    text = text.replace(r"[\\p{L}\\p{N}]", r"[^\\W_]").replace(r"\\p{L}", r"[^\\W\\d_]")
    return jsonschema.Draft7Validator(json.loads(text))


def _need_schema():
    path = os.environ.get(SCHEMA_ENV)
    if not path:
        pytest.skip(f"the Databricks CLI JSON-schema check did not run: set {SCHEMA_ENV} to the schema "
                    "file (`databricks bundle schema > schema.json`); .ci/run sets it where "
                    "../shared/schemas/databricks-bundle.schema.json exists")
    if not Path(path).is_file():
        pytest.fail(f"{SCHEMA_ENV}={path} names no file")


@pytest.mark.parametrize("path", _files(ROOT) + _files(FIXTURE), ids=lambda p: str(p.relative_to(ROOT)))
def test_bundle_file_matches_the_cli_schema(path):
    _need_schema()
    doc = yaml.safe_load(path.read_text())
    errors = sorted(_schema_validator().iter_errors(doc), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{'/'.join(map(str, e.path))}: {e.message}" for e in errors)


def test_schema_rewrite_still_rejects_unknown_keys():
    _need_schema()
    bad = {"bundle": {"name": "x"}, "resources": {"experiments": {"e": {"name": "n", "bogus": 1}}}}
    assert any("bogus" in e.message for e in _schema_validator().iter_errors(bad))
