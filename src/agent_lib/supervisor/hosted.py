"""Engine `hosted`: the Supervisor API runs the loop (`POST {host}/ai-gateway/mlflow/v1/responses`).

    client = DatabricksOpenAI(workspace_client=w, use_ai_gateway=True)
    client.responses.create(**supervisor_request(spec, input))

What upstream would reject is rejected here first, with the fix in the message (`tools: []`,
`temperature`/`top_p` with tools, `stream` with `background`, `previous_response_id`). Streams are
relayed event by event, renumbered so `sequence_number` only grows; an `error` event, a
`response.failed`, a failed status and a broken stream all end in `SupervisorError` (after the
caller has been handed an `error` event), and nothing after an error counts as success, not even
a `response.completed` the gateway sends anyway (supervisor-api.md §4, quirk 5).
Background mode creates the response, polls `retrieve` until it is terminal, cancels it when the
30-minute cap (or the caller's budget) runs out, and drops the echoed history from its output.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from openai.types.responses.response_output_item import McpApprovalRequest

from ..errors import SupervisorError
from ..spec import supervisor_request
from .failures import from_exception
from .hosted_request import (
    BACKGROUND_CAP_S,
    TERMINAL,
    check_request,
    check_response,
    end_model_span,
    model_span,
    split_create_kwargs,
    strip_echo,
    trace_tools,
)
from .hosted_stream import HostedStream
from .result import AgentResult, InputItems, normalize_input
from .retry import RetryPolicy
from .tools.openai_clients import model_client
from .tracing import root_span

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient
    from openai.types.responses import Response

    from ..spec import AgentSpec

class HostedEngine:
    """Calls the Supervisor API for a spec.

    `auto_approve` is applied here, since the service asks about every MCP call: when a response
    waits only on approvals for trusted servers, the engine sends the approving follow-up itself
    (at most `max_turns` times) and returns the combined output without those requests.
    """

    def __init__(self, spec: AgentSpec, workspace_client: WorkspaceClient, *, timeout_s: float = 120.0,
                 retry: RetryPolicy | None = None, tracing: bool = True,
                 options: Mapping[str, Any] | None = None, auto_approve: Sequence[str] = (),
                 max_turns: int = 8) -> None:
        self.spec = spec
        self.workspace_client = workspace_client
        self.timeout_s = timeout_s
        self.retry = retry or RetryPolicy()
        self.tracing = tracing
        self.options = dict(options or {})
        self.auto_approve = frozenset(auto_approve)
        self.max_legs = max(1, max_turns)
        self.where = f"the Supervisor API at {workspace_client.config.host}"

    @property
    def client(self) -> Any:
        return model_client(self.workspace_client, self.timeout_s, use_ai_gateway=True)

    def body(self, input: str | Sequence[Any], *, stream: bool = False,
             background: bool = False) -> dict[str, Any]:
        items = input if isinstance(input, str) else normalize_input(input)
        body = {**supervisor_request(self.spec, items, stream=stream), **self.options}
        if background:
            body["background"] = True
        check_request(body)
        return body

    def trusted(self, item: Any) -> bool:
        return isinstance(item, McpApprovalRequest) and item.server_label in self.auto_approve

    def next_input(self, items: InputItems, echoed: Sequence[Any]) -> InputItems | None:
        """The approving follow-up when every pending approval is trusted, else None."""
        pending = [i for i in echoed if isinstance(i, McpApprovalRequest)]
        answered = {i.get("approval_request_id") for i in items if i.get("type") == "mcp_approval_response"}
        pending = [i for i in pending if i.id not in answered]
        if not pending or not all(self.trusted(i) for i in pending):
            return None
        history = [*items, *(i.model_dump(mode="json", exclude_none=True, warnings=False) for i in echoed)]
        return [*history, *({"type": "mcp_approval_response", "id": i.id, "approval_request_id": i.id,
                             "approve": True} for i in pending)]

    # -- one response ----------------------------------------------------------------------------
    def respond(self, input: str | Sequence[Any], *, background: bool = False,
                poll_interval_s: float = 1.0, max_wait_s: float = BACKGROUND_CAP_S) -> AgentResult:
        items = normalize_input(input)
        root = root_span(f"supervisor {self.spec.name}", {"input": items}, self.tracing,
                         attributes={"engine": "hosted", "model": self.spec.model})
        leg_input: str | InputItems = input if isinstance(input, str) else items
        leg_items = items
        output: list[Any] = []
        approved: set[str] = set()
        usage = [0, 0]
        try:
            for _ in range(self.max_legs):
                body = self.body(leg_input, background=background)
                span = model_span(root, self.spec.model, body)
                try:
                    response = self._create(body)
                    if background:
                        response = self._wait(response, poll_interval_s, min(max_wait_s, BACKGROUND_CAP_S))
                    check_response(response, self.where)
                except SupervisorError as exc:
                    span.end(error=str(exc))
                    raise
                end_model_span(span, response)
                leg = strip_echo(response.output, leg_items) if background else list(response.output)
                output.extend(leg)
                if response.usage is not None:
                    usage[0] += response.usage.input_tokens
                    usage[1] += response.usage.output_tokens
                follow = self.next_input(leg_items, leg) if self.auto_approve else None
                if follow is None:
                    break
                approved.update(i.id for i in leg if isinstance(i, McpApprovalRequest))
                leg_input = leg_items = follow
            else:
                raise SupervisorError(f"auto-approved MCP calls kept asking for approval after "
                                      f"{self.max_legs} follow-ups; raise max_turns", cause="max_turns")
        except SupervisorError as exc:
            root.end(error=str(exc))
            raise
        result = AgentResult.from_response(response, items, engine="hosted", trace_id=root.trace_id)
        if approved or background:
            result.output = [i for i in output
                             if not (isinstance(i, McpApprovalRequest) and i.id in approved)]
        if approved and response.usage is not None:
            result.usage = response.usage.model_copy(update={
                "input_tokens": usage[0], "output_tokens": usage[1], "total_tokens": sum(usage)})
        trace_tools(root, result)
        root.end({"text": result.text})
        return result

    def _create(self, body: Mapping[str, Any]) -> Any:
        try:
            return self.retry.call(lambda: self.client.responses.create(**split_create_kwargs(body)))
        except Exception as exc:
            raise from_exception(exc, self.where, timeout_s=self.timeout_s) from None

    def _wait(self, response: Response, poll_interval_s: float, max_wait_s: float) -> Response:
        deadline = time.monotonic() + max_wait_s
        response_id = response.id
        retrieve = lambda: self.client.responses.retrieve(response_id)  # noqa: E731
        while response.status not in TERMINAL:
            if time.monotonic() >= deadline:
                self.cancel(response.id)
                raise SupervisorError(f"background response {response.id} was still {response.status} "
                                      f"after {max_wait_s:g} s and was cancelled (the Supervisor API caps "
                                      "background runs at 30 minutes)", cause="timeout")
            time.sleep(poll_interval_s)
            try:
                response = self.retry.call(retrieve)
            except Exception as exc:
                raise from_exception(exc, self.where, timeout_s=self.timeout_s) from None
        return response

    def cancel(self, response_id: str) -> None:
        """Cancel a background response (best effort: a finished one stays as it is)."""
        try:
            self.client.responses.cancel(response_id)
        except Exception:  # noqa: BLE001 - cancelling is a courtesy; the caller is told about the timeout
            pass

    # -- streaming -------------------------------------------------------------------------------
    def stream(self, input: str | Sequence[Any]) -> HostedStream:
        self.body(input, stream=True)  # invalid requests fail here, before any event
        return HostedStream(self, input)


__all__ = ["BACKGROUND_CAP_S", "HostedEngine"]
