"""OpenAI chat completions on the wire <-> the model contract (`models.base`).

Used by the serving routes (`/serving-endpoints/chat/completions` and chat-shaped
`/invocations`) and by the passthrough model, which speaks the same format to an upstream server.
Responses are built through the openai package's own types, so whatever we send parses in the
openai client without a warning.

    messages = parse_messages(body["messages"])          # -> list[Message]
    tools = parse_tools(body.get("tools"))               # -> list[ToolSpec]
    completion(turn, model="databricks-claude-sonnet-4-5", usage=(12, 5))   # -> dict
    for frame in sse_frames(completion_chunks(turn, model, usage)): ...    # streaming
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import replace
from typing import Any

from ..core.errors import invalid
from .base import Message, ModelTurn, ToolCall, ToolSpec

_ROLES = {"system": "system", "developer": "system", "user": "user", "assistant": "assistant", "tool": "tool"}


# -- request -> contract ------------------------------------------------------------------------

def content_text(content: Any, where: str) -> str:
    """Text of a chat `content`: a string, null, or a list of parts (text parts are joined)."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        texts: list[str] = []
        for i, part in enumerate(content):
            if isinstance(part, str):
                texts.append(part)
            elif isinstance(part, dict) and isinstance(part.get("text"), str):
                texts.append(part["text"])
            elif isinstance(part, dict) and "type" in part:
                continue  # images, audio, files: not seen by the emulator's models
            else:
                raise invalid(f"{where}[{i}] must be a content part object with a 'type'")
        return "\n".join(texts)
    raise invalid(f"{where} must be a string or a list of content parts")


def decode_arguments(raw: Any, where: str) -> dict[str, Any]:
    if raw is None or raw == "":
        return {}
    if isinstance(raw, dict):
        return raw
    if not isinstance(raw, str):
        raise invalid(f"{where} must be a JSON-encoded string")
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise invalid(f"{where} is not valid JSON: {exc.msg}") from exc
    if not isinstance(value, dict):
        raise invalid(f"{where} must encode a JSON object")
    return value


def parse_messages(messages: Any) -> list[Message]:
    """OpenAI chat `messages` -> contract messages; 400 naming the field on anything malformed."""
    if not isinstance(messages, list) or not messages:
        raise invalid("messages must be a non-empty list of chat messages")
    out: list[Message] = []
    names: dict[str, str] = {}
    for i, m in enumerate(messages):
        where = f"messages[{i}]"
        if not isinstance(m, dict):
            raise invalid(f"{where} must be an object with 'role' and 'content'")
        role = _ROLES.get(m.get("role"))  # type: ignore[arg-type]
        if role is None:
            raise invalid(f"{where}.role must be one of system, developer, user, assistant, tool "
                          f"(got {m.get('role')!r})")
        text = content_text(m.get("content"), f"{where}.content")
        if role == "assistant":
            calls: list[ToolCall] = []
            for j, tc in enumerate(m.get("tool_calls") or []):
                cw = f"{where}.tool_calls[{j}]"
                fn = tc.get("function") if isinstance(tc, dict) else None
                if not isinstance(fn, dict) or not isinstance(fn.get("name"), str):
                    raise invalid(f"{cw}.function.name is required")
                call_id = tc.get("id") or f"call_{i}_{j}"
                names[call_id] = fn["name"]
                args = decode_arguments(fn.get("arguments"), f"{cw}.function.arguments")
                calls.append(ToolCall(fn["name"], args, call_id))
            out.append(Message("assistant", text.strip() if calls and not text.strip() else text,
                               tool_calls=tuple(calls)))
        elif role == "tool":
            call_id = m.get("tool_call_id")
            if not isinstance(call_id, str) or not call_id:
                raise invalid(f"{where}.tool_call_id is required on role 'tool' messages")
            out.append(Message("tool", text, tool_call_id=call_id, name=m.get("name") or names.get(call_id)))
        else:
            out.append(Message(role, text))  # type: ignore[arg-type]
    return out


def parse_tools(tools: Any) -> list[ToolSpec]:
    """Chat `tools` (`[{"type": "function", "function": {...}}]`) -> tool specs."""
    if tools is None:
        return []
    if not isinstance(tools, list):
        raise invalid("tools must be a list of function tools")
    specs: list[ToolSpec] = []
    for i, t in enumerate(tools):
        where = f"tools[{i}]"
        if not isinstance(t, dict) or t.get("type") != "function":
            kind = t.get("type") if isinstance(t, dict) else type(t).__name__
            raise invalid(f"{where}.type must be 'function' (got {kind!r})")
        fn = t.get("function")
        if not isinstance(fn, dict) or not isinstance(fn.get("name"), str) or not fn["name"]:
            raise invalid(f"{where}.function.name is required")
        specs.append(_spec(fn, f"{where}.function"))
    return specs


def _spec(fn: dict[str, Any], where: str) -> ToolSpec:
    params = fn.get("parameters")
    if params is None:
        params = {"type": "object", "properties": {}}
    if not isinstance(params, dict):
        raise invalid(f"{where}.parameters must be a JSON schema object")
    desc = fn.get("description") or ""
    if not isinstance(desc, str):
        raise invalid(f"{where}.description must be a string")
    return ToolSpec(fn["name"], desc, params)


# -- contract -> wire (for an upstream OpenAI-compatible server) ---------------------------------

