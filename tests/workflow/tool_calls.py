"""Call each hosted tool as a given identity, through the client engine's executors (real SDK calls)."""

from __future__ import annotations

from agent_lib.supervisor.tools import Toolset
from agent_lib.supervisor.tools.base import ToolContext

ARGUMENTS = {
    "genie_space": {"question": "What was our total revenue in 2025?"},
    "knowledge_assistant": {"question": "How many days do I have to return a laptop?"},
    "app": {"question": "How do I reset my password?"},
    "main__sales__get_order_status": {"order_id": "SO-10042"},
    "main__sales__convert_currency": {"amount": 100.0, "from_currency": "USD", "to_currency": "EUR"},
    "main__support__days_until_sla_breach": {"priority": "P2", "opened_date": "2025-12-30"},
}


def call_each_tool(client, spec, warehouse_id: str | None = None) -> dict[str, str]:
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
