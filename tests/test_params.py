"""agent_lib.params: notebook values, Databricks widgets, coercion, errors and the parameters cell."""

from __future__ import annotations

import ast
import enum

import nbformat
import pytest
from pydantic import SecretStr, ValidationError

from agent_lib import params as params_module
from agent_lib.errors import ParamsError
from agent_lib.params import NotebookParams, Params, parameters_cell_source, resolve


class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


class PrototypeParams(NotebookParams):
    """Notebook 03's parameters: the shared ones plus its own."""

    questions: list[str]
    """Questions asked in turn when the notebook runs headless."""
    max_turns: int = 6
    """Most tool-calling turns per question."""
    interactive: bool = False
    """Show the ipywidgets chat (never under papermill)."""
    temperature: float = 0.0
    """Sampling temperature of the model."""
    judge_model: str | None = None
    """Judge model endpoint; none skips LLM judges."""
    seed: int | None = None
    """Random seed; none for no seed."""
    tags: dict[str, str] = {}
    """Tags added to the MLflow run."""
    color: Color = Color.RED
    """Colour of the chat page."""


class FakeWidgets:
    """Stands in for ``dbutils.widgets``: records declarations; job values win over declared defaults."""

    def __init__(self, job_values: dict[str, str] | None = None, undefined: tuple[str, ...] = ()) -> None:
        self.job_values = dict(job_values or {})
        self.undefined = set(undefined)
        self.calls: list[tuple] = []
        self.declared: dict[str, str] = {}

    def text(self, name: str, default: str, label: str | None = None) -> None:
        self.calls.append(("text", name, default, label))
        self.declared[name] = default

    def dropdown(self, name: str, default: str, choices: list[str], label: str | None = None) -> None:
        assert default in choices, "Databricks rejects a dropdown whose default is not a choice"
        self.calls.append(("dropdown", name, default, list(choices), label))
        self.declared[name] = default

    def get(self, name: str) -> str:
        self.calls.append(("get", name))
        if name in self.undefined:
            raise RuntimeError(f"InputWidgetNotDefined: No input widget named {name} is defined")
        return self.job_values.get(name, self.declared[name])


class FakeDbutils:
    def __init__(self, **kwargs: object) -> None:
        self.widgets = FakeWidgets(**kwargs)  # type: ignore[arg-type]


def papermill_globals(**injected: object) -> dict[str, object]:
    """Globals as a notebook has them after its parameters cell and papermill's injected cell."""
    namespace: dict[str, object] = {"__name__": "__main__", "In": [""], "Out": {}, "_": None, "ast": ast}
    namespace.update(workspace="emulated", engine="", dry_run=False, questions=["What were Q3 sales?"],
                     max_turns=6, helper_value=42, token="should-never-be-read")
    namespace.update(injected)
    return namespace


# --- values from the notebook (parameters cell + papermill) ----------------------------------------

def test_defaults_when_the_namespace_declares_nothing():
    params = resolve({})
    assert params == NotebookParams()
    assert params.workspace == "emulated" and params.engine == "" and params.dry_run is False
    assert set(params.sources().values()) == {"default"}


def test_papermill_values_override_defaults_keep_their_type_and_unknown_globals_are_ignored():
    params = resolve(papermill_globals(engine="client", max_turns=3), PrototypeParams)
    assert params.engine == "client"
    assert params.max_turns == 3 and isinstance(params.max_turns, int)
    assert params.questions == ["What were Q3 sales?"]
    sources = params.sources()
    assert sources["engine"] == sources["max_turns"] == sources["workspace"] == "notebook"
    assert sources["host"] == sources["interactive"] == "default"
    assert "token" not in sources and "helper_value" not in sources


def test_raw_string_values_from_papermill_are_coerced():
    params = resolve(papermill_globals(dry_run="yes", max_turns="4", temperature="0.2"), PrototypeParams)
    assert (params.dry_run, params.max_turns, params.temperature) == (True, 4, 0.2)


@pytest.mark.parametrize(("name", "value", "expected"), [
    ("max_turns", 2.5, "an integer like 3"),
    ("dry_run", 2, "true or false"),
    ("host", 3, "a string"),
    ("questions", [1, 2], 'a list, as JSON like ["a", "b"]'),
])
def test_non_string_papermill_values_are_still_validated(name, value, expected):
    with pytest.raises(ParamsError) as caught:
        resolve(papermill_globals(**{name: value}), PrototypeParams)
    assert (caught.value.name, caught.value.value) == (name, value)
    assert expected in caught.value.expected


