"""Engine `client`: the Supervisor API's loop, run in this process.

Each turn the model (the spec's serving endpoint, called through `DatabricksOpenAI`) sees the
conversation and the hosted tools as function tools; the calls it makes run concurrently, each
through its tool's own Databricks API, and their outputs go back to the model until it answers.
The output items and stream events are those of the Supervisor API:

    function_call + function_call_output   a hosted tool ran (failures too: `{"error": ...}` output)
    mcp_approval_request                   a uc_connection/app tool waits for approval; the turn ends
    function_call (no output)              a client `function` tool waits for its output; the turn ends
    message                                the answer

A follow-up carrying `mcp_approval_response` runs (approve) or declines (deny) the waiting call,
then the loop goes on. The emulator's hosted route runs this same loop server-side.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import SupervisorError
from . import events as ev
from .failures import error_code, from_exception
from .history import check_history, model_history
from .result import InputItems, Timing, error_output, normalize_input
from .retry import RetryPolicy
from .tools import ToolContext, Toolset, describe_error
from .tools.openai_clients import model_client
from .tracing import Span, root_span

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient
    from openai.types.responses import Response, ResponseStreamEvent

    from ..spec import AgentSpec


MAX_TOOL_WORKERS = 32
"""Tool calls running at once per loop, over all its turns in progress (threads start on demand)."""


class Cancelled(Exception):
    """The run was cancelled from outside (`should_stop` returned true)."""


def _arguments(raw: str | None) -> tuple[dict[str, Any], str | None]:
    try:
        value = json.loads(raw or "{}")
    except ValueError:
        return {}, f"the arguments are not valid JSON: {raw!r}"
    if not isinstance(value, dict):
        return {}, f"the arguments must be a JSON object, got {raw!r}"
    return value, None


@dataclass
class LoopRun:
    """One turn in progress: iterate it for stream events; then `response`, `timings`, `trace_id`."""

    loop: ClientLoop
    input: InputItems
    response_id: str
    should_stop: Callable[[], bool] | None = None
    events: bool = True
    """Build and yield the stream events; False: iterating only drives the turn (no events), for
    callers that want the result alone."""
    response: Response | None = None
    trace_id: str | None = None
    timings: dict[str, Timing] = field(default_factory=dict)
    output: list[dict[str, Any]] = field(default_factory=list)
    _usage: list[int] = field(default_factory=lambda: [0, 0])
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        spec = self.loop.spec
        self.writer = ev.EventWriter(response_id=self.response_id, model=spec.model,
                                     instructions=spec.instructions or None)
        self._events = self._run()

    def __iter__(self) -> Iterator[ResponseStreamEvent]:
        return self._events

    def usage(self) -> dict[str, Any]:
        return ev.usage_dict(*self._usage)

    # -- the loop --------------------------------------------------------------------------------
    def _run(self) -> Iterator[ResponseStreamEvent]:
        loop = self.loop
        root = root_span(f"supervisor {loop.spec.name}", {"input": self.input}, loop.tracing,
                         attributes={"engine": "client", "model": loop.spec.model})
        self.trace_id = root.trace_id
        error: str | None = "abandoned before the turn finished"
        try:
            if self.events:
                yield self.writer.created()
                yield self.writer.in_progress()
            history, approvals = model_history(self.input)
            if approvals:
                yield from self._carry_out(root, approvals, history)
            for _ in range(loop.max_turns):
                self._check_stop()
                response = self._call_model(root, history)
                self._check_stop()
                finished = yield from self._turn(root, response, history)
                if finished:
                    self.response = self.writer.response("completed", self.output, usage=self.usage())
                    if self.events:
                        yield self.writer.completed(self.response)
                    error = None
                    return
            raise SupervisorError(
                f"the model was still calling tools after max_turns={loop.max_turns} turns without "
                "answering; raise max_turns, or sharpen the tools' descriptions", cause="max_turns")
        except Cancelled:
            error = "cancelled"
            raise
        except SupervisorError as exc:
            error = str(exc)
            self.response = self.writer.response("failed", self.output, usage=self.usage(),
                                                 error=ev.response_error(error, exc.status))
            if self.events:
                yield self.writer.error(error, error_code(exc))
            raise
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"
            raise
        finally:
            root.end({"text": _final_text(self.output), "output": self.output} if error is None else None,
                     error=error)

    def _check_stop(self) -> None:
        if self.should_stop is not None and self.should_stop():
            raise Cancelled()

    def _emit(self, item: dict[str, Any]) -> Iterator[ResponseStreamEvent]:
        index = len(self.output)
        self.output.append(item)
        if self.events:
            yield from self.writer.item(item, index)

    def _call_model(self, root: Span, history: InputItems) -> Response:
        loop = self.loop
        tools, client = loop.prepare()
        request: dict[str, Any] = {"model": loop.spec.model, "input": history}
        if tools:
            request["tools"] = tools
        if loop.spec.instructions:
            request["instructions"] = loop.spec.instructions
        span = root.child(f"model {loop.spec.model}", "CHAT_MODEL", inputs=request)
        try:
            response = loop.retry.call(lambda: client.responses.create(**request), broken=True)
        except Exception as exc:
            failure = from_exception(exc, f"model endpoint {loop.spec.model}", timeout_s=loop.timeout_s)
            span.end(error=str(failure))
            raise failure from None
        if span.active:
            span.end({"output": [i.model_dump(mode="json", warnings=False) for i in response.output]})
        usage = response.usage
        if usage is not None:
            self._usage[0] += usage.input_tokens or 0
            self._usage[1] += usage.output_tokens or 0
        return response

    def _turn(self, root: Span, response: Response, history: InputItems) -> Iterator[ResponseStreamEvent]:
        """Emit one model turn's items and run its tools; returns True when the turn is over."""
        toolset = self.loop.toolset
        calls = [item for item in response.output if item.type == "function_call"]
        for item in response.output:
            if item.type != "message":
                continue
            text = "".join(getattr(p, "text", "") for p in item.content)
            if calls and not text.strip():
                continue
            notes = [a.model_dump(mode="json", warnings=False)
                     for p in item.content for a in getattr(p, "annotations", [])]
            message = ev.message_item(text, item_id=_short_id(item.id, "msg"), annotations=notes)
            yield from self._emit(message)
            history.append({"type": "message", "role": "assistant", "content": text})
        if not calls:
            return True
        runnable, waiting, client_calls = [], [], []
        for call in calls:
            item = ev.function_call_item(call_id=call.call_id, name=call.name,
                                         arguments=call.arguments or "{}", item_id=_short_id(call.id, "fc"))
            executor = toolset.route(call.name)
            if toolset.is_client_function(call.name):
                client_calls.append(item)
            elif executor is not None and toolset.needs_approval(executor):
                waiting.append((item, executor))
            else:
                runnable.append(item)
        if runnable:
            for item in runnable:
                yield from self._emit(item)
            outputs = self._execute(root, runnable)
            for item, output in zip(runnable, outputs, strict=True):
                yield from self._emit(ev.function_call_output_item(call_id=item["call_id"], output=output))
                history.append({k: item[k] for k in ("type", "call_id", "name", "arguments")})
                history.append({"type": "function_call_output", "call_id": item["call_id"], "output": output})
        for item, executor in waiting:
            yield from self._emit(ev.approval_request_item(name=item["name"], arguments=item["arguments"],
                                                           server_label=executor.server_label))
        for item in client_calls:
            yield from self._emit(item)
        return bool(waiting or client_calls)

    def _carry_out(self, root: Span, approvals: Sequence[tuple[dict[str, Any], dict[str, Any]]],
                   history: InputItems) -> Iterator[ResponseStreamEvent]:
        """Run approved calls and decline denied ones, as function_call + output pairs."""
        items = [ev.function_call_item(call_id=request["id"], name=request["name"],
                                       arguments=request.get("arguments") or "{}")
                 for request, _ in approvals]
        approved = [item for item, (_, answer) in zip(items, approvals, strict=True) if answer.get("approve")]
        for item in items:
            yield from self._emit(item)
        outputs = dict(zip((i["call_id"] for i in approved), self._execute(root, approved), strict=True))
        for item, (request, answer) in zip(items, approvals, strict=True):
            output = outputs.get(item["call_id"])
            if output is None:
                reason = f" ({answer['reason']})" if answer.get("reason") else ""
                denial = (f"The user denied this call to {request['name']} on "
                          f"{request.get('server_label', '')}{reason}, so it did not run")
                output = error_output(denial)  # the call never ran: no timing, the error is this text
            yield from self._emit(ev.function_call_output_item(call_id=item["call_id"], output=output))
            history.append({k: item[k] for k in ("type", "call_id", "name", "arguments")})
            history.append({"type": "function_call_output", "call_id": item["call_id"], "output": output})

    # -- tools -----------------------------------------------------------------------------------
    def _execute(self, root: Span, items: Sequence[dict[str, Any]]) -> list[str]:
        """Run the calls concurrently; each output in call order (failures as `{"error": ...}`)."""
        if not items:
            return []
        self._check_stop()
        budget = self.loop.timeout_s
        started = time.time()
        submitted = [self.loop.submit(self._run_one, root, item) for item in items]
        futures = [future for _, future in submitted]
        try:
            outputs = []
            for item, (pool, future) in zip(items, submitted, strict=True):
                try:
                    outputs.append(future.result(timeout=max(0.0, started + budget + 1 - time.time())))
                except FutureTimeout:
                    self.loop.discard_executor(pool)  # its worker may never come back
                    message = f"{item['name']} did not finish within {budget:g} s"
                    with self._lock:
                        now = time.time()
                        self.timings.setdefault(item["call_id"], Timing(started, now, now - started, message))
                    outputs.append(error_output(message))
            return outputs
        except BaseException:
            for future in futures:
                future.cancel()
            raise

    def _run_one(self, root: Span, item: dict[str, Any]) -> str:
        name = item["name"]
        arguments, problem = _arguments(item["arguments"])
        executor = self.loop.toolset.route(name)
        span = root.child(name, "TOOL", inputs=arguments,
                          attributes={"call_id": item["call_id"],
                                      "hosted_tool": executor.tool.label if executor else "unknown"})
        started, clock = time.time(), time.perf_counter()
        error: str | None = None
        try:
            if problem is not None:
                raise SupervisorError(problem, cause="tool")
            if executor is None:
                raise SupervisorError(f"there is no tool named {name!r}; the tools are: "
                                      f"{', '.join(self.loop.toolset.names())}", cause="tool")
            output = executor.call(name, arguments)
        except Exception as exc:  # every failure goes back to the model as the tool's output
            error = str(exc) if isinstance(exc, SupervisorError) else describe_error(exc)
            output = error_output(error)
        duration = time.perf_counter() - clock
        with self._lock:
            self.timings.setdefault(item["call_id"], Timing(started, started + duration, duration, error))
        span.end({"output": output}, error=error, attributes={"duration_s": duration})
        return output


