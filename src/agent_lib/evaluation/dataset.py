"""Evaluation datasets: rows of `{inputs, expectations}`, from the repository or from the workspace.

    ds = load_dataset("demo")                       # the demo workspace's set, versioned in the package
    ds = load_dataset("path/to/cases.jsonl")        # a JSONL file of your own
    ds = load_dataset("mlflow:agent-eval", ws=ws)   # an MLflow evaluation dataset, by name
    ds = load_dataset("uc:main.eval.cases", ws=ws, warehouse_id=...)   # a Unity Catalog table

A row (one JSON object per line; `id` and `kind` are optional and name the row in reports):

    {"id": "order-10042", "kind": "single",
     "inputs": {"question": "Where is my order SO-10042?"},
     "expectations": {"expected_tools": ["main.sales.get_order_status"],
                      "expected_facts": ["delivered", "FedEx"], "guidelines": ["..."]}}

`inputs` holds either `question` (one user turn) or `input` (the whole conversation as Responses
input items, the last one the user's turn: the Supervisor API keeps no state). `expected_tools`
names spec tools by their id or name (a function's three-part name, the connection or App name), or
by type (`genie_space`) when the spec has one tool of that type; `[]` means no tool should be called.
`expected_facts` and `guidelines` are the keys MLflow's `Correctness` and `ExpectationsGuidelines`
judges read. Every problem is an `EvaluationError` naming the row and the field, raised before
any agent call.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ..errors import AgentLibError

if TYPE_CHECKING:
    from ..spec import AgentSpec
    from ..workspace import Workspace

BUILT_IN = {"demo": "demo.jsonl"}
"""Datasets shipped in `agent_lib/evaluation/datasets/`, by name."""

Kind = Literal["single", "multi_tool", "multi_turn", "no_tool"]


class EvaluationError(AgentLibError):
    """Bad evaluation input (dataset, scorer, threshold, judge) or a failed gate; says what to fix."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Message(BaseModel):
    """One conversation item; `type`/`role`/`content` as the Responses API takes them."""

    model_config = ConfigDict(extra="allow", frozen=True)
    role: Literal["user", "assistant", "system", "developer"] | None = None
    type: str | None = None
    content: Any = None


class Inputs(_Strict):
    question: str | None = Field(default=None, min_length=1)
    input: list[Message] | None = Field(default=None, min_length=1)

    @model_validator(mode="after")
    def _one_of(self) -> Inputs:
        if (self.question is None) == (self.input is None):
            raise ValueError("give exactly one of 'question' (a string) or 'input' (the conversation's "
                             "items, ending with the user's turn)")
        if self.input is not None and self.input[-1].role not in (None, "user"):
            raise ValueError("the last item of 'input' must be the user's turn")
        return self


class Expectations(_Strict):
    expected_tools: list[str]
    expected_facts: list[str] = Field(default_factory=list)
    guidelines: list[str] = Field(default_factory=list)


class Case(_Strict):
    """One dataset row, validated."""

    id: str
    kind: Kind | None = None
    inputs: Inputs
    expectations: Expectations

    def as_mlflow(self) -> dict[str, Any]:
        """The row as `mlflow.genai.evaluate` takes it (`tags` carry the id and kind)."""
        inputs = self.inputs.model_dump(mode="json", exclude_none=True)
        expectations = {k: v for k, v in self.expectations.model_dump(mode="json").items()
                        if v or k == "expected_tools"}
        tags = {"case": self.id, **({"kind": self.kind} if self.kind else {})}
        return {"inputs": inputs, "expectations": expectations, "tags": tags}

    @property
    def question(self) -> str:
        """The user's (last) turn, for tables."""
        if self.inputs.question is not None:
            return self.inputs.question
        last = self.inputs.input[-1].content if self.inputs.input else ""
        return last if isinstance(last, str) else json.dumps(last)


@dataclass(frozen=True)
class Dataset:
    """Validated rows and where they came from; `digest` changes whenever a row does."""

    name: str
    source: str
    cases: tuple[Case, ...]

    @property
    def digest(self) -> str:
        text = json.dumps([c.model_dump(mode="json") for c in self.cases], sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:12]

    def __len__(self) -> int:
        return len(self.cases)

    def records(self) -> list[dict[str, Any]]:
        return [case.as_mlflow() for case in self.cases]

    def head(self, n: int = 10) -> list[dict[str, Any]]:
        """Rows for display: id, kind, question, expected tools."""
        return [{"id": c.id, "kind": c.kind or "", "question": c.question,
                 "expected_tools": ", ".join(c.expectations.expected_tools) or "(none)"}
                for c in self.cases[:n]]


