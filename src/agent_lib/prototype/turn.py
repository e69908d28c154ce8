"""One turn as a person watches it: the answer so far, each tool call, approvals, the error.

`TurnRecorder` folds the Supervisor's openai Responses stream events into a `TurnView`, with no
widgets involved, so the chat panel and the headless table read the same facts:

    view = TurnView(question="Where is SO-10042?")
    recorder = TurnRecorder(view, on_change=redraw)
    for event in stream:
        recorder.feed(event)
    recorder.finish(stream.result)          # or recorder.fail(exc)
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from ..supervisor.result import output_error

if TYPE_CHECKING:
    from openai.types.responses import ResponseStreamEvent

    from ..supervisor import AgentResult

CallStatus = Literal["running", "done", "failed", "awaiting approval", "approved", "denied"]
APPROVAL_STATES = ("awaiting approval", "approved", "denied")
"""States of an approval request's entry (the call itself runs, or is declined, in the next turn)."""
Change = Literal["start", "answer", "calls", "approvals", "error", "done"]


@dataclass
class CallView:
    """One tool call of a turn: what the model asked for, what came back and how long it took."""

    call_id: str
    name: str
    arguments: dict[str, Any] = field(default_factory=dict)
    output: str | None = None
    status: CallStatus = "running"
    error: str | None = None
    duration_s: float | None = None
    """The engine's own measure (client); for the hosted engine, as seen from the stream."""
    server_label: str | None = None
    """The UC connection or App behind an MCP tool call (approval requests carry it)."""
    _seen_at: float = field(default_factory=time.perf_counter, repr=False)


@dataclass
class TurnView:
    """Everything the panel shows of one turn, updated while the stream runs."""

    question: str
    """The user's message, or what the turn answers ("approved create_ticket on ticketing")."""
    answer: str = ""
    calls: dict[str, CallView] = field(default_factory=dict)
    approvals: list[Any] = field(default_factory=list)
    """`McpApprovalRequest`s the turn ended with: each waits for Approve or Deny."""
    error: str | None = None
    trace_id: str | None = None
    done: bool = False
    result: AgentResult | None = field(default=None, repr=False)

    @property
    def tool_calls(self) -> list[CallView]:
        return list(self.calls.values())


def _arguments(raw: str | None) -> dict[str, Any]:
    try:
        value = json.loads(raw or "{}")
    except ValueError:
        return {"_raw": raw}
    return value if isinstance(value, dict) else {"_raw": raw}


class TurnRecorder:
    """Applies stream events to a `TurnView`, calling `on_change(what)` after each visible change."""

    def __init__(self, view: TurnView, on_change: Callable[[Change], None] | None = None) -> None:
        self.view = view
        self._on_change = on_change or (lambda what: None)
        self._message: str | None = None
        self._by_item: dict[str, str] = {}  # function_call item id -> call_id

    def feed(self, event: ResponseStreamEvent) -> None:
        kind = event.type
        if kind == "response.output_text.delta":
            if event.item_id != self._message:  # a new message replaces the one before (result.text)
                self._message, self.view.answer = event.item_id, ""
            self.view.answer += event.delta
            self._on_change("answer")
        elif kind == "response.output_text.done":
            self._message, self.view.answer = event.item_id, event.text
            self._on_change("answer")
        elif kind in ("response.output_item.added", "response.output_item.done"):
            self._item(event.item, done=kind.endswith("done"))
        elif kind == "error":
            self.view.error = event.message
            self._on_change("error")

    def _item(self, item: Any, *, done: bool) -> None:
        view = self.view
        if item.type == "function_call":
            call = view.calls.get(item.call_id)
            if call is None:
                call = view.calls[item.call_id] = CallView(item.call_id, item.name)
            call.arguments = _arguments(item.arguments)
            self._on_change("calls")
        elif item.type == "function_call_output" and done:
            call = view.calls.get(item.call_id)
            if call is None:  # an approved MCP call: its request id is the call id
                call = view.calls[item.call_id] = CallView(item.call_id, item.call_id)
            output = item.output if isinstance(item.output, str) else json.dumps(
                [part.model_dump(mode="json") for part in item.output])
            call.output, call.error = output, output_error(output)
            call.status = "failed" if call.error else "done"
            call.duration_s = time.perf_counter() - call._seen_at
            self._on_change("calls")
        elif item.type == "mcp_approval_request" and done:
            view.approvals.append(item)
            view.calls[item.id] = CallView(item.id, item.name, _arguments(item.arguments),
                                           status="awaiting approval", server_label=item.server_label)
            self._on_change("approvals")

    def finish(self, result: AgentResult | None) -> None:
        """The turn completed: the result's own calls (durations of the client engine) win."""
        view = self.view
        if result is not None:
            view.result, view.trace_id, view.answer = result, result.trace_id, result.text
            for call in result.tool_calls:
                seen = view.calls.get(call.call_id)
                view.calls[call.call_id] = CallView(
                    call.call_id, call.name, call.arguments, call.output,
                    "failed" if call.error else "done", call.error,
                    call.duration_s if call.duration_s is not None else seen and seen.duration_s,
                    seen.server_label if seen else None)
            view.approvals = list(result.pending_approvals)
        view.done = True
        self._on_change("done")

    def fail(self, message: str, trace_id: str | None = None) -> None:
        """The turn failed: the error is the outcome, never an answer (a partial one is dropped)."""
        view = self.view
        view.error = view.error or message
        view.answer, view.approvals, view.done = "", [], True
        view.trace_id = view.trace_id or trace_id
        for call in view.calls.values():
            if call.status == "running":
                call.status, call.error = "failed", "the turn failed before this call finished"
        self._on_change("error")
        self._on_change("done")


__all__ = ["APPROVAL_STATES", "CallStatus", "CallView", "Change", "TurnRecorder", "TurnView"]
