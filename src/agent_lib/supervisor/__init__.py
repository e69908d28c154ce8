"""The Supervisor: an agent turn over hosted Databricks tools, with two interchangeable engines.

    from agent_lib.supervisor import Supervisor

    sup = Supervisor(spec, workspace_client)            # engine: spec.engine ("client" or "hosted")
    result = sup.respond("Which region sold the most in March?")
    result.text, result.tool_calls, result.trace_id

`hosted` calls the Supervisor API (`/ai-gateway/mlflow/v1/responses`); `client` runs the same loop in
this process, calling the model through `DatabricksOpenAI` and each tool through its own Databricks
API. Both return `AgentResult` and stream openai Responses events. Failures raise `SupervisorError`.

A server that runs the loop for its callers (the emulated workspace's Supervisor route) uses
`agent_lib.supervisor.service`, and nothing else of this package.
"""

from ..errors import SupervisorError
from .client_loop import ClientLoop
from .engine import ENGINES, Supervisor, TurnStream
from .events import sse
from .result import AgentResult, ToolCall
from .retry import RetryPolicy
from .tools.naming import app_tool_name, genie_tool_name, knowledge_assistant_tool_name

__all__ = [
    "ENGINES",
    "AgentResult",
    "ClientLoop",
    "RetryPolicy",
    "Supervisor",
    "SupervisorError",
    "ToolCall",
    "TurnStream",
    "app_tool_name",
    "genie_tool_name",
    "knowledge_assistant_tool_name",
    "sse",
]