def test_params_are_frozen_and_sources_read_only():
    params = resolve({"engine": "client"})
    with pytest.raises(ValidationError):
        params.engine = "hosted"  # type: ignore[misc]
    with pytest.raises(TypeError):
        params.sources()["engine"] = "widget"  # type: ignore[index]


def test_equality_ignores_where_values_came_from():
    assert resolve({"engine": "client"}) == NotebookParams(engine="client")
    assert resolve({"engine": "client"}) != NotebookParams(engine="hosted")


def test_resolve_needs_a_params_class():
    with pytest.raises(TypeError, match="subclass of agent_lib.params.Params"):
        resolve({}, dict)  # type: ignore[arg-type]


# --- Databricks widgets ------------------------------------------------------------------------------

def test_widgets_are_declared_with_the_notebook_values_before_being_read():
    dbutils = FakeDbutils()
    resolve(papermill_globals(engine="client", max_turns=3), PrototypeParams, dbutils=dbutils)
    calls = dbutils.widgets.calls
    declarations = {call[1]: call for call in calls if call[0] != "get"}
    assert set(declarations) == set(PrototypeParams.model_fields)
    assert declarations["engine"] == ("dropdown", "engine", "client", ["", "hosted", "client"], "engine")
    assert declarations["color"] == ("dropdown", "color", "red", ["red", "blue"], "color")
    assert declarations["max_turns"] == ("text", "max_turns", "3", "max_turns")
    assert declarations["dry_run"] == ("text", "dry_run", "false", "dry_run")
    assert declarations["questions"] == ("text", "questions", '["What were Q3 sales?"]', "questions")
    assert declarations["judge_model"] == ("text", "judge_model", "", "judge_model")
    assert declarations["host"] == ("text", "host", "", "host")  # a default, not in the namespace
    for name in PrototypeParams.model_fields:  # every widget is declared before it is read
        assert calls.index(declarations[name]) < calls.index(("get", name))


def test_widget_values_override_and_are_coerced():
    dbutils = FakeDbutils(job_values={
        "engine": "hosted", "dry_run": "TRUE", "max_turns": "9", "temperature": "0.7",
        "questions": '["Who sold most?", "Refund policy, in short?"]', "judge_model": "none",
        "seed": "7", "tags": '{"team": "sales"}', "color": "blue", "workspace": "profile:dev",
    })
    params = resolve(papermill_globals(judge_model="databricks-claude"), PrototypeParams, dbutils=dbutils)
    assert params.engine == "hosted" and params.dry_run is True and params.max_turns == 9
    assert params.temperature == 0.7 and params.judge_model is None and params.seed == 7
    assert params.questions == ["Who sold most?", "Refund policy, in short?"]
    assert params.tags == {"team": "sales"} and params.color is Color.BLUE
    assert params.workspace == "profile:dev"
    sources = params.sources()
    assert sources["engine"] == sources["judge_model"] == sources["tags"] == "widget"
    assert sources["interactive"] == "default" and sources["state_dir"] == "default"


def test_dbutils_is_found_in_the_namespace():
    dbutils = FakeDbutils(job_values={"engine": "client"})
    params = resolve({**papermill_globals(), "dbutils": dbutils})
    assert params.engine == "client" and params.sources()["engine"] == "widget"


def test_a_widget_left_at_its_declared_value_keeps_the_notebook_source():
    params = resolve(papermill_globals(engine="client"), dbutils=FakeDbutils(job_values={"engine": "client"}))
    assert params.sources()["engine"] == "notebook"


def test_a_widget_that_raises_keeps_the_notebook_value():
    dbutils = FakeDbutils(job_values={"engine": "hosted"}, undefined=("engine",))
    params = resolve(papermill_globals(engine="client"), dbutils=dbutils)
    assert params.engine == "client" and params.sources()["engine"] == "notebook"


def test_no_widget_calls_without_a_live_dbutils():
    fake = FakeDbutils(job_values={"engine": "hosted"})
    without = [{}, {"dbutils": None}, {"my_dbutils": fake, "dbutils": object()}]
    for extra in without:
        params = resolve({**papermill_globals(engine="client"), **extra})
        assert params.engine == "client" and params.sources()["engine"] == "notebook"
    assert fake.widgets.calls == []
    assert resolve({**papermill_globals(engine="client"), "dbutils": fake}).engine == "hosted"
    assert fake.widgets.calls != []


