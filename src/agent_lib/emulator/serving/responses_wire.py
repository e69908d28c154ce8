"""The OpenAI Responses API on the wire <-> the model contract (`models.base`).

Used by `/serving-endpoints/responses`, Responses-shaped `/invocations` (foundation models and
Knowledge Assistants) and meant for any other Responses producer in the emulator (the Supervisor
API): parse `input` + `tools` into messages and tool specs, build a `response` object from output
items, and turn a finished response into the SSE event sequence the openai client parses:

    created -> in_progress -> per item: output_item.added ->
        (message: content_part.added -> output_text.delta... -> output_text.done -> content_part.done |
         function_call: function_call_arguments.delta -> function_call_arguments.done)
        -> output_item.done  -> completed

Objects are validated through the openai package's types (`Response`, the stream event union).
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from functools import lru_cache
from typing import Any

from ..core.errors import invalid
from ..models.base import Message, ModelTurn, ToolCall, ToolSpec
from ..models.chat_wire import content_text, decode_arguments, text_pieces

_ROLES = {"system": "system", "developer": "system", "user": "user", "assistant": "assistant"}
_SKIPPED_INPUT_TYPES = {"reasoning", "item_reference", "compaction"}


def new_response_id() -> str:
    return "resp_" + uuid.uuid4().hex


def new_item_id(prefix: str = "msg") -> str:
    return f"{prefix}_{uuid.uuid4().hex}"


# -- request -> contract ------------------------------------------------------------------------

def parse_input(input: Any, instructions: str | None = None) -> list[Message]:
    """Responses `input` (a string or a list of items) -> contract messages.

    Understands messages (`role` + string or part-list `content`), `function_call` items (merged
    into the preceding assistant turn) and `function_call_output` items; reasoning items are
    skipped. Anything else is a 400 naming the item.
    """
    messages: list[Message] = []
    if instructions:
        if not isinstance(instructions, str):
            raise invalid("instructions must be a string")
        messages.append(Message("system", instructions))
    if isinstance(input, str):
        if not input.strip():
            raise invalid("input must not be empty")
        messages.append(Message("user", input))
        return messages
    if not isinstance(input, list) or not input:
        raise invalid("input must be a string or a non-empty list of input items")
    names: dict[str, str] = {}
    for i, item in enumerate(input):
        where = f"input[{i}]"
        if not isinstance(item, dict):
            raise invalid(f"{where} must be an object")
        kind = item.get("type", "message" if "role" in item else None)
        if kind == "message":
            role = _ROLES.get(item.get("role"))  # type: ignore[arg-type]
            if role is None:
                raise invalid(f"{where}.role must be one of user, assistant, system, developer "
                              f"(got {item.get('role')!r})")
            text = content_text(item.get("content"), f"{where}.content")
            messages.append(Message(role, text))  # type: ignore[arg-type]
        elif kind == "function_call":
            name, call_id = item.get("name"), item.get("call_id")
            if not isinstance(name, str) or not name:
                raise invalid(f"{where}.name is required on function_call items")
            if not isinstance(call_id, str) or not call_id:
                raise invalid(f"{where}.call_id is required on function_call items")
            call = ToolCall(name, decode_arguments(item.get("arguments"), f"{where}.arguments"), call_id)
            names[call_id] = name
            last = messages[-1] if messages else None
            if last is not None and last.role == "assistant":
                messages[-1] = replace(last, tool_calls=(*last.tool_calls, call))
            else:
                messages.append(Message("assistant", "", tool_calls=(call,)))
        elif kind == "function_call_output":
            call_id = item.get("call_id")
            if not isinstance(call_id, str) or not call_id:
                raise invalid(f"{where}.call_id is required on function_call_output items")
            output = item.get("output")
            text = output if isinstance(output, str) else (
                content_text(output, f"{where}.output") if isinstance(output, list) else json.dumps(output))
            messages.append(Message("tool", text, tool_call_id=call_id, name=names.get(call_id)))
        elif kind in _SKIPPED_INPUT_TYPES:
            continue
        else:
            raise invalid(f"{where}.type {kind!r} is not supported by this endpoint "
                          "(use message, function_call or function_call_output items)")
    if not any(m.role in ("user", "tool") for m in messages):
        raise invalid("input must contain at least one user message")
    return messages


def split_tools(tools: Any) -> tuple[list[ToolSpec], list[dict[str, Any]]]:
    """Responses `tools` -> (function tool specs, every other tool dict untouched)."""
    if tools is None:
        return [], []
    if not isinstance(tools, list):
        raise invalid("tools must be a list")
    specs: list[ToolSpec] = []
    hosted: list[dict[str, Any]] = []
    for i, t in enumerate(tools):
        where = f"tools[{i}]"
        if not isinstance(t, dict) or not isinstance(t.get("type"), str):
            raise invalid(f"{where} must be an object with a 'type'")
        if t["type"] != "function":
            hosted.append(t)
            continue
        name = t.get("name")
        if not isinstance(name, str) or not name:
            raise invalid(f"{where}.name is required on function tools")
        params = t.get("parameters")
        if params is None:
            params = {"type": "object", "properties": {}}
        if not isinstance(params, dict):
            raise invalid(f"{where}.parameters must be a JSON schema object")
        specs.append(ToolSpec(name, t.get("description") or "", params))
    return specs, hosted


def parse_tools(tools: Any) -> list[ToolSpec]:
    """Function tools only; any hosted tool type is a 400 that says where those are served."""
    specs, hosted = split_tools(tools)
    if hosted:
        kind = hosted[0]["type"]
        raise invalid(f"tools: type {kind!r} is not supported on serving endpoints; hosted tools "
                      "(genie_space, uc_function, knowledge_assistant, ...) are served by the Supervisor "
                      "API at /ai-gateway/mlflow/v1/responses. Use 'function' tools here.")
    return specs


# -- contract -> response ------------------------------------------------------------------------

def message_item(text: str, *, item_id: str | None = None, annotations: Sequence[dict[str, Any]] = (),
                 status: str = "completed") -> dict[str, Any]:
    return {"type": "message", "id": item_id or new_item_id("msg"), "role": "assistant", "status": status,
            "content": [{"type": "output_text", "text": text, "annotations": list(annotations)}]}


def function_call_item(call: ToolCall, *, item_id: str | None = None,
                       status: str = "completed") -> dict[str, Any]:
    return {"type": "function_call", "id": item_id or new_item_id("fc"), "call_id": call.call_id,
            "name": call.name, "arguments": json.dumps(call.arguments), "status": status}


def turn_output(turn: ModelTurn) -> list[dict[str, Any]]:
    """Output items for one model turn: optional text message, then one item per tool call."""
    items: list[dict[str, Any]] = []
    if turn.text and (not turn.tool_calls or turn.text.strip()):
        items.append(message_item(turn.text))
    elif not turn.tool_calls:
        items.append(message_item(""))
    items.extend(function_call_item(c) for c in turn.tool_calls)
    return items


def tools_echo(specs: Iterable[ToolSpec]) -> list[dict[str, Any]]:
    return [{"type": "function", "name": t.name, "description": t.description, "parameters": t.parameters,
             "strict": False} for t in specs]


def response_object(output: list[dict[str, Any]], model: str, usage: tuple[int, int] | None, *,
                    response_id: str | None = None, created_at: float | None = None,
                    tools: list[dict[str, Any]] | None = None, instructions: str | None = None,
                    status: str = "completed", extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """A `response` object (validated through openai's `Response` where its items are standard)."""
    body: dict[str, Any] = {
        "id": response_id or new_response_id(), "object": "response",
        "created_at": created_at if created_at is not None else time.time(), "model": model,
        "status": status, "output": output, "parallel_tool_calls": True, "tool_choice": "auto",
        "tools": tools or [], "error": None, "incomplete_details": None,
    }
    if instructions:
        body["instructions"] = instructions
    if usage is not None:
        body["usage"] = {"input_tokens": usage[0],
                         "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
                         "output_tokens": usage[1], "output_tokens_details": {"reasoning_tokens": 0},
                         "total_tokens": usage[0] + usage[1]}
    clean = _validated_response(body)
    if extra:
        clean.update(extra)
    return clean


def _validated_response(body: dict[str, Any]) -> dict[str, Any]:
    from openai.types.responses import Response
    from pydantic import ValidationError

    try:
        return Response.model_validate(body).model_dump(mode="json", exclude_none=True, warnings=False)
    except ValidationError:
        if not _has_foreign_items(body["output"]):
            raise
        # Non-standard output items (another service's extensions): keep them as given, but still
        # make sure every standard item is well formed.
        for item in body["output"]:
            if item.get("type") in _OWN_ITEM_TYPES:
                _item_adapter().validate_python(item)
        return {k: v for k, v in body.items() if v is not None}


_OWN_ITEM_TYPES = ("message", "function_call")


def _has_foreign_items(items: Iterable[dict[str, Any]]) -> bool:
    return any(item.get("type") not in _OWN_ITEM_TYPES for item in items)


@lru_cache(maxsize=1)
def _item_adapter() -> Any:
    from openai.types.responses import ResponseOutputItem
    from pydantic import TypeAdapter

    return TypeAdapter(ResponseOutputItem)


@lru_cache(maxsize=1)
def _event_adapter() -> Any:
    from openai.types.responses import ResponseStreamEvent
    from pydantic import TypeAdapter

    return TypeAdapter(ResponseStreamEvent)


# -- streaming -----------------------------------------------------------------------------------

def stream_events(response: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The SSE events (with `sequence_number` from 0) that deliver a finished response."""
    seq = 0

    def ev(kind: str, **fields: Any) -> dict[str, Any]:
        nonlocal seq
        event = {"type": kind, "sequence_number": seq, **fields}
        seq += 1
        return _validated_event(event)

    pending = {**{k: v for k, v in response.items() if k != "usage"}, "status": "in_progress", "output": []}
    yield ev("response.created", response=pending)
    yield ev("response.in_progress", response=pending)
    for index, item in enumerate(response.get("output", [])):
        kind = item.get("type")
        item_id = item.get("id", "")
        if kind == "message":
            yield ev("response.output_item.added", output_index=index,
                     item={**item, "status": "in_progress", "content": []})
            for ci, part in enumerate(item.get("content", [])):
                if part.get("type") != "output_text":
                    yield ev("response.content_part.added", item_id=item_id, output_index=index,
                             content_index=ci, part=part)
                    yield ev("response.content_part.done", item_id=item_id, output_index=index,
                             content_index=ci, part=part)
                    continue
                yield ev("response.content_part.added", item_id=item_id, output_index=index, content_index=ci,
                         part={"type": "output_text", "text": "", "annotations": []})
                for piece in text_pieces(part.get("text", "")):
                    yield ev("response.output_text.delta", item_id=item_id, output_index=index,
                             content_index=ci, delta=piece, logprobs=[])
                for ai, annotation in enumerate(part.get("annotations") or []):
                    yield ev("response.output_text.annotation.added", item_id=item_id, output_index=index,
                             content_index=ci, annotation_index=ai, annotation=annotation)
                yield ev("response.output_text.done", item_id=item_id, output_index=index, content_index=ci,
                         text=part.get("text", ""), logprobs=[])
                yield ev("response.content_part.done", item_id=item_id, output_index=index, content_index=ci,
                         part=part)
            yield ev("response.output_item.done", output_index=index, item=item)
        elif kind == "function_call":
            yield ev("response.output_item.added", output_index=index,
                     item={**item, "arguments": "", "status": "in_progress"})
            yield ev("response.function_call_arguments.delta", item_id=item_id, output_index=index,
                     delta=item.get("arguments", ""))
            yield ev("response.function_call_arguments.done", item_id=item_id, output_index=index,
                     name=item.get("name", ""), arguments=item.get("arguments", ""))
            yield ev("response.output_item.done", output_index=index, item=item)
        else:
            yield ev("response.output_item.added", output_index=index, item=item)
            yield ev("response.output_item.done", output_index=index, item=item)
    yield ev("response.completed", response=response)


def _validated_event(event: dict[str, Any]) -> dict[str, Any]:
    from pydantic import ValidationError

    try:
        parsed = _event_adapter().validate_python(event)
        return parsed.model_dump(mode="json", exclude_none=True, warnings=False)
    except ValidationError:
        items = [event["item"]] if "item" in event else list((event.get("response") or {}).get("output", []))
        if not _has_foreign_items(items):
            raise
        return event  # carries another service's non-standard item: send it as built


def sse_frames(events: Iterable[dict[str, Any]]) -> Iterator[bytes]:
    """Responses streaming on the wire: `event: <type>` + `data: {...}` per event (no [DONE])."""
    for e in events:
        yield f"event: {e['type']}\ndata: {json.dumps(e, separators=(',', ':'))}\n\n".encode()


def last_user_text(messages: Sequence[Message]) -> str:
    for m in reversed(messages):
        if m.role == "user":
            return m.content
    return ""


__all__ = ["function_call_item", "last_user_text", "message_item", "new_item_id", "new_response_id",
           "parse_input", "parse_tools", "response_object", "split_tools", "sse_frames", "stream_events",
           "tools_echo", "turn_output"]
