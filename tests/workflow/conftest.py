"""Fixtures of the workflow tests (setup, grants): their own emulated workspace, reset before each test.

They create Apps, replace functions and grant privileges, so they do not share the session's
workspace: a reset there would also invalidate the session's user tokens (`alice`).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from agent_lib.supervisor.tools import Toolset
from agent_lib.supervisor.tools.base import ToolContext

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="package")
def workflow_emulator():
    from agent_lib.emulator import start

    ws = start(None)
    yield ws
    ws.stop()


@pytest.fixture
def workspace(workflow_emulator):
    """The workflow tests' emulated workspace, reset to the seeded demo."""
    workflow_emulator.reset()
    return workflow_emulator


@pytest.fixture
def demo_spec():
    from agent_lib.spec import load_spec

    return load_spec(ROOT / "agent.yml")

ARGUMENTS = {
    "genie_space": {"question": "What was our total revenue in 2025?"},
    "knowledge_assistant": {"question": "How many days do I have to return a laptop?"},
    "app": {"question": "How do I reset my password?"},
    "main__sales__get_order_status": {"order_id": "SO-10042"},
    "main__sales__convert_currency": {"amount": 100.0, "from_currency": "USD", "to_currency": "EUR"},
    "main__support__days_until_sla_breach": {"priority": "P2", "opened_date": "2025-12-30"},
}


def _call_each_tool(client, spec, warehouse_id: str | None = None) -> dict[str, str]:
    """`tool label -> "ok: <answer>"` or `"denied: <error>"` for every tool of `spec`."""
    outcomes: dict[str, str] = {}
    context = ToolContext(client, timeout_s=60, warehouse_id=warehouse_id)
    try:
        toolset = Toolset(spec.tools, context)
        for tool, executor in zip(spec.tools, toolset.executors, strict=True):
            try:
                functions = executor.functions()
                name = functions[0].name
                args = ARGUMENTS.get(name) or ARGUMENTS.get(tool.type) or {}
                if tool.type == "uc_connection":
                    name = next(f.name for f in functions if "search" in f.name)
                    args = {"query": "printer"}
                answer = executor.call(name, args)
                outcomes[tool.label] = f"ok: {answer[:80]}"
            except Exception as exc:  # noqa: BLE001 - the outcome is what the test reads
                outcomes[tool.label] = f"denied: {type(exc).__name__}: {exc}"
    finally:
        context.close()
    return outcomes


@pytest.fixture
def call_each_tool():
    """Call each hosted tool as a given identity, through the client engine's executors (real SDK calls)."""
    return _call_each_tool
