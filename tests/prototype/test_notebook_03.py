"""Notebook 03 as the job runs it (papermill, headless) and as the demo serves it (Voilà, a real browser)."""

from __future__ import annotations

import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import nbformat
import pytest

from agent_lib.params import parameters_cell_source
from agent_lib.prototype import DEMO_QUESTIONS, PrototypeParams

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "notebooks" / "03_prototype_agent.ipynb"


def test_the_notebook_is_thin_and_committed_clean():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1 and tagged[0].source.strip() == parameters_cell_source(
        PrototypeParams, {"spec_path": "../agent.yml", "state_dir": "../.agent_lib"}).strip()
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# 03")
    assert all(not c.outputs and c.execution_count is None for c in code)
    assert not any("def " in c.source or "sys.path" in c.source or "databricks.sdk.runtime" in c.source
                   for c in code)
    steps = [c.source.splitlines()[0] for c in nb.cells if c.cell_type == "markdown" and "## Step" in c.source]
    assert steps == [f"## Step {i}: {t}" for i, t in enumerate(
        ["Connect to the workspace", "Trace into the workspace's experiment", "Open a chat session",
         "Ask the scripted questions", "Chat with the agent"], start=1)]


@pytest.mark.slow
def test_papermill_runs_it_headless_as_the_job_does(emulator, tmp_path, monkeypatch):
    import papermill

    monkeypatch.setenv("DATABRICKS_TOKEN", emulator.token)  # how the runner hands the token over
    out = tmp_path / "03_out.ipynb"
    papermill.execute_notebook(str(NOTEBOOK), str(out), cwd=str(NOTEBOOK.parent), kernel_name="python3",
                               execution_timeout=600, progress_bar=False,
                               parameters={"workspace": "emulated", "host": emulator.host,
                                           "state_dir": str(tmp_path / "state")})
    nb = nbformat.read(out, as_version=4)
    text = json.dumps([c.get("outputs", []) for c in nb.cells])
    assert emulator.token not in text
    table = next(c for c in nb.cells if "run_questions(" in c.source)
    html = table.outputs[0]["data"]["text/html"]
    for question in DEMO_QUESTIONS:
        assert question in html
    for tool in ("genie_01f0c0ff", "main__sales__get_order_status", "knowledge_assistant_8c765842",
                 "search_tickets"):
        assert tool in html
    assert "approved search_tickets on ticketing" in html
    panel = next(c for c in nb.cells if "ChatPanel(" in c.source)
    assert "application/vnd.jupyter.widget-view+json" in panel.outputs[0]["data"]  # shown, nothing waited
    # The scripted questions were traced into the workspace's experiment (its MLflow tracking server).
    headers = {"Authorization": f"Bearer {emulator.token}"}
    got = httpx.get(f"{emulator.host}/api/2.0/mlflow/experiments/get-by-name", headers=headers, timeout=120,
                    params={"experiment_name": "/Shared/agent-lib"})
    assert got.status_code == 200, got.text
    found = httpx.post(f"{emulator.host}/api/3.0/mlflow/traces/search", headers=headers, timeout=120,
                       json={"locations": [{"type": "MLFLOW_EXPERIMENT", "mlflow_experiment": {
                           "experiment_id": got.json()["experiment"]["experiment_id"]}}], "max_results": 100})
    assert len(found.json().get("traces", [])) >= len(DEMO_QUESTIONS)


def _read_lines(stream, lines: queue.Queue) -> None:
    for line in stream:
        lines.put(line)


@pytest.mark.slow
def test_the_demo_page_in_a_real_browser(browser, tmp_path):
    demo = subprocess.Popen(
        [sys.executable, "-m", "agent_lib.cli", "demo", "--port", "0", "--state", str(tmp_path / "state")],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"})
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=_read_lines, args=(demo.stdout, lines), daemon=True).start()
    try:
        seen = []
        while not any(line.startswith("Agent demo: ") for line in seen):
            seen.append(lines.get(timeout=180))
        url = next(line for line in seen if line.startswith("Agent demo: ")).split()[2]
        assert url.startswith("http://127.0.0.1:")

        page = browser.new_page(viewport={"width": 1100, "height": 1500})
        page.set_default_timeout(240_000)
        page.goto(url)
        page.fill(".agent-input input", "What is the status of order SO-10042?")
        page.click("button.agent-send")
        page.wait_for_selector(".agent-answer:has-text('delivered')")
        page.wait_for_selector(".agent-calls:has-text('main__sales__get_order_status')")
        assert "Carrier: FedEx" in page.inner_text(".agent-answer")
        assert "✓ main__sales__get_order_status" in page.inner_text(".agent-calls")
        assert "MLflow trace tr-" in page.inner_text(".agent-trace")
        page.click(".agent-calls >> text=main__sales__get_order_status")  # expand the call
        page.wait_for_selector(".agent-call:has-text('SO-10042')", state="visible")
        assert "delivered" in page.inner_text(".agent-call")  # its output
        page.locator(".agent-panel").screenshot(path=str(tmp_path / "demo_panel.png"))
        assert (tmp_path / "demo_panel.png").stat().st_size > 10_000
    finally:
        demo.send_signal(signal.SIGINT)  # Ctrl-C stops Voilà, its kernels and the emulated workspace
        code = demo.wait(timeout=60)
    assert code == 0
    port = int(url.rsplit(":", 1)[1].strip("/"))
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
