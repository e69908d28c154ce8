"""`uc_connection`: the MCP server behind a Unity Catalog connection, through the managed MCP proxy
`/api/2.0/mcp/external/{connection}`.

The model is offered every tool the server lists, under its MCP name (as upstream names them), and
each call needs the user's approval (`mcp_approval_request`) unless the connection is trusted
(`auto_approve`).
"""

from __future__ import annotations

from typing import Any

from . import _mcp
from .base import Executor, FunctionTool


class UcConnectionExecutor(Executor):
    requires_approval = True

    def __init__(self, tool: Any, context: Any) -> None:
        super().__init__(tool, context)
        self.path = f"/api/2.0/mcp/external/{tool.ref}"

    def functions(self) -> list[FunctionTool]:
        tools = self.context.retry.call(lambda: self.context.mcp.list_tools(self.path))
        return [FunctionTool(t.name, self._description(t), _mcp.schema_of(t)) for t in tools]

    def _description(self, tool: Any) -> str:
        own = (tool.description or tool.name).strip()
        return f"{own}\n\n(MCP server of connection {self.tool.ref}: {self.tool.description.strip()})"

    def call(self, name: str, arguments: dict[str, Any]) -> str:
        # 429/503: the proxy did not run the call, so repeating it is safe (`RetryPolicy`)
        return self.context.retry.call(lambda: self.context.mcp.call_tool(self.path, name, arguments))


__all__ = ["UcConnectionExecutor"]
