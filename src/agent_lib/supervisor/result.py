"""What one agent turn returns, whichever engine ran it: `AgentResult` and its `ToolCall`s.

    result = supervisor.respond("Which region sold most in March?")
    result.text                      # the final answer
    result.tool_calls                # name, arguments, output, duration_s, error per call
    result.pending_approvals         # MCP tools waiting for a yes/no
    next_input = result.approve()    # original input + echoed output + mcp_approval_response
    result = supervisor.respond(next_input)

Output items are the openai package's own types (`ResponseOutputMessage`, `ResponseFunctionToolCall`,
`ResponseFunctionToolCallOutputItem`, `McpApprovalRequest`), in the order the service produced them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from openai.types.responses import (
    Response,
    ResponseFunctionToolCall,
    ResponseFunctionToolCallOutputItem,
    ResponseOutputItem,
    ResponseOutputMessage,
    ResponseUsage,
)
from openai.types.responses.response_output_item import McpApprovalRequest

from ..errors import SupervisorError

InputItems = list[dict[str, Any]]


@dataclass(frozen=True)
class ToolCall:
    """One tool execution in a turn: what the model asked for and what came back."""

    name: str
    """The function name the model called (`catalog__schema__function`, `genie_<id>`, an MCP tool...)."""
    arguments: dict[str, Any]
    """The decoded arguments (`{"_raw": text}` when the model sent something that is not JSON)."""
    output: str | None
    """The tool's output as the model saw it; None while it waits for approval."""
    call_id: str
    error: str | None = None
    """Why the call failed (also given to the model as the output), or None."""
    duration_s: float | None = None
    """Wall time of the execution; None when the service ran it (engine `hosted`)."""
    started_at: float | None = None
    """`time.time()` when the execution started (engine `client`), to see calls overlap."""
    ended_at: float | None = None


@dataclass(frozen=True)
class Timing:
    """How the client engine saw one call run: start, end (epoch seconds), duration and error."""

    started_at: float
    ended_at: float
    duration_s: float
    error: str | None = None


def error_output(message: str) -> str:
    """The output a failed tool call hands the model: `{"error": "..."}`."""
    return json.dumps({"error": message})


def output_error(output: Any) -> str | None:
    """The message of an `error_output`, else None."""
    if not isinstance(output, str) or not output.startswith('{"error"'):
        return None
    try:
        value = json.loads(output)
    except ValueError:
        return None
    if isinstance(value, dict) and set(value) == {"error"} and isinstance(value["error"], str):
        return value["error"]
    return None


def normalize_input(input: str | Sequence[Any]) -> InputItems:
    """Responses `input` as a list of plain item dicts (a string becomes one user message)."""
    if isinstance(input, str):
        return [{"type": "message", "role": "user", "content": input}]
    if isinstance(input, Mapping):
        raise SupervisorError("input must be a string or a list of Responses items, not one mapping; "
                              "wrap it in a list", cause="request")
    items: InputItems = []
    for i, item in enumerate(input):
        if hasattr(item, "model_dump"):
            item = item.model_dump(mode="json", exclude_none=True, warnings=False)
        if not isinstance(item, Mapping):
            raise SupervisorError(f"input[{i}] must be a Responses item (a mapping), "
                                  f"got {type(item).__name__}", cause="request")
        plain = dict(item)
        if "type" not in plain and "role" in plain:
            plain = {"type": "message", **plain}
        items.append(plain)
    if not items:
        raise SupervisorError("input is empty; pass the user's question as a string or a list of items",
                              cause="request")
    return items


def _decode(arguments: str) -> dict[str, Any]:
    try:
        value = json.loads(arguments or "{}")
    except ValueError:
        return {"_raw": arguments}
    return value if isinstance(value, dict) else {"_raw": arguments}


