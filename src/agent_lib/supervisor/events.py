"""Responses stream events, built and validated with the openai package's own types.

One `EventWriter` per response numbers its events from 0 and emits them in the order the
Supervisor API streams them (supervisor-api.md §4):

    response.created -> response.in_progress
      -> per item: response.output_item.added
           (message: content_part.added -> output_text.delta... -> output_text.done -> content_part.done)
         -> response.output_item.done
    -> response.completed (the full response) | error -> response.failed

`sse(event)` is the wire form (`event:` + `data:` lines) the emulator's route sends.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from openai.types.responses import (
    Response,
    ResponseCompletedEvent,
    ResponseContentPartAddedEvent,
    ResponseContentPartDoneEvent,
    ResponseCreatedEvent,
    ResponseErrorEvent,
    ResponseFailedEvent,
    ResponseInProgressEvent,
    ResponseOutputItemAddedEvent,
    ResponseOutputItemDoneEvent,
    ResponseQueuedEvent,
    ResponseStreamEvent,
    ResponseTextDeltaEvent,
    ResponseTextDoneEvent,
)

_WORDS = re.compile(r"\s*\S+\s*|\s+")


def new_id(prefix: str) -> str:
    """`<prefix>_<32 hex>`: short enough for FMAPI's 64-character limit on echoed ids."""
    return f"{prefix}_{uuid.uuid4().hex}"


def text_chunks(text: str) -> list[str]:
    """The deltas a message streams as: word by word, whitespace kept, joined they give `text`."""
    return _WORDS.findall(text)


def usage_dict(input_tokens: int, output_tokens: int) -> dict[str, Any]:
    return {"input_tokens": input_tokens, "output_tokens": output_tokens,
            "total_tokens": input_tokens + output_tokens,
            "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
            "output_tokens_details": {"reasoning_tokens": 0}}


def build_response(*, response_id: str, model: str, output: Sequence[Mapping[str, Any]] = (),
                   status: str = "completed", created_at: float | None = None,
                   usage: Mapping[str, Any] | None = None, error: Mapping[str, Any] | None = None,
                   instructions: str | None = None, background: bool | None = None) -> Response:
    """A validated `Response`. `tools` stays empty: hosted tool objects are not openai tool types,
    and echoing them would make every `model_dump()` of the response warn."""
    body: dict[str, Any] = {
        "id": response_id, "object": "response", "created_at": created_at or time.time(), "model": model,
        "status": status, "output": [dict(item) for item in output], "parallel_tool_calls": True,
        "tool_choice": "auto", "tools": [], "error": dict(error) if error else None,
        "incomplete_details": None, "instructions": instructions or None,
        "usage": dict(usage) if usage else None,
    }
    if background is not None:
        body["background"] = background
    if status == "completed":
        body["completed_at"] = time.time()
    return Response.model_validate(body)


def response_error(message: str, status: int | None = None) -> dict[str, str]:
    """`Response.error` for a failed turn (openai allows only a fixed set of codes)."""
    return {"code": "rate_limit_exceeded" if status == 429 else "server_error", "message": message}


