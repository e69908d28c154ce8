"""The five hosted tool types, in the Supervisor API's nested wire shape `{"type": T, T: {...}}`.

The objects mirror the wire format exactly (`tool.model_dump()` is the request JSON), so there is
one shape to learn; `tool.config`, `tool.ref` and `tool.description` spare callers the nesting.
`normalize_tool` accepts the hand-written compact form `{T: {...}}` too, and recognises the flat
and retired (March 2026) shapes so it can say what replaces them instead of failing vaguely.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field, field_validator

from agent_lib.spec._base import Identifier, NonEmpty, SpecModel, spec_problem
from agent_lib.spec._errors import TOOL_TYPES

APP_NAME = re.compile(r"^[a-z0-9][a-z0-9-]*$")
"""Databricks App names: lowercase letters, digits and hyphens."""

_KNOWN = ", ".join(TOOL_TYPES)

RETIRED_TOOL_TYPES: dict[str, str] = {
    "genie": "genie_space {id, description} (space_id becomes id)",
    "agent_endpoint": (
        "knowledge_assistant {knowledge_assistant_id, description} "
        "(use the Knowledge Assistant's id, not its endpoint name)"
    ),
    "mcp": "uc_connection {name, description} (connection_name becomes name)",
    "unity_catalog_function": "uc_function {name, description}",
    "external_mcp_server": "uc_connection {name, description} (connection_name becomes name)",
    "connection": "uc_connection {name, description}",
}
"""Tool types of the 2026 shapes the Supervisor API no longer accepts, and what replaces each."""


class GenieSpace(SpecModel):
    """A Genie space the agent asks natural-language data questions."""

    spec_path: ClassVar[str] = "genie_space"
    renamed_keys: ClassVar[dict[str, str]] = {"space_id": "rename space_id to id (genie_space {id, description})"}

    id: Identifier
    description: NonEmpty


class UcFunction(SpecModel):
    """A Unity Catalog function the agent calls with arguments from its parameter schema."""

    spec_path: ClassVar[str] = "uc_function"
    renamed_keys: ClassVar[dict[str, str]] = {
        "name_alias": "drop name_alias; the current shape is uc_function {name, description}"
    }

    name: Identifier
    description: NonEmpty
    definition: str | None = None
    """Path of a `CREATE OR REPLACE FUNCTION` SQL file, relative to agent.yml, that notebook 01
    creates the function from (and replaces it with when the file changes). Not sent to the
    Supervisor API: only agent_lib reads it."""

    local_keys: ClassVar[frozenset[str]] = frozenset({"definition"})

    @field_validator("definition")
    @classmethod
    def _sql_file(cls, definition: str | None) -> str | None:
        if definition is not None and not definition.lower().endswith(".sql"):
            raise spec_problem(
                f"'{definition}' is not a .sql file",
                "point definition at the function's CREATE OR REPLACE FUNCTION file, "
                "e.g. definition: functions/get_order_status.sql (relative to agent.yml)",
            )
        return definition or None

    @field_validator("name")
    @classmethod
    def _three_part(cls, name: str) -> str:
        """Unity Catalog functions are always addressed as catalog.schema.function."""
        parts = name.split(".")
        if len(parts) != 3 or not all(parts):
            raise spec_problem(
                f"'{name}' is not a three-part Unity Catalog name",
                "write the full name catalog.schema.function, e.g. main.sales.get_order_status",
            )
        return name


class KnowledgeAssistant(SpecModel):
    """An Agent Bricks Knowledge Assistant that answers from its documents."""

    spec_path: ClassVar[str] = "knowledge_assistant"
    renamed_keys: ClassVar[dict[str, str]] = {
        "endpoint_name": "replace endpoint_name with knowledge_assistant_id, the Knowledge Assistant's id",
        "id": "rename id to knowledge_assistant_id",
    }

    knowledge_assistant_id: Identifier
    description: NonEmpty


class UcConnection(SpecModel):
    """A Unity Catalog connection to an MCP server, reached through the managed MCP proxy."""

    spec_path: ClassVar[str] = "uc_connection"
    renamed_keys: ClassVar[dict[str, str]] = {
        "connection_name": "rename connection_name to name (uc_connection {name, description})"
    }

    name: Identifier
    description: NonEmpty


class App(SpecModel):
    """Another Databricks App (an agent or a custom MCP server) the agent can call."""

    spec_path: ClassVar[str] = "app"

    name: Identifier
    description: NonEmpty

    @field_validator("name")
    @classmethod
    def _app_name(cls, name: str) -> str:
        if not APP_NAME.match(name):
            raise spec_problem(
                f"'{name}' is not a Databricks App name", "use the App's name: lowercase letters, digits, hyphens"
            )
        return name


class _HostedTool(SpecModel):
    """Accessors shared by the five tool types; subclasses hold one config under their type key."""

    type: str

    @property
    def config(self) -> GenieSpace | UcFunction | KnowledgeAssistant | UcConnection | App:
        """The settings nested under the type key."""
        return getattr(self, self.type)  # type: ignore[no-any-return]

    @property
    def description(self) -> str:
        """What the router reads to choose this tool."""
        return self.config.description

    @property
    def ref(self) -> str:
        """The id or name that identifies the tool's Databricks resource."""
        config = self.config
        if isinstance(config, GenieSpace):
            return config.id
        if isinstance(config, KnowledgeAssistant):
            return config.knowledge_assistant_id
        return config.name

    @property
    def label(self) -> str:
        """`type ref`, how plans and messages name the tool."""
        return f"{self.type} {self.ref}"

    def to_wire(self) -> dict[str, Any]:
        """The tool object of a Supervisor API request (without agent_lib's own keys)."""
        local = getattr(type(self.config), "local_keys", frozenset())
        return self.model_dump(mode="json", exclude={self.type: set(local)} if local else None)


