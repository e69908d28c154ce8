"""The reference model: a deterministic function-calling model with no weights.

It is the emulated workspace's default model, so the whole workflow (prototyping, evaluation,
the deployed App) runs offline with tools the user brings. One turn:

1. If the latest user message has been answered by tool outputs, write the final answer from
   them, or first (bounded) call a tool for a part of the request still unanswered, such as a
   call that was waiting for an id or address another tool's output provides (`ref.chain`).
2. Otherwise split the request into parts, route each part to the most relevant tool by lexical
   relevance (`ref.relevance`), fill arguments from the text and the parameter schemas
   (`ref.fill`), and return the calls, in parallel when the request asks for several things.
3. If no tool fits, answer without tools and say why.

Same messages and tools in, same turn out: call ids are hashes of the turn position, tool name and
arguments, and relative dates resolve only against a date stated in a system message.

    >>> from agent_lib.emulator.models.base import Message, ToolSpec
    >>> tools = [ToolSpec("get_order_status", "Status of a sales order",
    ...                   {"type": "object", "properties": {"order_id": {"type": "string"}}})]
    >>> turn = ReferenceModel().respond([Message("user", "Where is order SO-10042?")], tools)
    >>> turn.tool_calls[0].name, turn.tool_calls[0].arguments
    ('get_order_status', {'order_id': 'SO-10042'})
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass

from .base import Message, ModelTurn, ToolCall, ToolSpec
from .ref.answer import abstain, chat_reply, final_answer
from .ref.chain import complete, missing, split_ready
from .ref.dates import find_anchor
from .ref.plan import Call, is_chat, plan_followup

__all__ = ["ReferenceModel"]


@dataclass(frozen=True)
class ReferenceModel:
    """Routes by relevance, fills arguments from the request, abstains, answers from tool outputs."""

    max_tool_rounds: int = 3
    """Tool-calling rounds allowed for one user message before the model must answer."""

    def respond(self, messages: list[Message], tools: list[ToolSpec]) -> ModelTurn:
        users = [i for i, m in enumerate(messages) if m.role == "user"]
        if not users:
            return self._turn(messages, tools, text="How can I help?")
        last = users[-1]
        request = messages[last].content or ""
        history = tuple(messages[i].content or "" for i in reversed(users[:-1]))
        anchor = find_anchor([m.content for m in messages if m.role == "system" and m.content])
        results = _results_since(messages[last + 1 :])
        rounds = sum(1 for m in messages[last + 1 :] if m.role == "assistant" and m.tool_calls)
        planned = plan_followup(request, tools, history, anchor)
        if not rounds:
            if planned:
                ready, _waiting = split_ready(planned)
                return self._turn(messages, tools, calls=ready)
            text = chat_reply(request, tools) if is_chat(request) else abstain(request, tools)
            return self._turn(messages, tools, text=text)
        called = {c.name for c, _ in results}
        unserved = [c for c in planned if c.tool.name not in called]
        if rounds < self.max_tool_rounds:
            made = {(c.name, _canonical(c.arguments)) for c, _ in results}
            pending = []
            for call in unserved:
                call = complete(call, results) if missing(call) else call
                if call is not None and (call.tool.name, _canonical(call.arguments)) not in made:
                    pending.append(call)
            if pending:
                return self._turn(messages, tools, calls=pending)
        notes = [
            f"I could not call `{c.tool.name}`: it needs {', '.join(missing(c))}, which neither the "
            "request nor the other tools' outputs provided."
            for c in unserved
            if missing(c)
        ]
        return self._turn(messages, tools, text=final_answer(results, notes))

    def _turn(
        self,
        messages: list[Message],
        tools: list[ToolSpec],
        *,
        text: str | None = None,
        calls: list[Call] = (),
    ) -> ModelTurn:
        tool_calls = tuple(
            ToolCall(c.tool.name, c.arguments, _call_id(len(messages), c.tool.name, c.arguments, k))
            for k, c in enumerate(calls)
        )
        prompt = sum(
            len(m.content or "") + sum(len(_canonical(c.arguments)) for c in m.tool_calls) for m in messages
        )
        prompt += sum(
            len(t.name) + len(t.description or "") + len(json.dumps(t.parameters or {})) for t in tools
        )
        completion = len(text or "") + sum(len(c.name) + len(_canonical(c.arguments)) for c in tool_calls)
        usage = {
            "prompt_tokens": math.ceil(prompt / 4),
            "completion_tokens": math.ceil(completion / 4),
        }
        usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
        return ModelTurn(text=None if tool_calls else text, tool_calls=tool_calls, usage=usage)


def _results_since(messages: list[Message]) -> list[tuple[ToolCall, Message | None]]:
    """Each call made since the latest user message, with the tool message that answered it."""
    outputs = {m.tool_call_id: m for m in messages if m.role == "tool"}
    results: list[tuple[ToolCall, Message | None]] = []
    for m in messages:
        if m.role == "assistant":
            results.extend((c, outputs.get(c.call_id)) for c in m.tool_calls)
    return results


def _canonical(args: dict) -> str:
    return json.dumps(args, sort_keys=True, ensure_ascii=False, default=str)


def _call_id(position: int, name: str, args: dict, k: int) -> str:
    digest = hashlib.sha256(f"{position}|{name}|{_canonical(args)}|{k}".encode()).hexdigest()
    return f"call_{digest[:24]}"