def messages_to_wire(messages: Iterable[Message]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for m in messages:
        if m.role == "tool":
            out.append({"role": "tool", "tool_call_id": m.tool_call_id, "content": m.content})
        elif m.role == "assistant" and m.tool_calls:
            out.append({"role": "assistant", "content": m.content or None,
                        "tool_calls": [_tool_call_wire(c) for c in m.tool_calls]})
        else:
            out.append({"role": m.role, "content": m.content})
    return out


def tools_to_wire(tools: Iterable[ToolSpec]) -> list[dict[str, Any]]:
    return [{"type": "function", "function": {"name": t.name, "description": t.description,
                                              "parameters": t.parameters}} for t in tools]


def turn_from_wire(body: Any) -> ModelTurn:
    """A chat completion from an upstream server -> a model turn (first choice)."""
    try:
        choice = body["choices"][0]
        msg = choice["message"]
    except (KeyError, IndexError, TypeError) as exc:
        raise ValueError(f"not a chat completion (no choices[0].message): {str(body)[:200]}") from exc
    calls = []
    for j, tc in enumerate(msg.get("tool_calls") or []):
        fn = tc.get("function") or {}
        args = fn.get("arguments") or "{}"
        try:
            decoded = json.loads(args) if isinstance(args, str) else dict(args)
        except json.JSONDecodeError:
            decoded = {"_raw_arguments": args}
        if not isinstance(decoded, dict):
            decoded = {"value": decoded}
        calls.append(ToolCall(fn.get("name", ""), decoded, tc.get("id") or f"call_{j}"))
    usage = body.get("usage") or {}
    text = content_text(msg.get("content"), "choices[0].message.content") if not calls else None
    return ModelTurn(text=text, tool_calls=tuple(calls),
                     usage={k: int(v) for k, v in usage.items() if k in ("prompt_tokens", "completion_tokens")
                            and isinstance(v, int)})


def _tool_call_wire(c: ToolCall) -> dict[str, Any]:
    return {"id": c.call_id, "type": "function",
            "function": {"name": c.name, "arguments": json.dumps(c.arguments)}}


# -- contract -> response ------------------------------------------------------------------------

def new_id() -> str:
    return "chatcmpl_" + uuid.uuid4().hex


def _usage(usage: tuple[int, int]) -> dict[str, int]:
    return {"prompt_tokens": usage[0], "completion_tokens": usage[1], "total_tokens": usage[0] + usage[1]}


def completion(turn: ModelTurn, model: str, usage: tuple[int, int], *, completion_id: str | None = None,
               created: int | None = None) -> dict[str, Any]:
    """A `chat.completion` object for one model turn (validated through openai's ChatCompletion)."""
    from openai.types.chat import ChatCompletion

    content = turn.text if not turn.tool_calls else (turn.text or None)
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if turn.tool_calls:
        message["tool_calls"] = [_tool_call_wire(c) for c in turn.tool_calls]
    body = {"id": completion_id or new_id(), "object": "chat.completion",
            "created": created or int(time.time()), "model": model,
            "choices": [{"index": 0, "message": message,
                         "finish_reason": "tool_calls" if turn.tool_calls else "stop"}],
            "usage": _usage(usage)}
    out = ChatCompletion.model_validate(body).model_dump(mode="json", exclude_none=True)
    out["choices"][0]["message"].setdefault("content", None)  # OpenAI sends an explicit null
    return out


def text_pieces(text: str, words: int = 3) -> list[str]:
    """Split text into small deltas (a few words each) that concatenate back to the text."""
    tokens = re.findall(r"\s*\S+\s*|\s+", text)
    if not tokens:
        return [text] if text else []
    return ["".join(tokens[i:i + words]) for i in range(0, len(tokens), words)]


def completion_chunks(turn: ModelTurn, model: str, usage: tuple[int, int], *,
                      completion_id: str | None = None,
                      created: int | None = None) -> Iterator[dict[str, Any]]:
    """`chat.completion.chunk` objects for one turn: role, deltas, finish reason with usage."""
    from openai.types.chat import ChatCompletionChunk

    cid, ts = completion_id or new_id(), created or int(time.time())

    def chunk(delta: dict[str, Any], finish: str | None = None, with_usage: bool = False) -> dict[str, Any]:
        body: dict[str, Any] = {"id": cid, "object": "chat.completion.chunk", "created": ts, "model": model,
                                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
        if with_usage:
            body["usage"] = _usage(usage)
        return ChatCompletionChunk.model_validate(body).model_dump(mode="json", exclude_none=True)

    if turn.tool_calls:
        yield chunk({"role": "assistant", "content": turn.text or None})
        for j, c in enumerate(turn.tool_calls):
            yield chunk({"tool_calls": [{"index": j, "id": c.call_id, "type": "function",
                                         "function": {"name": c.name, "arguments": ""}}]})
            yield chunk({"tool_calls": [{"index": j, "function": {"arguments": json.dumps(c.arguments)}}]})
        yield chunk({}, "tool_calls", with_usage=True)
        return
    yield chunk({"role": "assistant", "content": ""})
    for piece in text_pieces(turn.text or ""):
        yield chunk({"content": piece})
    yield chunk({}, "stop", with_usage=True)


def sse_frames(chunks: Iterable[dict[str, Any]]) -> Iterator[bytes]:
    """Chat streaming on the wire: `data: {...}` frames, then `data: [DONE]`."""
    for c in chunks:
        yield f"data: {json.dumps(c, separators=(',', ':'))}\n\n".encode()
    yield b"data: [DONE]\n\n"


def with_tool_names(messages: list[Message]) -> list[Message]:
    """Fill `name` on tool messages from the assistant call they answer (when the client omitted it)."""
    names = {c.call_id: c.name for m in messages for c in m.tool_calls}
    return [replace(m, name=names.get(m.tool_call_id or "")) if m.role == "tool" and not m.name else m
            for m in messages]


__all__ = ["completion", "completion_chunks", "content_text", "decode_arguments", "messages_to_wire",
           "new_id", "parse_messages", "parse_tools", "sse_frames", "text_pieces", "tools_to_wire",
           "turn_from_wire", "with_tool_names"]
