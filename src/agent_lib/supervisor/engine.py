"""`Supervisor`: one entry point for an agent turn, whichever engine runs the loop.

    sup = Supervisor(spec, ws.client)                      # engine from the spec (client by default)
    result = sup.respond("How many orders shipped late in March?")
    print(result.text, [c.name for c in result.tool_calls])

    for event in (stream := sup.stream("...")):            # openai Responses stream events
        ...
    stream.result                                          # the AgentResult, once completed

    if result.pending_approvals:                           # uc_connection / app tools ask first
        result = sup.respond(result.approve())

    sup.close()                                            # or `with Supervisor(...) as sup:`

Both engines take the same spec (model, instructions, hosted tools), return the same `AgentResult`
and stream the same events; `engine="hosted"` calls the Supervisor API, `engine="client"` runs the
loop here (the way off the Supervisor API's end of life on 2026-09-30).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from ..errors import SupervisorError
from .client_loop import ClientLoop, LoopRun
from .hosted import BACKGROUND_CAP_S, HostedEngine
from .result import AgentResult
from .retry import RetryPolicy

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient
    from openai.types.responses import ResponseStreamEvent

    from ..spec import AgentSpec, Engine

Input = str | Sequence[Any]
"""A question, or Responses input items (the whole history: the Supervisor API keeps no state)."""

class TurnStream:
    """Stream events of one turn, in order; `result` is the `AgentResult` once the turn completed.

    An `error` event is always followed by `SupervisorError` on the next step of the iteration.
    """

    def __init__(self, events: Iterator[ResponseStreamEvent], finish: Any) -> None:
        self._events = events
        self._finish = finish
        self.result: AgentResult | None = None

    def __iter__(self) -> TurnStream:
        return self

    def __next__(self) -> ResponseStreamEvent:
        try:
            return next(self._events)
        except StopIteration:
            self.result = self._finish()
            raise

    def close(self) -> None:
        close = getattr(self._events, "close", None)
        if close is not None:
            close()

    def until_done(self) -> AgentResult:
        """Consume the rest of the stream and return the result."""
        for _ in self:
            pass
        assert self.result is not None
        return self.result


@dataclass(frozen=True)
class EngineOptions:
    """How a `Supervisor` asked its engine to run (see `Supervisor` for each field)."""

    max_turns: int = 8
    auto_approve: tuple[str, ...] = ()
    timeout_s: float = 120.0
    retry: RetryPolicy | None = None
    tracing: bool = True
    options: Mapping[str, Any] | None = None
    warehouse_id: str | None = None

    def shared(self) -> dict[str, Any]:
        """The settings both engines take, as keywords (each adds its own: `options` for hosted,
        `warehouse_id` for client)."""
        return {"max_turns": self.max_turns, "auto_approve": self.auto_approve, "timeout_s": self.timeout_s,
                "retry": self.retry, "tracing": self.tracing}


class TurnEngine(Protocol):
    """What an engine does for `Supervisor`: a turn to its end, a turn as a stream, and release."""

    def respond(self, input: Input, *, background: bool, poll_interval_s: float,
                max_wait_s: float) -> AgentResult: ...

    def stream(self, input: Input) -> TurnStream: ...

    def close(self) -> None: ...


class _Hosted:
    """Engine `hosted`: the Supervisor API runs the loop."""

    def __init__(self, spec: AgentSpec, workspace_client: WorkspaceClient, opts: EngineOptions) -> None:
        self.hosted = HostedEngine(spec, workspace_client, options=opts.options, **opts.shared())

    def respond(self, input: Input, *, background: bool, poll_interval_s: float,
                max_wait_s: float) -> AgentResult:
        return self.hosted.respond(input, background=background, poll_interval_s=poll_interval_s,
                                   max_wait_s=max_wait_s)

    def stream(self, input: Input) -> TurnStream:
        hosted = self.hosted.stream(input)
        return TurnStream(iter(hosted), lambda: hosted.result)

    def close(self) -> None:
        pass


class _Client:
    """Engine `client`: the loop runs in this process (`loop`, a `ClientLoop`)."""

    def __init__(self, spec: AgentSpec, workspace_client: WorkspaceClient, opts: EngineOptions) -> None:
        self.loop = ClientLoop(spec, workspace_client, warehouse_id=opts.warehouse_id, **opts.shared())

    def respond(self, input: Input, *, background: bool, poll_interval_s: float,
                max_wait_s: float) -> AgentResult:
        run = self.loop.start(input, events=False)  # nobody reads the stream events: none are built
        for _ in run:
            pass
        return _client_result(run)

    def stream(self, input: Input) -> TurnStream:
        run: LoopRun = self.loop.start(input)
        return TurnStream(iter(run), lambda: _client_result(run))

    def close(self) -> None:
        self.loop.close()


EngineFactory = Callable[["AgentSpec", "WorkspaceClient", EngineOptions], TurnEngine]
REGISTRY: dict[str, EngineFactory] = {"hosted": _Hosted, "client": _Client}
"""The engines by name: a new engine is one entry here."""
ENGINES = tuple(REGISTRY)


class Supervisor:
    """Answers turns for one agent spec against one workspace client.

    Args:
        spec: the agent (model, instructions, hosted tools, default engine).
        workspace_client: who calls; every tool runs with its permissions.
        engine: `hosted` or `client`; None takes `spec.engine`.
        max_turns: model calls per turn (engine client; for hosted, automatic approval follow-ups)
            before giving up with `SupervisorError`.
        auto_approve: connection and App names whose MCP tools run without an approval request
            (engine hosted: the approving follow-up is sent automatically).
        timeout_s: budget of each model call and each tool call.
        retry: repeats of calls answered 429/503 (default: 3 tries, backoff from 0.5 s).
        tracing: an MLflow trace per turn (`result.trace_id`).
        options: extra request fields for the hosted engine (`trace_destination`, `reasoning`, ...).
        warehouse_id: run UC functions through SQL statement execution on this warehouse (engine
            client) instead of the managed MCP server.
    """

    def __init__(self, spec: AgentSpec, workspace_client: WorkspaceClient, *, engine: Engine | None = None,
                 max_turns: int = 8, auto_approve: Iterable[str] = (), timeout_s: float = 120.0,
                 retry: RetryPolicy | None = None, tracing: bool = True,
                 options: Mapping[str, Any] | None = None, warehouse_id: str | None = None) -> None:
        chosen = engine or spec.engine
        if chosen not in ENGINES:
            raise SupervisorError(f"unknown engine {chosen!r}: use 'hosted' (the Supervisor API runs the "
                                  "loop) or 'client' (the loop runs in this process)", cause="request")
        if timeout_s <= 0:
            raise SupervisorError(f"timeout_s must be positive, got {timeout_s}", cause="request")
        self.spec = spec
        self.engine: str = chosen
        self.workspace_client = workspace_client
        self.auto_approve = tuple(auto_approve)
        self._engine = REGISTRY[chosen](spec, workspace_client, EngineOptions(
            max_turns=max_turns, auto_approve=self.auto_approve, timeout_s=timeout_s, retry=retry,
            tracing=tracing, options=options, warehouse_id=warehouse_id))

    @property
    def loop(self) -> ClientLoop | None:
        """Engine client's loop (None for engine hosted): what it keeps between turns shows in its
        `pools_created`, `pool` and `toolset.context.mcp` counters."""
        return getattr(self._engine, "loop", None)

    def respond(self, input: Input, *, background: bool = False, poll_interval_s: float = 1.0,
                max_wait_s: float = BACKGROUND_CAP_S) -> AgentResult:
        """Run one turn to its end; `SupervisorError` when it fails.

        `background=True` (engine hosted) creates a background response and polls it (every
        `poll_interval_s`, for at most `max_wait_s`, capped at 30 minutes); engine client always
        runs in this process, so it ignores the flag.
        """
        return self._engine.respond(input, background=background, poll_interval_s=poll_interval_s,
                                    max_wait_s=max_wait_s)

    def stream(self, input: Input) -> TurnStream:
        """Run one turn, yielding openai Responses stream events as they happen."""
        return self._engine.stream(input)

    def close(self) -> None:
        """Release what the Supervisor keeps between turns (engine client: the tool thread pool and
        the MCP sessions). Idempotent; a later turn starts them again. Also `with Supervisor(...)`."""
        self._engine.close()

    def __enter__(self) -> Supervisor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Supervisor(agent={self.spec.name!r}, engine={self.engine!r}, model={self.spec.model!r})"


def _client_result(run: LoopRun) -> AgentResult:
    assert run.response is not None
    return AgentResult.from_response(run.response, run.input, engine="client", trace_id=run.trace_id,
                                     timings=run.timings)


__all__ = ["ENGINES", "REGISTRY", "EngineOptions", "Input", "Supervisor", "TurnEngine", "TurnStream"]
