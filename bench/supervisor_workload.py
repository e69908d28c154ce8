"""The Supervisor benchmarks' workload: the agent, the scripted turns, and the bare calls underneath.

Three demo tools (Genie space, the UC function `main.sales.get_order_status`, the Knowledge
Assistant) on a scripted model behind `databricks-claude-sonnet-4-5` (the Supervisor API serves
Claude models only). A workload is a list of model turns; each calls one or more tools in
parallel, and a last turn answers:

    PARALLEL    [genie + uc_function], answer                  (benchmark 1)
    SEQUENTIAL  [genie], [uc_function], [knowledge_assistant], answer   (benchmark 2)
    MIXED       [genie + uc_function], [knowledge_assistant], answer    (benchmark 3)

`Bare` issues what the client engine's loop sends, without the loop: the same
`DatabricksOpenAI.responses.create` requests (same tools, instructions and history) and the same
Databricks API calls per tool (Genie Conversation API, statement execution, the assistant's
serving endpoint), one after the other, each timed.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from agent_lib.emulator.core import demo_ids as ids
from agent_lib.supervisor import genie_tool_name, knowledge_assistant_tool_name

MODEL = "databricks-claude-sonnet-4-5"
QUESTION = "How are sales by region, where is order SO-10042, and what is the refund policy?"
INSTRUCTIONS = "Answer by calling the tools that own the data; combine their results in a short answer."
ANSWER = "North America leads sales; SO-10042 is on its way; refunds go back to the original payment method."
UC_FUNCTION = "main.sales.get_order_status"

GENIE = genie_tool_name(ids.GENIE_SPACE_ID)
UC = UC_FUNCTION.replace(".", "__")
KA = knowledge_assistant_tool_name(ids.KNOWLEDGE_ASSISTANT_ID)
ARGUMENTS = {
    GENIE: {"question": "What is the total revenue by region?"},
    UC: {"order_id": "SO-10042"},
    KA: {"question": "What is the refund policy?"},
}
KINDS = {GENIE: "genie", UC: "uc_function", KA: "knowledge_assistant"}
"""Which server-side execution (`core.latency`) each tool is, through statement execution."""

PARALLEL: tuple[tuple[str, ...], ...] = ((GENIE, UC),)
SEQUENTIAL: tuple[tuple[str, ...], ...] = ((GENIE,), (UC,), (KA,))
MIXED: tuple[tuple[str, ...], ...] = ((GENIE, UC), (KA,))


def spec() -> Any:
    from agent_lib.spec import AgentSpec

    return AgentSpec(name="supervisor-bench", model=MODEL, instructions=INSTRUCTIONS, tools=[
        {"genie_space": {"id": ids.GENIE_SPACE_ID, "description": "Sales analytics: revenue, orders and "
                                                                  "products by region and month."}},
        {"uc_function": {"name": UC_FUNCTION, "description": "Look up one order's status by its order id."}},
        {"knowledge_assistant": {"knowledge_assistant_id": ids.KNOWLEDGE_ASSISTANT_ID,
                                 "description": "Company policies: returns, refunds, shipping, warranty."}},
    ])


def script(workload: tuple[tuple[str, ...], ...]) -> list[dict[str, Any]]:
    """The scripted model's turns for a workload: its tool turns, then the answer."""
    turns: list[dict[str, Any]] = [{"tool_calls": [{"name": n, "arguments": ARGUMENTS[n]} for n in turn]}
                                   for turn in workload]
    return [*turns, {"text": ANSWER}]


def tool_calls(workload: tuple[tuple[str, ...], ...]) -> list[str]:
    return [name for turn in workload for name in turn]


def install_script(ws: Any, workload: tuple[tuple[str, ...], ...]) -> Any:
    """A fresh scripted model on the benchmark's endpoint (scripts restart every run)."""
    from agent_lib.emulator.models import registry
    from agent_lib.emulator.models.scripted import ScriptedModel

    model = ScriptedModel(script(workload), label=f"benchmark model on '{MODEL}'")
    registry.install(ws.state, MODEL, model)
    return model


def set_latency(ws: Any, model_ms: float, tool_ms: float) -> None:
    ws.state.config.model_latency_ms = model_ms
    ws.state.config.tool_latency_ms = tool_ms


def check_tool_output(name: str, output: str | None) -> None:
    """Fail unless `output` is what the tool answers on success (both frameworks must do the work)."""
    marker = {GENIE: "North America", UC: '"rows": [["', KA: "refund"}[name]
    if not output or marker.lower() not in output.lower() or output.startswith('{"error"'):
        raise AssertionError(f"{name} did not answer as expected: {str(output)[:200]!r}")


# -- the bare calls -------------------------------------------------------------------------------

@dataclass
class BareRun:
    """One workload through the bare calls: per-step seconds, in order (`model`, then tool names)."""

    steps: list[tuple[str, float]] = field(default_factory=list)
    outputs: dict[str, str] = field(default_factory=dict)

    @property
    def total(self) -> float:
        return sum(s for _, s in self.steps)

    def durations(self, name: str) -> list[float]:
        return [s for n, s in self.steps if n == name]