def parse_rows(rows: Iterable[Any], source: str, *, name: str | None = None) -> Dataset:
    """Validate raw rows (dicts, or JSON text of one) into a `Dataset`; errors name the row."""
    cases: list[Case] = []
    for number, raw in enumerate(rows, start=1):
        where = f"{source} row {number}"
        row = _as_mapping(raw, where)
        if "inputs" not in row:
            raise EvaluationError(f"{where}: no 'inputs'; every row needs "
                                  "{\"inputs\": {\"question\": ...}, \"expectations\": {...}}")
        if "expectations" not in row:
            raise EvaluationError(f"{where}: no 'expectations'; give at least "
                                  "{\"expected_tools\": [...]} ([] when no tool should be called)")
        data = {k: _decode_json(v, f"{where} '{k}'") for k, v in row.items()}
        data.setdefault("id", f"row-{number}")
        try:
            cases.append(Case.model_validate(data))
        except ValidationError as exc:
            raise EvaluationError(f"{where} ({data['id']}): {_first_problem(exc)}") from None
    if not cases:
        raise EvaluationError(f"{source}: the dataset has no rows")
    seen: dict[str, int] = {}
    for number, case in enumerate(cases, start=1):
        if case.id in seen:
            raise EvaluationError(f"{source} row {number}: id {case.id!r} is already used by row "
                                  f"{seen[case.id]}; give each row its own id")
        seen[case.id] = number
    return Dataset(name or Path(source).stem, source, tuple(cases))


def load_dataset(source: str, *, ws: Workspace | None = None, warehouse_id: str | None = None) -> Dataset:
    """The dataset `source` names: a built-in name, a JSONL path, `mlflow:<name>` or `uc:<table>`."""
    source = (source or "").strip()
    if not source:
        raise EvaluationError("dataset is empty: name a built-in dataset (demo), a .jsonl file, "
                              "mlflow:<evaluation dataset> or uc:<catalog.schema.table>")
    if source in BUILT_IN:
        path = resources.files(__package__).joinpath("datasets", BUILT_IN[source])
        return parse_rows(_jsonl_lines(path.read_text(encoding="utf-8"), source), source, name=source)
    if source.startswith("mlflow:"):
        return _from_mlflow(source.removeprefix("mlflow:").strip(), source)
    if source.startswith("uc:"):
        if ws is None:
            raise EvaluationError(f"dataset {source!r} is a Unity Catalog table: pass the workspace")
        return _from_table(ws, source.removeprefix("uc:").strip(), source, warehouse_id)
    path = Path(source)
    if not path.is_file():
        raise EvaluationError(
            f"dataset {source!r}: no such file, and not a built-in name ({', '.join(BUILT_IN)}); "
            "give a .jsonl path, mlflow:<evaluation dataset name> or uc:<catalog.schema.table>")
    return parse_rows(_jsonl_lines(path.read_text(encoding="utf-8"), source), source, name=path.stem)


def check_against_spec(dataset: Dataset, spec: AgentSpec) -> dict[str, str]:
    """Resolve every expected tool to a spec tool's `ref`; an unknown one is an error naming the row.

    Returns the resolution (what the dataset wrote -> ref) the routing scorer uses.
    """
    names = tool_names(spec)
    resolved: dict[str, str] = {}
    for number, case in enumerate(dataset.cases, start=1):
        for written in case.expectations.expected_tools:
            if written not in names:
                known = ", ".join(sorted({t.ref for t in spec.tools})) or "none"
                raise EvaluationError(
                    f"{dataset.source} row {number} ({case.id}): expected tool {written!r} is not a tool "
                    f"of agent {spec.name!r}; its tools are {known} (or a tool type the spec has once)")
            resolved[written] = names[written]
    return resolved


def tool_names(spec: AgentSpec) -> dict[str, str]:
    """Every way a dataset may name a spec tool (ref, label, a type the spec has once) -> ref."""
    names: dict[str, str] = {}
    by_type: dict[str, list[str]] = {}
    for tool in spec.tools:
        names[tool.ref] = names[tool.label] = tool.ref
        by_type.setdefault(tool.type, []).append(tool.ref)
    for kind, refs in by_type.items():
        if len(refs) == 1:
            names.setdefault(kind, refs[0])
    return names


