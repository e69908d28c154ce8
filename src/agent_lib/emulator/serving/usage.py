"""Rough token counts for the `usage` block every serving response carries.

Not a tokenizer: about four characters a token, at least one per non-empty text, which is what
a test or a cost estimate needs to see (counts that grow with the conversation), nothing more.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from ..models.base import Message, ModelTurn, ToolSpec


def count_tokens(text: str | None) -> int:
    if not text:
        return 0
    return max(1, (len(text) + 3) // 4)


def prompt_tokens(messages: Sequence[Message], tools: Sequence[ToolSpec] = ()) -> int:
    total = 0
    for m in messages:
        total += 4 + count_tokens(m.content)  # per-message framing, as chat formats have
        for c in m.tool_calls:
            total += count_tokens(c.name) + count_tokens(json.dumps(c.arguments))
    for t in tools:
        total += count_tokens(t.name) + count_tokens(t.description) + count_tokens(json.dumps(t.parameters))
    return total


def completion_tokens(turn: ModelTurn) -> int:
    total = count_tokens(turn.text)
    for c in turn.tool_calls:
        total += 3 + count_tokens(c.name) + count_tokens(json.dumps(c.arguments))
    return max(total, 1)


def turn_usage(messages: Sequence[Message], tools: Sequence[ToolSpec], turn: ModelTurn) -> tuple[int, int]:
    """(input tokens, output tokens): the model's own counts when it reports them, else estimates."""
    given = turn.usage or {}
    prompt = given.get("prompt_tokens", given.get("input_tokens"))
    completion = given.get("completion_tokens", given.get("output_tokens"))
    return (int(prompt) if prompt is not None else prompt_tokens(messages, tools),
            int(completion) if completion is not None else completion_tokens(turn))