class Bare:
    """The HTTP calls the client engine's loop makes for a workload, made directly and in sequence."""

    def __init__(self, w: Any, spec: Any, *, warehouse_id: str = ids.WAREHOUSE_ID,
                 timeout_s: float = 120.0) -> None:
        from databricks_openai import DatabricksOpenAI

        from agent_lib.supervisor import RetryPolicy
        from agent_lib.supervisor.tools import ToolContext, Toolset

        self.w = w
        self.spec = spec
        self.warehouse_id = warehouse_id
        self.timeout_s = timeout_s
        self.client = DatabricksOpenAI(workspace_client=w, max_retries=0, timeout=timeout_s)
        # The model sees the same function tools as in the loop (listed once, as the loop caches them).
        self.tools = Toolset(spec.tools, ToolContext(w, timeout_s, RetryPolicy(), warehouse_id)).wire()
        ka = w.knowledge_assistants.get_knowledge_assistant(
            f"knowledge-assistants/{ids.KNOWLEDGE_ASSISTANT_ID}")
        self.ka_endpoint = ka.endpoint_name
        self.tool_fns = {GENIE: self.genie, UC: self.uc_function_sql, KA: self.knowledge_assistant}

    # -- one model call, one tool call --------------------------------------------------------------
    def model(self, history: list[dict[str, Any]]) -> Any:
        request: dict[str, Any] = {"model": self.spec.model, "input": history, "tools": self.tools}
        if self.spec.instructions:
            request["instructions"] = self.spec.instructions
        return self.client.responses.create(**request)

    def genie(self, arguments: dict[str, Any]) -> str:
        w = self.w
        message = w.genie.start_conversation_and_wait(ids.GENIE_SPACE_ID, arguments["question"],
                                                      timeout=timedelta(seconds=self.timeout_s))
        result: dict[str, Any] = {}
        texts = []
        for attachment in message.attachments or []:
            if attachment.text is not None and attachment.text.content:
                texts.append(attachment.text.content)
            if attachment.query is not None:
                if attachment.query.description:
                    texts.append(attachment.query.description)
                result["sql"] = attachment.query.query
                got = w.genie.get_message_attachment_query_result(
                    ids.GENIE_SPACE_ID, message.conversation_id, message.message_id, attachment.attachment_id)
                statement = got.statement_response
                if statement is not None and statement.manifest and statement.result:
                    result["columns"] = [c.name for c in statement.manifest.schema.columns or []]
                    result["rows"] = (statement.result.data_array or [])[:50]
        return json.dumps({"answer": "\n\n".join(texts), **result}, default=str)

    def uc_function_sql(self, arguments: dict[str, Any]) -> str:
        from databricks.sdk.service.sql import StatementParameterListItem

        response = self.w.statement_execution.execute_statement(
            f"SELECT * FROM {UC_FUNCTION}(:order_id)", self.warehouse_id, wait_timeout="30s",
            parameters=[StatementParameterListItem(name="order_id", value=arguments["order_id"],
                                                   type="STRING")])
        columns = [c.name for c in response.manifest.schema.columns or []]
        return json.dumps({"columns": columns, "rows": (response.result.data_array or [])[:100]}, default=str)

    def knowledge_assistant(self, arguments: dict[str, Any]) -> str:
        question = {"type": "message", "role": "user", "content": arguments["question"]}
        response = self.client.responses.create(model=self.ka_endpoint, input=[question])
        return json.dumps({"answer": response.output_text})

    # -- a whole workload ---------------------------------------------------------------------------
    def run(self, workload: tuple[tuple[str, ...], ...]) -> BareRun:
        """Every model call and tool call of the workload, in sequence, each timed."""
        run = BareRun()
        history: list[dict[str, Any]] = [{"type": "message", "role": "user", "content": QUESTION}]
        while True:
            t = time.perf_counter()
            response = self.model(history)
            run.steps.append(("model", time.perf_counter() - t))
            calls = [item for item in response.output if item.type == "function_call"]
            if not calls:
                run.outputs["answer"] = response.output_text
                return run
            for call in calls:
                t = time.perf_counter()
                output = self.tool_fns[call.name](json.loads(call.arguments))
                run.steps.append((call.name, time.perf_counter() - t))
                run.outputs[call.name] = output
                history.append({"type": "function_call", "call_id": call.call_id, "name": call.name,
                                "arguments": call.arguments})
                history.append({"type": "function_call_output", "call_id": call.call_id, "output": output})


__all__ = ["ANSWER", "GENIE", "KA", "MIXED", "MODEL", "PARALLEL", "QUESTION", "SEQUENTIAL", "UC", "Bare",
           "BareRun", "check_tool_output", "install_script", "script", "set_latency", "spec", "tool_calls"]
