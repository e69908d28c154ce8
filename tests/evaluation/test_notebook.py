"""Notebook 04 headless under papermill (cwd notebooks/, a temporary state dir), as the job runs it."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import nbformat

from agent_lib.evaluation import EvaluateParams, load_dataset

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "notebooks" / "04_evaluate_agent.ipynb"


def test_the_committed_notebook_is_thin_and_has_one_parameters_cell():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in nb.cells if c.cell_type == "code")
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert "def " not in code and "sys.path" not in code and "databricks.sdk.runtime" not in code
    assert "params = resolve(globals(), EvaluateParams)" in code
    values = {node.targets[0].id: ast.literal_eval(node.value)  # literals only, and they resolve
              for node in ast.parse(tagged[0].source).body if isinstance(node, ast.Assign)}
    assert set(values) == set(EvaluateParams.model_fields)
    assert EvaluateParams(**values).state_dir == "../.agent_lib"
    environment = nb.metadata["application/vnd.databricks.v1+notebook"]["environmentMetadata"]
    assert any(d.startswith("../dist/agent_lib-") for d in environment["dependencies"])  # as a serverless job task


def test_notebook_04_runs_headless_and_keeps_its_tables_and_plots(tmp_path):
    import papermill

    cases = {c.id: c for c in load_dataset("demo").cases}
    dataset = tmp_path / "small.jsonl"
    dataset.write_text("".join(json.dumps(cases[i].model_dump(mode="json", exclude_none=True)) + "\n"
                               for i in ("order-10042", "usd-to-eur", "vpn", "world-cup", "weather")))
    out = tmp_path / "04_out.ipynb"
    papermill.execute_notebook(
        str(NOTEBOOK), str(out), cwd=str(NOTEBOOK.parent), kernel_name="python3", progress_bar=False,
        parameters={"state_dir": str(tmp_path / "state"), "dataset": str(dataset), "max_workers": 2,
                    "thresholds": {"tool_routing": 0.6, "facts_present": 0.8, "non_empty": 1.0, "latency": 0.95}})
    nb = nbformat.read(out, as_version=4)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.output_type == "error"]
    html = " ".join(o.get("data", {}).get("text/html", "") for o in outputs if "data" in o)
    assert "tool_routing" in html and "threshold" in html  # the summary table
    assert "world-cup" in html or "tool_calls" in html  # the failing-rows table (empty or not)
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(images) == 1 and len(images[0]["data"]["image/png"]) > 10_000  # the plots stay in the notebook
    text = json.dumps(nb)
    assert "dapi" not in text and "DATABRICKS_TOKEN=" not in text  # no token in the outputs
