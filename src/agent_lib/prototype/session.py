"""`ChatSession`: a conversation with the agent that a person steers (model, engine, tools).

The Supervisor keeps no state, so the session does: each turn's input is the whole history so
far (`AgentResult.ask` / `follow_up`), exactly as the Supervisor contract wants. Changing the model,
the engine or the tools takes effect at the next turn and keeps the conversation.

    session = ChatSession(spec, ws.client, models=chat_endpoints(ws.client))
    view = session.ask("Where is order SO-10042?")          # a TurnView, streamed through `on_change`
    if view.approvals:                                        # uc_connection / app tools ask first
        view = session.decide({view.approvals[0].id: True})
    session.reset()

No widgets here: the panel and the headless table both drive this class.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..errors import AgentLibError
from ..supervisor import ENGINES, Supervisor
from .turn import Change, TurnRecorder, TurnView

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient

    from ..spec import AgentSpec
    from ..supervisor import AgentResult

CHAT_TASKS = ("llm/v1/chat",)
"""Serving endpoint tasks a Supervisor can use as its model."""


def chat_endpoints(client: WorkspaceClient) -> list[str]:
    """Names of the workspace's serving endpoints that can play the model (chat task), sorted."""
    return sorted(e.name for e in client.serving_endpoints.list() if e.name and e.task in CHAT_TASKS)


class ChatSession:
    """The conversation, its settings and the Supervisor that answers it.

    Args:
        spec: the agent; its model, engine and tools are the starting settings.
        client: the workspace client every tool runs as.
        models: model choices offered (the spec's model is always among them).
        supervisor_options: extra `Supervisor` arguments (`timeout_s`, `max_turns`, `tracing`, ...).
    """

    def __init__(self, spec: AgentSpec, client: WorkspaceClient, *, models: Sequence[str] = (),
                 supervisor_options: Mapping[str, Any] | None = None) -> None:
        self.spec = spec
        self.client = client
        self.models: list[str] = [spec.model, *(m for m in models if m != spec.model)]
        self.model: str = spec.model
        self.engine: str = spec.engine
        self.tools: list[str] = [tool.label for tool in spec.tools]
        """Labels (`type ref`) of the tools the agent may call; all of the spec's to start with."""
        self.turns: list[TurnView] = []
        self._options = dict(supervisor_options or {})
        self._last: AgentResult | None = None
        self._supervisor: Supervisor | None = None
        self._built_for: tuple[Any, ...] | None = None
        self._lock = threading.Lock()

    # -- settings -----------------------------------------------------------------------------
    @property
    def tool_labels(self) -> list[str]:
        """Every tool of the spec, in its order (the panel's checkboxes)."""
        return [tool.label for tool in self.spec.tools]

    def configure(self, *, model: str | None = None, engine: str | None = None,
                  tools: Iterable[str] | None = None) -> None:
        """Change settings for the next turn; bad values fail here, naming the setting."""
        if model is not None:
            if not model.strip():
                raise AgentLibError("model is empty: choose one of the chat endpoints "
                                    f"({', '.join(self.models)})")
            self.model = model
        if engine is not None:
            if engine not in ENGINES:
                raise AgentLibError(f"engine {engine!r} is unknown: use one of {', '.join(ENGINES)}")
            self.engine = engine
        if tools is not None:
            chosen = list(tools)
            unknown = [label for label in chosen if label not in self.tool_labels]
            if unknown:
                raise AgentLibError(f"tool {unknown[0]!r} is not in the agent spec; its tools are: "
                                    f"{', '.join(self.tool_labels)}")
            self.tools = [label for label in self.tool_labels if label in chosen]

    def current_spec(self) -> AgentSpec:
        """The spec with the chosen model and tools (validated like the spec file itself)."""
        from ..spec import AgentSpec

        data = self.spec.to_dict()
        data["model"] = self.model
        data["tools"] = [tool.to_wire() for tool in self.spec.tools if tool.label in self.tools]
        return AgentSpec.model_validate(data)

    def supervisor(self) -> Supervisor:
        """The Supervisor for the current settings, built again only when they changed."""
        key = (self.model, self.engine, tuple(self.tools))
        if self._supervisor is None or self._built_for != key:
            if self._supervisor is not None:
                self._supervisor.close()
            self._supervisor = Supervisor(self.current_spec(), self.client, engine=self.engine,  # type: ignore[arg-type]
                                          **self._options)
            self._built_for = key
        return self._supervisor

    # -- the conversation ---------------------------------------------------------------------
    @property
    def pending(self) -> list[Any]:
        """Approval requests the last turn ended with (each needs a decision before the next turn)."""
        return list(self._last.pending_approvals) if self._last is not None else []

    def ask(self, question: str, on_change: Callable[[TurnView, Change], None] | None = None) -> TurnView:
        """Run one turn for `question` with the whole history; the view tells how it went."""
        text = question.strip()
        if not text:
            raise AgentLibError("the question is empty: type a question first")
        if self.pending:
            raise AgentLibError("the agent is waiting for approval of "
                                f"{', '.join(r.name for r in self.pending)}: approve or deny it first")
        history: str | list[dict[str, Any]] = self._last.ask(text) if self._last is not None else text
        return self._turn(TurnView(question=text), history, on_change)

    def decide(self, decisions: Mapping[str, bool],
               on_change: Callable[[TurnView, Change], None] | None = None) -> TurnView:
        """Answer the pending approval requests (`{request_id: approve}`) and run the follow-up turn."""
        if self._last is None or not self.pending:
            raise AgentLibError("no approval request is waiting for a decision")
        names = {r.id: f"{r.name} on {r.server_label}" for r in self.pending}
        words = "; ".join(f"{'approved' if ok else 'denied'} {names.get(rid, rid)}"
                          for rid, ok in decisions.items())
        follow_up = self._last.follow_up(decisions)
        return self._turn(TurnView(question=words), follow_up, on_change)

    def reset(self) -> None:
        """Start a new conversation (settings stay)."""
        with self._lock:
            self._last = None
            self.turns = []

    def close(self) -> None:
        if self._supervisor is not None:
            self._supervisor.close()
            self._supervisor = None

    def _turn(self, view: TurnView, input: str | list[dict[str, Any]],
              on_change: Callable[[TurnView, Change], None] | None) -> TurnView:
        notify = on_change or (lambda v, what: None)
        recorder = TurnRecorder(view, lambda what: notify(view, what))
        self.turns.append(view)
        notify(view, "start")
        try:
            stream = self.supervisor().stream(input)
            for event in stream:
                recorder.feed(event)
        except AgentLibError as exc:  # SupervisorError, SpecError: shown as the turn's error
            recorder.fail(str(exc))
            return view
        except Exception as exc:  # noqa: BLE001 - the panel must show every failure, not die
            recorder.fail(f"{type(exc).__name__}: {exc}")
            return view
        recorder.finish(stream.result)
        if stream.result is not None:
            self._last = stream.result
        return view

    def __repr__(self) -> str:
        return (f"ChatSession(agent={self.spec.name!r}, model={self.model!r}, engine={self.engine!r}, "
                f"tools={len(self.tools)}/{len(self.tool_labels)}, turns={len(self.turns)})")


__all__ = ["CHAT_TASKS", "ChatSession", "chat_endpoints"]