def test_the_module_never_imports_databricks():
    source = open(params_module.__file__, encoding="utf-8").read()
    assert "import databricks" not in source and "from databricks" not in source


def test_an_explicit_dbutils_without_widgets_is_an_error():
    with pytest.raises(TypeError, match="no .widgets"):
        resolve({}, dbutils=object())


def test_a_bad_widget_value_names_the_parameter_and_the_string():
    with pytest.raises(ParamsError) as caught:
        resolve(papermill_globals(), dbutils=FakeDbutils(job_values={"engine": "cloud"}))
    assert str(caught.value) == (
        "notebook parameter 'engine' = 'cloud' is invalid: expected one of '', 'hosted', 'client'")


def test_an_invalid_notebook_choice_gets_a_text_widget_and_then_a_clear_error():
    dbutils = FakeDbutils()
    with pytest.raises(ParamsError, match="'engine' = 'cloud'"):
        resolve(papermill_globals(engine="cloud"), dbutils=dbutils)
    assert ("text", "engine", "cloud", "engine") in dbutils.widgets.calls


# --- coercion of strings -------------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "text", "value"), [
    ("dry_run", "true", True), ("dry_run", "False", False), ("dry_run", "YES", True),
    ("dry_run", "no", False), ("dry_run", "1", True), ("dry_run", " 0 ", False),
    ("max_turns", "3", 3), ("max_turns", " -2 ", -2),
    ("temperature", "0.5", 0.5), ("temperature", "1e-3", 0.001), ("temperature", "2", 2.0),
    ("engine", "client", "client"), ("engine", "", ""), ("color", "blue", Color.BLUE),
    ("questions", '["a, b", "c"]', ["a, b", "c"]), ("questions", "a, b", ["a", "b"]),
    ("questions", "[a, b]", ["a", "b"]), ("questions", "'x', \"y\"", ["x", "y"]),
    ("questions", "- a\n- b", ["a", "b"]), ("questions", "", []),
    ("judge_model", "", None), ("judge_model", "None", None), ("judge_model", "null", None),
    ("judge_model", "databricks-claude", "databricks-claude"), ("seed", "7", 7), ("seed", "none", None),
    ("tags", '{"a": "1"}', {"a": "1"}),
])
def test_strings_are_coerced_to_the_declared_type(name, text, value):
    values = {"questions": ["q"], name: text}
    params = PrototypeParams(**values)
    assert getattr(params, name) == value
    assert type(getattr(params, name)) is type(value)


@pytest.mark.parametrize(("name", "text", "expected"), [
    ("dry_run", "maybe", "true or false"),
    ("max_turns", "three", "an integer like 3"),
    ("max_turns", "2.5", "an integer like 3"),
    ("temperature", "hot", "a number like 0.5"),
    ("engine", "cloud", "one of '', 'hosted', 'client'"),
    ("color", "purple", "one of 'red', 'blue'"),
    ("questions", "[1, 2]", 'a list, as JSON like ["a", "b"] or comma-separated like a, b'),
    ("seed", "x", "an integer like 3, or none"),
    ("tags", "team=sales", 'a JSON object like {"key": "value"}'),
    ("tags", "[1]", 'a JSON object like {"key": "value"}'),
    ("workspace", "cloud", "one of 'emulated', 'notebook', 'host' or 'profile:<name>'"),
])
def test_bad_values_name_the_parameter_the_value_and_the_expected_form(name, text, expected):
    with pytest.raises(ParamsError) as caught:
        resolve({"questions": ["q"], name: text}, PrototypeParams)
    error = caught.value
    assert (error.name, error.value) == (name, text)
    assert expected in error.expected
    assert f"'{name}'" in str(error) and repr(text) in str(error) and expected in str(error)
    assert not isinstance(error, ValidationError)
    assert error.__context__ is None or error.__suppress_context__  # no pydantic traceback attached


def test_an_unknown_explicit_parameter_names_the_allowed_ones():
    with pytest.raises(ParamsError) as caught:
        NotebookParams(enigne="client")  # type: ignore[call-arg]
    assert caught.value.name == "enigne"
    declared = ("workspace, host, spec_path, state_dir, experiment_name, engine, model, authorization, "
                "catalog_name, schema_name, dry_run")
    assert f"expected one of the parameters NotebookParams declares: {declared}" in str(caught.value)