# -- sources ------------------------------------------------------------------------------------

def _jsonl_lines(text: str, source: str) -> list[Any]:
    rows: list[Any] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            rows.append(json.loads(line))
        except ValueError as exc:
            raise EvaluationError(f"{source} line {number}: not JSON ({exc.msg}); write one JSON "
                                  "object per line") from None
    return rows


def _from_mlflow(name: str, source: str) -> Dataset:
    from mlflow.genai import datasets

    if not name:
        raise EvaluationError("dataset 'mlflow:' names no evaluation dataset: write mlflow:<name>")
    try:
        found = datasets.search_datasets(filter_string=f"name = '{name}'")
    except Exception as exc:  # noqa: BLE001 - the tracking store's own error, passed on as text
        raise EvaluationError(f"dataset {source!r}: could not search MLflow evaluation datasets: {exc}") from None
    if not found:
        raise EvaluationError(f"dataset {source!r}: no MLflow evaluation dataset named {name!r} in this "
                              "tracking store; create it with mlflow.genai.datasets.create_dataset")
    frame = found[0].to_df()
    rows = [{"inputs": r["inputs"], "expectations": r["expectations"],
             **({"id": str(r["tags"]["case"])} if isinstance(r.get("tags"), Mapping) and "case" in r["tags"]
                else {})}
            for r in frame.to_dict(orient="records")]
    return parse_rows(rows, source, name=name)


def _from_table(ws: Workspace, table: str, source: str, warehouse_id: str | None) -> Dataset:
    """Rows of a UC table with columns `inputs` and `expectations` (JSON text or structs), and
    optionally `id`, read with SQL statement execution."""
    from databricks.sdk.service.sql import StatementState

    parts = table.split(".")
    if len(parts) != 3 or not all(p.strip() for p in parts):
        raise EvaluationError(f"dataset {source!r}: write the table as uc:catalog.schema.table")
    warehouse = warehouse_id or _first_warehouse(ws, source)
    try:
        columns = {c.name for c in ws.client.tables.get(table).columns or []}
    except Exception as exc:  # noqa: BLE001
        raise EvaluationError(f"dataset {source!r}: cannot read table {table}: {exc}") from None
    missing = {"inputs", "expectations"} - columns
    if missing:
        raise EvaluationError(f"dataset {source!r}: table {table} has no column {', '.join(sorted(missing))}; "
                              "it needs inputs and expectations (JSON text), and may have id")
    selected = [c for c in ("id", "inputs", "expectations") if c in columns]
    response = ws.client.statement_execution.execute_statement(
        statement=f"SELECT {', '.join(selected)} FROM {table}", warehouse_id=warehouse, wait_timeout="50s")
    if response.status is None or response.status.state != StatementState.SUCCEEDED:
        error = response.status.error.message if response.status and response.status.error else "no result"
        raise EvaluationError(f"dataset {source!r}: reading {table} failed: {error}")
    data = (response.result.data_array if response.result else None) or []
    return parse_rows([dict(zip(selected, row, strict=True)) for row in data], source, name=table)


def _first_warehouse(ws: Workspace, source: str) -> str:
    for warehouse in ws.client.warehouses.list():
        if warehouse.id:
            return warehouse.id
    raise EvaluationError(f"dataset {source!r}: the workspace has no SQL warehouse to read the table; "
                          "pass warehouse_id")


# -- helpers ------------------------------------------------------------------------------------

def _as_mapping(raw: Any, where: str) -> Mapping[str, Any]:
    value = _decode_json(raw, where)
    if not isinstance(value, Mapping):
        raise EvaluationError(f"{where}: a row must be a JSON object with 'inputs' and 'expectations', "
                              f"got {type(value).__name__}")
    return value


def _decode_json(value: Any, where: str) -> Any:
    if isinstance(value, str) and value.lstrip()[:1] in ("{", "["):
        try:
            return json.loads(value)
        except ValueError as exc:
            raise EvaluationError(f"{where}: not valid JSON ({exc.msg})") from None
    return value


def _first_problem(exc: ValidationError) -> str:
    error = exc.errors()[0]
    field = ".".join(str(p) for p in error["loc"]) or "row"
    return f"field '{field}': {error['msg']}"


__all__ = ["BUILT_IN", "Case", "Dataset", "EvaluationError", "Expectations", "Inputs", "check_against_spec",
           "load_dataset", "parse_rows", "tool_names"]
