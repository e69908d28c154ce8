"""`AgentSpec`: the one place a user declares the agent (model, instructions, engine, auth, tools).

Everything downstream (the Supervisor request, scopes, grants, bundle resources) is derived from it
by pure functions in `agent_lib.spec.derive`, so a spec that validates here is the only input the
notebooks, the App and the evaluation need. Validation never touches the network.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import field_validator, model_validator

from agent_lib.spec._base import Identifier, SpecModel, spec_problem
from agent_lib.spec._yaml import dump_yaml
from agent_lib.spec.tools import APP_NAME, HostedTool, normalize_tool

Engine = Literal["hosted", "client"]
Authorization = Literal["app", "user"]


class AgentSpec(SpecModel):
    """A validated, immutable agent declaration; tools are kept in the Supervisor API's wire shape."""

    name: str = "agent-lib-demo"
    """The agent's App name: lowercase letters, digits and hyphens."""
    model: Identifier
    """The serving endpoint that plays the model, e.g. `databricks-claude-sonnet-4-5`."""
    instructions: str = ""
    """The system prompt; omitted from requests when empty."""
    engine: Engine = "client"
    """`hosted`: the Supervisor API runs the loop; `client`: the same loop runs in this process."""
    authorization: Authorization = "app"
    """`app`: the App's service principal calls the tools; `user`: the signed-in user does (OBO)."""
    tools: tuple[HostedTool, ...] = ()
    """Hosted tools, each `{type: T, T: {...}}`; the router chooses among them by description."""

    @field_validator("name")
    @classmethod
    def _app_name(cls, name: str) -> str:
        if not APP_NAME.match(name):
            raise spec_problem(
                f"'{name}' is not a valid App name",
                "use lowercase letters, digits and hyphens, e.g. name: agent-lib-demo",
            )
        return name

    @field_validator("tools", mode="before")
    @classmethod
    def _tool_shapes(cls, tools: Any) -> Any:
        """Compact → nested, and precise messages for flat, unknown and retired shapes."""
        if tools is None:
            return ()
        if isinstance(tools, list | tuple):
            return [normalize_tool(tool, i) for i, tool in enumerate(tools)]
        return tools

    @model_validator(mode="after")
    def _consistent(self) -> AgentSpec:
        """Rules that span tools: no duplicates, no `app` tool on behalf of a user."""
        seen: dict[tuple[str, str], int] = {}
        for i, tool in enumerate(self.tools):
            key = (tool.type, tool.ref)
            if key in seen:
                raise spec_problem(
                    f"duplicate tool: same {tool.label} as tools[{seen[key]}]",
                    f"remove one of tools[{seen[key]}] and tools[{i}]",
                    f"tools[{i}]",
                )
            seen[key] = i
            if tool.type == "app" and self.authorization == "user":
                raise spec_problem(
                    "app tools are not supported upstream with authorization: user (on-behalf-of)",
                    "set authorization: app so the App's service principal calls it, or remove this tool",
                    f"tools[{i}].app",
                )
        return self

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able data, tools in the nested wire form; `spec_from_dict` reads it back."""
        return self.model_dump(mode="json", exclude_none=True)

    def to_yaml(self) -> str:
        """agent.yml text for this spec; loading it gives an equal spec."""
        return dump_yaml(self.to_dict())
