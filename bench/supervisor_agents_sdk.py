"""The comparison point: the orchestration of Databricks' multi-agent App template (OpenAI Agents SDK).

As `agent-openai-agents-sdk-multiagent` sets it up (app-templates.md §1.2): `agents.Runner.run` over an
`Agent` whose model is an `OpenAIChatCompletionsModel` on `AsyncDatabricksOpenAI(workspace_client=w)`
(chat completions), Agents SDK tracing disabled. The benchmark's three tools are `function_tool`s
with the same names and arguments as the Supervisor's, calling the same emulated services with the
same Databricks API calls as the client engine (`supervisor_workload.Bare`): Genie Conversation API,
the UC function through statement execution, the Knowledge Assistant's serving endpoint. Sync tools
run in worker threads (the Agents SDK does that with `asyncio.to_thread`) and the calls of one
model turn run concurrently, as in the client engine.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any

from supervisor_workload import GENIE, KA, MODEL, QUESTION, UC, Bare


@dataclass
class SdkRun:
    """What one `Runner.run` did: final text, tool calls (name, output) in order, model turns."""

    text: str
    calls: list[tuple[str, str]]
    model_turns: int


class AgentsSdkAgent:
    """One Agents SDK agent over the benchmark's tools, run on one persistent event loop."""

    def __init__(self, w: Any, spec: Any, bare: Bare) -> None:
        from agents import Agent, OpenAIChatCompletionsModel, function_tool, set_tracing_disabled
        from databricks_openai import AsyncDatabricksOpenAI

        set_tracing_disabled(True)
        self.loop = asyncio.new_event_loop()
        client = AsyncDatabricksOpenAI(workspace_client=w, max_retries=0)
        ka_endpoint = bare.ka_endpoint

        @function_tool(name_override=GENIE)
        def genie(question: str) -> str:
            """Ask the sales Genie space a data question."""
            return bare.genie({"question": question})

        @function_tool(name_override=UC)
        def get_order_status(order_id: str) -> str:
            """Look up one order's status by its order id."""
            return bare.uc_function_sql({"order_id": order_id})

        @function_tool(name_override=KA)
        async def knowledge_assistant(question: str) -> str:
            """Ask the policy Knowledge Assistant."""
            response = await client.responses.create(
                model=ka_endpoint, input=[{"type": "message", "role": "user", "content": question}])
            return json.dumps({"answer": response.output_text})

        self.agent = Agent(name="supervisor-bench", instructions=spec.instructions,
                           model=OpenAIChatCompletionsModel(model=MODEL, openai_client=client),
                           tools=[genie, get_order_status, knowledge_assistant])

    def run(self, question: str = QUESTION) -> SdkRun:
        from agents import Runner
        from agents.items import ToolCallItem, ToolCallOutputItem

        result = self.loop.run_until_complete(Runner.run(self.agent, question, max_turns=8))
        names = {item.raw_item.call_id: item.raw_item.name for item in result.new_items
                 if isinstance(item, ToolCallItem)}
        calls = [(names.get(item.raw_item["call_id"], "?"), str(item.output)) for item in result.new_items
                 if isinstance(item, ToolCallOutputItem)]
        return SdkRun(text=str(result.final_output), calls=calls, model_turns=len(result.raw_responses))

    def close(self) -> None:
        self.loop.close()


__all__ = ["AgentsSdkAgent", "SdkRun"]
