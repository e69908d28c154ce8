"""Notebook hygiene: every notebook (the project's and the runner's fixtures) is committed clean.

Committed without outputs, with a title cell first, exactly one cell tagged `parameters`, and
never `databricks.sdk.runtime` (it needs a live cluster) or a `sys.path` edit (agent_lib is
installed: editable locally, the bundle's wheel on Databricks).
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb")) + sorted(
    (ROOT / "tests" / "fixtures").glob("**/notebooks/*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: str(p.relative_to(ROOT)))
def test_notebook_is_committed_clean(path):
    nb = nbformat.read(str(path), as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.outputs and c.execution_count is None for c in code), "commit it without outputs"
    first = nb.cells[0]
    assert first.cell_type == "markdown" and first.source.startswith("# "), "open with a '# Title' cell"
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, f"exactly one cell tagged 'parameters', found {len(tagged)}"
    source = "\n".join(c.source for c in code)
    assert "databricks.sdk.runtime" not in source
    assert "sys.path" not in source

