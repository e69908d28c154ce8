"""The agent loop as a server runs it for its callers: the one way in for the emulated Supervisor route.

The emulated workspace answers `POST /ai-gateway/mlflow/v1/responses` by running engine `client`'s
loop server-side, as the caller. It reaches this package only through these names (re-exported in
`agent_lib.supervisor.__all__`), so the loop's modules can change without the emulator noticing:

    loop = serving_loop(agent_lib.clients.client_for(host, token), model="...", tools=[...])         # SpecError if bad
    run = loop.start(input, response_id=new_id("resp"), should_stop=stop)            # a `LoopRun`
    for event in run: frame = sse(event)                                              # or run to the end
    run.response, run.output, run.usage(); Cancelled when `should_stop` said so
    response_object(...), response_error(...), history_as_output(items)               # what GET returns
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..spec import AgentSpec
from . import events as ev
from .client_loop import Cancelled, ClientLoop, LoopRun
from .retry import RetryPolicy

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient

SERVED_RETRY = RetryPolicy(attempts=2, backoff_s=0.2, max_backoff_s=0.5)
"""A served loop retries a tool or model call once, soon: the caller has its own retry budget, and
the failing service's `Retry-After` is passed on to it."""


def serving_loop(tools_client: WorkspaceClient, model_client: WorkspaceClient | None = None, *, model: str,
                 instructions: str = "", tools: Sequence[dict[str, Any]] = (),
                 function_tools: Sequence[dict[str, Any]] = ()) -> ClientLoop:
    """The loop for one caller and request shape: tools run as `tools_client`, the model is called
    with `model_client` (a narrowed caller's model-serving client) or the same one. No tracing: the
    caller traces its own request. A bad hosted tool raises `SpecError` naming it."""
    spec = AgentSpec(name="supervisor-api", model=model, instructions=instructions, tools=list(tools))
    return ClientLoop(spec, tools_client, model_workspace_client=model_client or tools_client, tracing=False,
                      client_functions=function_tools, retry=SERVED_RETRY)


def response_object(**fields: Any) -> dict[str, Any]:
    """A Responses object as JSON (see `events.build_response` for the fields)."""
    return ev.build_response(**fields).model_dump(mode="json", exclude_none=True)


def history_as_output(items: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The input's history items as output items (a background response starts with them echoed)."""
    out: list[dict[str, Any]] = []
    for item in items:
        kind = item.get("type")
        if kind == "message" and item.get("role") == "assistant":
            content = item.get("content")
            text = content if isinstance(content, str) else "".join(
                str(p.get("text", "")) for p in content or [] if isinstance(p, dict))
            out.append(ev.message_item(text, item_id=item.get("id")))
        elif kind == "function_call":
            out.append(ev.function_call_item(call_id=item["call_id"], name=item["name"],
                                             arguments=item.get("arguments") or "{}", item_id=item.get("id")))
        elif kind == "function_call_output":
            output = item.get("output")
            text = output if isinstance(output, str) else json.dumps(output)
            out.append(ev.function_call_output_item(call_id=item["call_id"], output=text))
        elif kind == "mcp_approval_request":
            out.append({k: item[k] for k in ("type", "id", "name", "arguments", "server_label") if k in item})
    return out


new_id = ev.new_id
response_error = ev.response_error
sse = ev.sse

__all__ = ["Cancelled", "LoopRun", "history_as_output", "new_id", "response_error", "response_object", "serving_loop",
           "sse"]