@dataclass
class AgentResult:
    """The outcome of one turn: output items, final text, tool calls, usage, trace and approvals."""

    response_id: str
    status: str
    input: InputItems
    output: list[ResponseOutputItem]
    usage: ResponseUsage | None = None
    trace_id: str | None = None
    engine: str = "client"
    model: str = ""
    timings: Mapping[str, Timing] = field(default_factory=dict, repr=False)

    @classmethod
    def from_response(cls, response: Response, input: InputItems, *, engine: str,
                      trace_id: str | None = None,
                      timings: Mapping[str, Timing] | None = None) -> AgentResult:
        return cls(response_id=response.id, status=response.status or "completed", input=input,
                   output=list(response.output), usage=response.usage, trace_id=trace_id, engine=engine,
                   model=str(response.model), timings=dict(timings or {}))

    # -- reading ---------------------------------------------------------------------------------
    @property
    def text(self) -> str:
        """The final answer: the text of the last assistant message ("" when the turn ended waiting)."""
        for item in reversed(self.output):
            if isinstance(item, ResponseOutputMessage):
                return "".join(getattr(part, "text", "") for part in item.content)
            if isinstance(item, McpApprovalRequest):
                return ""
        return ""

    @property
    def tool_calls(self) -> list[ToolCall]:
        """Every `function_call` of the turn, paired with its output by `call_id`, in order."""
        outputs = {item.call_id: item for item in self.output
                   if isinstance(item, ResponseFunctionToolCallOutputItem)}
        calls: list[ToolCall] = []
        for item in self.output:
            if not isinstance(item, ResponseFunctionToolCall):
                continue
            out = outputs.get(item.call_id)
            text = out.output if out is not None and isinstance(out.output, str) else (
                None if out is None else json.dumps([p.model_dump(mode="json") for p in out.output]))
            timing = self.timings.get(item.call_id)
            error = timing.error if timing is not None else output_error(text)
            calls.append(ToolCall(
                name=item.name, arguments=_decode(item.arguments), output=text, call_id=item.call_id,
                error=error, duration_s=timing.duration_s if timing else None,
                started_at=timing.started_at if timing else None,
                ended_at=timing.ended_at if timing else None))
        return calls

    @property
    def pending_approvals(self) -> list[McpApprovalRequest]:
        """MCP tool calls (uc_connection, app) waiting for `approve`/`deny`."""
        return [item for item in self.output if isinstance(item, McpApprovalRequest)]

    # -- the next turn ---------------------------------------------------------------------------
    def history(self) -> InputItems:
        """This turn's input followed by its output, as input items: the next turn's starting point."""
        return [*self.input, *(item.model_dump(mode="json", exclude_none=True, warnings=False)
                               for item in self.output)]

    def ask(self, text: str) -> InputItems:
        """The next turn's input: the history plus a new user message."""
        return [*self.history(), {"type": "message", "role": "user", "content": text}]

    def follow_up(self, approvals: Mapping[str, bool] | Iterable[tuple[str, bool]],
                  *, reason: str | None = None) -> InputItems:
        """History plus one `mcp_approval_response` per decision (`{request_id: approve}`)."""
        decisions = dict(approvals.items() if isinstance(approvals, Mapping) else approvals)
        pending = {item.id for item in self.pending_approvals}
        unknown = [rid for rid in decisions if rid not in pending]
        if unknown:
            raise SupervisorError(
                f"no pending approval request {unknown[0]!r} in this result; pending: "
                f"{', '.join(sorted(pending)) or 'none'}", cause="request")
        responses = []
        for rid, approve in decisions.items():
            response: dict[str, Any] = {"type": "mcp_approval_response", "id": rid,
                                        "approval_request_id": rid, "approve": bool(approve)}
            if reason:
                response["reason"] = reason
            responses.append(response)
        return [*self.history(), *responses]

    def approve(self, request_id: str | None = None, *, reason: str | None = None) -> InputItems:
        """Next input approving `request_id` (every pending request when None)."""
        return self.follow_up({rid: True for rid in self._ids(request_id)}, reason=reason)

    def deny(self, request_id: str | None = None, *, reason: str | None = None) -> InputItems:
        """Next input denying `request_id` (every pending request when None)."""
        return self.follow_up({rid: False for rid in self._ids(request_id)}, reason=reason)

    def _ids(self, request_id: str | None) -> list[str]:
        if request_id is not None:
            return [request_id]
        ids = [item.id for item in self.pending_approvals]
        if not ids:
            raise SupervisorError("this result has no pending approval requests", cause="request")
        return ids

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able summary (what a notebook or the evaluation stores)."""
        return {"response_id": self.response_id, "status": self.status, "engine": self.engine,
                "text": self.text, "trace_id": self.trace_id,
                "usage": self.usage.model_dump(mode="json") if self.usage else None,
                "tool_calls": [vars(c) for c in self.tool_calls],
                "pending_approvals": [a.model_dump(mode="json") for a in self.pending_approvals],
                "output": [item.model_dump(mode="json", exclude_none=True, warnings=False)
                           for item in self.output]}


__all__ = ["AgentResult", "InputItems", "Timing", "ToolCall", "error_output", "normalize_input",
           "output_error"]