class GenieSpaceTool(_HostedTool):
    type: Literal["genie_space"] = "genie_space"
    genie_space: GenieSpace


class UcFunctionTool(_HostedTool):
    type: Literal["uc_function"] = "uc_function"
    uc_function: UcFunction


class KnowledgeAssistantTool(_HostedTool):
    type: Literal["knowledge_assistant"] = "knowledge_assistant"
    knowledge_assistant: KnowledgeAssistant


class UcConnectionTool(_HostedTool):
    type: Literal["uc_connection"] = "uc_connection"
    uc_connection: UcConnection


class AppTool(_HostedTool):
    type: Literal["app"] = "app"
    app: App


HostedTool = Annotated[
    GenieSpaceTool | UcFunctionTool | KnowledgeAssistantTool | UcConnectionTool | AppTool,
    Field(discriminator="type"),
]
"""Any of the five hosted tools, chosen by its `type`."""


def _nest_example(kind: str) -> str:
    return f"{{type: {kind}, {kind}: {{...}}}} or the compact '- {kind}: {{...}}'"


def _check_type(kind: object, at: str) -> str:
    if isinstance(kind, str) and kind in RETIRED_TOOL_TYPES:
        raise spec_problem(
            f"tool type '{kind}' is a retired March-2026 Supervisor API shape",
            f"use the current shape {RETIRED_TOOL_TYPES[kind]}",
            at,
        )
    if kind not in TOOL_TYPES:
        raise spec_problem(f"unknown tool type {kind!r}", f"use one of the hosted tool types: {_KNOWN}", at)
    return kind  # type: ignore[return-value]


def normalize_tool(raw: Any, index: int) -> Any:
    """One `tools` entry in the nested form `{type: T, T: {...}}`, or a spec error naming `tools[index]`.

    Accepts the nested form and the compact `{T: {...}}`; rejects the flat `{type: T, name, ...}` that
    the Supervisor API rejects too, unknown and retired types, and entries that mix the forms.
    """
    at = f"[{index}]"
    if isinstance(raw, SpecModel):
        return raw
    if not isinstance(raw, dict):
        raise spec_problem(
            f"a tool must be a mapping, got {type(raw).__name__} {raw!r}",
            f"write each tool as {_nest_example('genie_space')}",
            at,
        )
    if "type" not in raw:
        keys = list(raw)
        if len(keys) != 1:
            raise spec_problem(
                f"tool has no 'type' and {len(keys)} keys ({', '.join(map(str, keys))})",
                f"write it as {_nest_example('<type>')} with <type> one of: {_KNOWN}",
                at,
            )
        kind = _check_type(keys[0], f"{at}.{keys[0]}")
        return {"type": kind, kind: raw[kind]}
    kind = _check_type(raw["type"], f"{at}.type")
    extra = [k for k in raw if k not in ("type", kind)]
    if kind not in raw:
        settings = ", ".join(f"{k}: ..." for k in extra) or "..."
        raise spec_problem(
            f"flat tool form {{type: {kind}, {settings}}} (the Supervisor API rejects it)",
            f"nest the settings under the type key: {{type: {kind}, {kind}: {{{settings}}}}}",
            at,
        )
    if extra:
        raise spec_problem(
            f"unexpected key '{extra[0]}' beside '{kind}'",
            f"move it inside the {kind} mapping; a tool has only 'type' and '{kind}'",
            f"{at}.{extra[0]}",
        )
    return raw