def _short_id(item_id: str | None, prefix: str) -> str:
    """The model's item id when it is usable as input on a later turn (FMAPI: ≤ 64 chars)."""
    return item_id if item_id and len(item_id) <= 64 else ev.new_id(prefix)


def _final_text(output: Iterable[dict[str, Any]]) -> str:
    for item in reversed(list(output)):
        if item.get("type") == "message":
            return "".join(p.get("text", "") for p in item.get("content", []))
    return ""


class ClientLoop:
    """The loop of engine `client` over a spec's hosted tools, as one caller."""

    def __init__(self, spec: AgentSpec, workspace_client: WorkspaceClient, *,
                 model_workspace_client: WorkspaceClient | None = None, max_turns: int = 8,
                 auto_approve: Iterable[str] = (), timeout_s: float = 120.0, retry: RetryPolicy | None = None,
                 tracing: bool = True, client_functions: Sequence[dict[str, Any]] = (),
                 warehouse_id: str | None = None) -> None:
        if max_turns < 1:
            raise SupervisorError(f"max_turns must be at least 1, got {max_turns}", cause="request")
        self.spec = spec
        self.workspace_client = workspace_client
        self.model_workspace_client = model_workspace_client or workspace_client
        self.max_turns = max_turns
        self.timeout_s = timeout_s
        self.retry = retry or RetryPolicy()
        self.tracing = tracing
        self.toolset = Toolset(spec.tools, ToolContext(workspace_client, timeout_s, self.retry, warehouse_id),
                               auto_approve=auto_approve, client_functions=client_functions)
        self._pool: ThreadPoolExecutor | None = None
        self._pool_lock = threading.Lock()
        self.pools_created = 0
        """Tool thread pools started so far (instrumentation: one for the loop's life, plus one after
        each abandoned call)."""

    def prepare(self) -> tuple[list[dict[str, Any]], Any]:
        """The model request's `tools` and the model client. The first time, the tools are listed on
        the pool while the client is created here (its SSL context alone costs ~50 ms)."""
        if self.toolset.listed or not self.toolset.executors:
            return self.toolset.wire(), model_client(self.model_workspace_client, self.timeout_s)
        _, listing = self.submit(self.toolset.wire)
        try:
            client = model_client(self.model_workspace_client, self.timeout_s)
        except Exception:
            listing.result()  # a listing failure is what the caller hears about first, as before
            raise
        return listing.result(), client

    # -- the tool thread pool --------------------------------------------------------------------
    @property
    def pool(self) -> ThreadPoolExecutor | None:
        """The tool thread pool in use: None before the first tool call, after `close()` and after an
        abandoned call (the next call starts a fresh one)."""
        return self._pool

    def executor(self) -> ThreadPoolExecutor:
        """The loop's thread pool for tool calls, started on first use and kept across turns."""
        with self._pool_lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=MAX_TOOL_WORKERS,
                                                thread_name_prefix="agent-lib-tool")
                self.pools_created += 1
            return self._pool

    def submit(self, fn: Callable[..., Any], *args: Any) -> tuple[ThreadPoolExecutor, Future[Any]]:
        """`fn(*args)` on the pool, and the pool it went to. A pool that another run of this loop
        has just let go of (`discard_executor`, `close`) is replaced, not failed on."""
        for _ in range(3):
            pool = self.executor()
            try:
                return pool, pool.submit(fn, *args)
            except RuntimeError:  # shut down between executor() and submit()
                with self._pool_lock:
                    if self._pool is pool:
                        self._pool = None
        pool = self.executor()
        return pool, pool.submit(fn, *args)

    def discard_executor(self, pool: ThreadPoolExecutor) -> None:
        """Stop using `pool` (a call on it was abandoned): the next call gets a fresh pool, so a
        stuck worker never holds up later turns; the stuck call ends on its own."""
        with self._pool_lock:
            if self._pool is pool:
                self._pool = None
        pool.shutdown(wait=False, cancel_futures=False)

    def close(self) -> None:
        """Release the thread pool and the MCP sessions; a later turn starts them again."""
        with self._pool_lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False)  # calls already handed to it still finish
        self.toolset.close()

    def __enter__(self) -> ClientLoop:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self, input: str | Sequence[Any], *, response_id: str | None = None,
              should_stop: Callable[[], bool] | None = None, events: bool = True) -> LoopRun:
        """A run of one turn; nothing happens until it is iterated (invalid histories fail here).
        `events=False`: the run yields no stream events (only `response` and the rest afterwards)."""
        items = normalize_input(input)
        check_history(items)
        return LoopRun(self, items, response_id or ev.new_id("resp"), should_stop, events)


__all__ = ["Cancelled", "ClientLoop", "LoopRun"]