class EventWriter:
    """Builds one response's stream events, `sequence_number` counting from 0."""

    def __init__(self, *, response_id: str, model: str, instructions: str | None = None,
                 created_at: float | None = None) -> None:
        self.response_id = response_id
        self.model = model
        self.instructions = instructions
        self.created_at = created_at or time.time()
        self._seq = 0

    def _next(self) -> int:
        seq, self._seq = self._seq, self._seq + 1
        return seq

    def response(self, status: str, output: Sequence[Mapping[str, Any]] = (), *,
                 usage: Mapping[str, Any] | None = None, error: Mapping[str, Any] | None = None) -> Response:
        return build_response(response_id=self.response_id, model=self.model, output=output, status=status,
                              created_at=self.created_at, usage=usage, error=error,
                              instructions=self.instructions)

    def queued(self) -> ResponseQueuedEvent:
        return ResponseQueuedEvent(type="response.queued", sequence_number=self._next(),
                                   response=self.response("queued"))

    def created(self) -> ResponseCreatedEvent:
        return ResponseCreatedEvent(type="response.created", sequence_number=self._next(),
                                    response=self.response("in_progress"))

    def in_progress(self) -> ResponseInProgressEvent:
        return ResponseInProgressEvent(type="response.in_progress", sequence_number=self._next(),
                                       response=self.response("in_progress"))

    def item(self, item: Mapping[str, Any], index: int) -> Iterator[ResponseStreamEvent]:
        """Events that deliver one finished output item at `output_index` `index`."""
        if item.get("type") == "message":
            yield from self._message(item, index)
            return
        added = dict(item)
        if added.get("type") in ("function_call", "function_call_output"):
            added["status"] = "in_progress"
        yield ResponseOutputItemAddedEvent(type="response.output_item.added", sequence_number=self._next(),
                                           output_index=index, item=added)  # type: ignore[arg-type]
        yield ResponseOutputItemDoneEvent(type="response.output_item.done", sequence_number=self._next(),
                                          output_index=index, item=dict(item))  # type: ignore[arg-type]

    def _message(self, item: Mapping[str, Any], index: int) -> Iterator[ResponseStreamEvent]:
        item_id = item["id"]
        yield ResponseOutputItemAddedEvent(
            type="response.output_item.added", sequence_number=self._next(), output_index=index,
            item={**item, "status": "in_progress", "content": []})  # type: ignore[arg-type]
        for ci, part in enumerate(item.get("content") or []):
            common = {"item_id": item_id, "output_index": index, "content_index": ci}
            empty = {"type": "output_text", "text": "", "annotations": []}
            yield ResponseContentPartAddedEvent(type="response.content_part.added",
                                                sequence_number=self._next(), part=empty,
                                                **common)  # type: ignore[arg-type]
            text = part.get("text", "")
            for chunk in text_chunks(text):
                yield ResponseTextDeltaEvent(type="response.output_text.delta", sequence_number=self._next(),
                                             delta=chunk, logprobs=[], **common)
            yield ResponseTextDoneEvent(type="response.output_text.done", sequence_number=self._next(),
                                        text=text, logprobs=[], **common)
            yield ResponseContentPartDoneEvent(type="response.content_part.done",
                                               sequence_number=self._next(), part=dict(part),
                                               **common)  # type: ignore[arg-type]
        yield ResponseOutputItemDoneEvent(type="response.output_item.done", sequence_number=self._next(),
                                          output_index=index, item=dict(item))  # type: ignore[arg-type]

    def completed(self, response: Response) -> ResponseCompletedEvent:
        return ResponseCompletedEvent(type="response.completed", sequence_number=self._next(),
                                      response=response)

    def failed(self, response: Response) -> ResponseFailedEvent:
        return ResponseFailedEvent(type="response.failed", sequence_number=self._next(), response=response)

    def error(self, message: str, code: str | None = None) -> ResponseErrorEvent:
        return ResponseErrorEvent(type="error", sequence_number=self._next(), message=message, code=code)


def message_item(text: str, *, item_id: str | None = None,
                 annotations: Sequence[Mapping[str, Any]] = ()) -> dict[str, Any]:
    return {"type": "message", "id": item_id or new_id("msg"), "role": "assistant", "status": "completed",
            "content": [{"type": "output_text", "text": text, "annotations": [dict(a) for a in annotations]}]}


def function_call_item(*, call_id: str, name: str, arguments: str,
                       item_id: str | None = None) -> dict[str, Any]:
    return {"type": "function_call", "id": item_id or new_id("fc"), "call_id": call_id, "name": name,
            "arguments": arguments, "status": "completed"}


def function_call_output_item(*, call_id: str, output: str) -> dict[str, Any]:
    return {"type": "function_call_output", "id": new_id("fco"), "call_id": call_id, "output": output,
            "status": "completed"}


def approval_request_item(*, name: str, arguments: str, server_label: str,
                          request_id: str | None = None) -> dict[str, Any]:
    return {"type": "mcp_approval_request", "id": request_id or new_id("mcpr"), "name": name,
            "arguments": arguments, "server_label": server_label}


def error_event(sequence_number: int, message: str, code: str | None = None) -> ResponseErrorEvent:
    """A stand-alone `error` event (relays number it themselves)."""
    return ResponseErrorEvent(type="error", sequence_number=sequence_number, message=message, code=code)


def sse(event: ResponseStreamEvent | Mapping[str, Any]) -> bytes:
    """One Server-Sent Events frame: `event: <type>` then `data: <json>`."""
    if isinstance(event, Mapping):
        import json

        kind, data = event["type"], json.dumps(event, separators=(",", ":"))
    else:
        kind, data = event.type, event.model_dump_json(exclude_none=True)
    return f"event: {kind}\ndata: {data}\n\n".encode()


def renumber(event: ResponseStreamEvent, sequence_number: int) -> ResponseStreamEvent:
    """The same event with another `sequence_number` (relaying keeps numbers strictly increasing)."""
    if getattr(event, "sequence_number", None) == sequence_number:
        return event
    return event.model_copy(update={"sequence_number": sequence_number})


__all__ = [
    "EventWriter", "approval_request_item", "build_response", "error_event", "function_call_item",
    "function_call_output_item", "message_item", "new_id", "renumber", "response_error", "sse", "text_chunks",
    "usage_dict",
]
