"""The hosted engine's request and response rules, shared by one-shot turns and streams.

What upstream would reject is rejected here first (see `hosted`); a response that is not a success
raises; background output drops the echoed history; the service's tool calls become TOOL spans.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from ..errors import SupervisorError
from ._redact import redact
from .result import AgentResult, InputItems
from .tracing import Span

if TYPE_CHECKING:
    from openai.types.responses import Response

BACKGROUND_CAP_S = 30 * 60
TERMINAL = ("completed", "failed", "cancelled", "incomplete")


def check_request(body: Mapping[str, Any]) -> None:
    """Raise `SupervisorError(cause="request")` for a body the Supervisor API rejects."""
    tools = body.get("tools")
    if "tools" in body and (not isinstance(tools, list) or not tools):
        raise SupervisorError("tools must be a non-empty list; leave tools out when the agent has none "
                              "(the Supervisor API rejects tools: [] and tools: null)", cause="request")
    if tools:
        for name in ("temperature", "top_p"):
            if body.get(name) is not None:
                raise SupervisorError(f"{name} is not supported when tools are provided (Supervisor API: "
                                      "'Parameter not supported when tools are provided'); remove it, or use "
                                      "engine='client' to control inference parameters", cause="request")
    if body.get("stream") and body.get("background"):
        raise SupervisorError("stream and background cannot both be true; use stream() for a live answer "
                              "or respond(background=True) for a long one", cause="request")
    if body.get("previous_response_id"):
        raise SupervisorError("previous_response_id is not supported by the Supervisor API; pass the full "
                              "history as input (result.history() or result.ask(...))", cause="request")


@lru_cache(maxsize=1)
def _create_params() -> frozenset[str]:
    from openai.resources.responses import Responses

    return frozenset(inspect.signature(Responses.create).parameters) - {"self", "extra_body"}


_AS_IS = frozenset({"tools"})
"""Sent in extra_body although `create` knows them: hosted tools are not openai tool types, and
openai's typed-parameter transform only walks them (~1 ms a request); the JSON body is the same."""


def split_create_kwargs(body: Mapping[str, Any]) -> dict[str, Any]:
    """`responses.create` kwargs: known parameters as such, the rest (trace_destination...) and the
    tools in extra_body."""
    known = _create_params() - _AS_IS
    kwargs = {k: v for k, v in body.items() if k in known}
    extra = {k: v for k, v in body.items() if k not in known}
    if extra:
        kwargs["extra_body"] = extra
    return kwargs


def check_response(response: Response, where: str) -> None:
    """A response that is not a success raises (a `completed` envelope with an error included)."""
    if response.status in ("failed", "cancelled", "incomplete") or response.error is not None:
        detail = response.error.message if response.error is not None else (
            f"incomplete: {response.incomplete_details.reason}" if response.incomplete_details else "")
        raise SupervisorError(redact(f"{where} returned a {response.status or 'failed'} response "
                                     f"{response.id}: {detail or 'no error detail given'}"), cause="response",
                              dependency=where)


def strip_echo(output: Sequence[Any], items: InputItems) -> list[Any]:
    """Background responses start with the input's history items echoed; drop that prefix."""
    history = [i for i in items if not (i.get("type") == "message" and i.get("role") in ("user", "system",
                                                                                         "developer"))
               and i.get("type") != "mcp_approval_response"]
    n = 0
    for want, got in zip(history, output, strict=False):
        if want.get("type") != got.type or want.get("call_id", None) != getattr(got, "call_id", None):
            break
        n += 1
    return list(output[n:]) if n == len(history) else list(output)


def model_span(root: Span, model: str, body: Mapping[str, Any]) -> Span:
    """The CHAT_MODEL (LLM) span of one Supervisor API call: the request as sent (no credentials)."""
    return root.child(f"supervisor api {model}", "CHAT_MODEL", inputs=dict(body) if root.active else None)


def end_model_span(span: Span, response: Any) -> None:
    """End a `model_span` with the response's output items and token usage."""
    if span.active:
        usage = response.usage.model_dump(mode="json", warnings=False) if response.usage else None
        span.end({"output": [i.model_dump(mode="json", warnings=False) for i in response.output]},
                 attributes={"usage": usage} if usage else None)


def trace_tools(root: Span, result: AgentResult) -> None:
    """TOOL spans for the calls the service ran (their timing is the service's, so not recorded)."""
    for call in result.tool_calls:
        span = root.child(call.name, "TOOL", inputs=call.arguments, attributes={"call_id": call.call_id,
                                                                                 "executed_by": "service"})
        span.end({"output": call.output}, error=call.error)


__all__ = ["BACKGROUND_CAP_S", "TERMINAL", "check_request", "check_response", "end_model_span",
           "model_span", "split_create_kwargs", "strip_echo", "trace_tools"]