def test_a_missing_required_parameter_is_named():
    with pytest.raises(ParamsError, match=r"'questions' = <missing> is invalid: expected a list"):
        resolve({}, PrototypeParams)


# --- no secrets among parameters -------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["token", "access_token", "password", "DB_PASSWORD", "client_secret",
                                  "api_key"])
def test_secret_looking_parameter_names_are_refused_when_the_class_is_defined(name):
    with pytest.raises(ParamsError, match="no credentials among notebook parameters") as caught:
        type("Leaky", (NotebookParams,), {"__annotations__": {name: "str"}, name: ""})
    assert caught.value.name == name


def test_secret_types_are_refused_and_harmless_names_allowed():
    with pytest.raises(ParamsError, match="'pat'"):
        type("Leaky", (Params,), {"__annotations__": {"pat": SecretStr}})
    harmless = type("Fine", (Params,), {"__annotations__": {"max_tokens": "int"}, "max_tokens": 256})
    assert harmless().max_tokens == 256


def test_as_table_masks_secret_looking_names_defensively(monkeypatch):
    monkeypatch.setattr(params_module, "_looks_secret", lambda name: False)
    namespace = {"__annotations__": {"access_token": "str"}, "access_token": "dapi123"}
    sneaky = type("Sneaky", (Params,), namespace)
    monkeypatch.undo()
    assert sneaky().as_table() == [("access_token", "****", "default")]
    assert "dapi123" not in str(sneaky())


# --- display ----------------------------------------------------------------------------------------------

def test_as_table_and_str_show_value_and_source():
    params = resolve(papermill_globals(), dbutils=FakeDbutils(job_values={"engine": "client"}))
    rows = params.as_table()
    assert [row[0] for row in rows] == list(NotebookParams.model_fields)
    assert ("engine", "'client'", "widget") in rows and ("host", "''", "default") in rows
    assert "engine          = 'client'  (widget)" in str(params).splitlines()


# --- the parameters cell ----------------------------------------------------------------------------------

def test_parameters_cell_source_is_python_with_one_commented_line_per_field():
    source = parameters_cell_source(NotebookParams)
    lines = source.splitlines()
    assert [ast.parse(line).body[0].targets[0].id for line in lines] == list(NotebookParams.model_fields)
    assert all("  # " in line for line in lines)
    assert 'workspace = "emulated"  # Where to work:' in lines[0]
    assert "dry_run = False  # " in source


def test_parameters_cell_source_round_trips_through_resolve():
    namespace: dict[str, object] = {}
    exec(parameters_cell_source(NotebookParams), namespace)  # noqa: S102 - our own rendered literals
    assert resolve(namespace) == NotebookParams()
    questions = ["What were Q3 sales?", 'Quote "the" refund policy']
    namespace = {}
    exec(parameters_cell_source(PrototypeParams, {"questions": questions, "color": Color.BLUE}), namespace)
    params = resolve(namespace, PrototypeParams)
    assert params == PrototypeParams(questions=questions, color=Color.BLUE)
    assert set(params.sources().values()) == {"notebook"}


def test_parameters_cell_source_refuses_what_would_not_resolve():
    with pytest.raises(ParamsError, match="'questions' = <missing>"):
        parameters_cell_source(PrototypeParams)
    with pytest.raises(ParamsError, match="'max_turns' = 'many'"):
        parameters_cell_source(PrototypeParams, {"questions": [], "max_turns": "many"})
    with pytest.raises(ParamsError, match="Python literal"):
        parameters_cell_source(PrototypeParams, {"questions": [], "tags": {"a": object()}})


def test_papermill_reads_the_rendered_cell_names_defaults_and_help(tmp_path):
    papermill = pytest.importorskip("papermill")
    source = parameters_cell_source(NotebookParams)
    cell = nbformat.v4.new_code_cell(source, metadata={"tags": ["parameters"]})
    notebook = nbformat.v4.new_notebook(cells=[cell])
    notebook.metadata["kernelspec"] = {"name": "python3", "language": "python", "display_name": "Python 3"}
    path = tmp_path / "nb.ipynb"
    nbformat.write(notebook, path)
    inspected = papermill.inspect_notebook(str(path))
    assert list(inspected) == list(NotebookParams.model_fields)
    assert inspected["engine"]["default"] == '""'
    assert inspected["dry_run"]["help"] == "Show the plan of changes without applying any."
