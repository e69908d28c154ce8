"""The contract between the emulator's serving endpoints and the models behind them.

A model sees a normalized chat (system/user/assistant/tool messages) and the function tools on
offer, and answers one turn: text, or tool calls. Serving routes translate OpenAI chat
completions and Responses requests into this form and back, so every model kind (reference,
scripted, passthrough) serves both APIs and both agent engines.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

Role = Literal["system", "user", "assistant", "tool"]


@dataclass(frozen=True)
class ToolSpec:
    """A function tool as offered to the model: name, description, JSON-schema parameters."""

    name: str
    description: str = ""
    parameters: dict[str, Any] = field(default_factory=lambda: {"type": "object", "properties": {}})


@dataclass(frozen=True)
class ToolCall:
    """One function call the model asks for; `arguments` is the decoded JSON object."""

    name: str
    arguments: dict[str, Any]
    call_id: str


@dataclass(frozen=True)
class Message:
    """One chat message. Assistant messages may carry tool calls; tool messages answer one call."""

    role: Role
    content: str = ""
    tool_calls: tuple[ToolCall, ...] = ()
    tool_call_id: str | None = None
    name: str | None = None  # the tool's name on role="tool" messages


@dataclass(frozen=True)
class ModelTurn:
    """A model's answer to one request: final text, or tool calls (possibly several in parallel)."""

    text: str | None = None
    tool_calls: tuple[ToolCall, ...] = ()
    usage: dict[str, int] = field(default_factory=dict)

    @property
    def is_final(self) -> bool:
        return not self.tool_calls


class Model(Protocol):
    """Anything that answers a turn. Implementations must be deterministic for the same input."""

    def respond(self, messages: list[Message], tools: list[ToolSpec]) -> ModelTurn: ...
