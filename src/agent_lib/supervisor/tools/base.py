"""What every hosted-tool executor provides to the client engine's loop.

An executor stands for one hosted tool of the spec. It offers the model one or more function tools
(`functions()`; an MCP-backed tool offers what its server lists) and runs a call by name through the
tool's own Databricks API (`call()`), returning the text the model reads. Failures raise
`ToolFailure` (or anything else): the loop turns them into a tool output the model sees.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..retry import RetryPolicy
from .failure import ToolFailure

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient

    from ...spec import HostedTool
    from ._mcp_sessions import McpSessions

MAX_NAME = 64


@dataclass(frozen=True)
class FunctionTool:
    """A function tool as offered to the model (OpenAI Responses `{"type": "function", ...}`)."""

    name: str
    description: str
    parameters: dict[str, Any] = field(default_factory=lambda: {"type": "object", "properties": {}})

    def to_wire(self) -> dict[str, Any]:
        return {"type": "function", "name": self.name, "description": self.description,
                "parameters": self.parameters}


@dataclass(frozen=True)
class ToolContext:
    """What executors share: the caller's workspace client, the time budget, retry policy and the
    MCP sessions kept for them (one `McpSessions` per context unless one is given)."""

    workspace_client: WorkspaceClient
    timeout_s: float = 120.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    warehouse_id: str | None = None
    """Run UC functions with statement execution on this warehouse instead of managed MCP."""
    mcp: McpSessions = field(default=None, compare=False, repr=False)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        if self.mcp is None:
            from ._mcp_sessions import McpSessions

            object.__setattr__(self, "mcp", McpSessions(self.workspace_client, self.timeout_s))

    def close(self) -> None:
        """End the kept MCP sessions (a later call opens new ones)."""
        self.mcp.close()


def question_schema(doc: str) -> dict[str, Any]:
    """Parameters `{question: string}`, required, documented with `doc`."""
    return {"type": "object", "properties": {"question": {"type": "string", "description": doc}},
            "required": ["question"]}


def require_question(arguments: dict[str, Any]) -> str:
    question = arguments.get("question")
    if not isinstance(question, str) or not question.strip():
        raise ToolFailure("missing argument 'question': pass the question as a non-empty string")
    return question


def to_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, default=str)


class Executor(ABC):
    """One hosted tool, executed client-side."""

    requires_approval: bool = False
    """MCP-backed tools (uc_connection, app) stop the turn with an approval request unless trusted."""

    def __init__(self, tool: HostedTool, context: ToolContext) -> None:
        self.tool = tool
        self.context = context

    @property
    def server_label(self) -> str:
        """How approval requests name the server: the connection or App name."""
        return self.tool.ref

    @abstractmethod
    def functions(self) -> list[FunctionTool]:
        """The function tools this hosted tool offers (may call the workspace, e.g. MCP list_tools)."""

    @abstractmethod
    def call(self, name: str, arguments: dict[str, Any]) -> str:
        """Run one call; the returned text is the model's tool output."""

    def describe(self, doc: str) -> str:
        """The spec's description (what the router reads) followed by how to call the tool."""
        return f"{self.tool.description.rstrip()}\n\n{doc}"


__all__ = ["Executor", "FunctionTool", "MAX_NAME", "ToolContext", "ToolFailure", "question_schema",
           "require_question", "to_text"]
