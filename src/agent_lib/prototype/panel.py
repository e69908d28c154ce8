"""`ChatPanel`: the ipywidgets chat over a `ChatSession` (notebook 03, and the Voilà demo page).

    panel = ChatPanel(session, trace_url=trace_links(ws, experiment))
    panel                                   # displays it; or display(panel.widget)

Settings (model, engine, one checkbox per tool), a transcript where the answer streams in, each
turn's tool calls in an expandable list, Approve / Deny for MCP approval requests, errors shown
as errors, and Reset conversation. A turn runs on a worker thread and updates the widgets from
there, so the kernel stays free for clicks while it runs; `wait()` joins it (tests, scripts).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import ipywidgets as w

from ..errors import AgentLibError
from . import render
from .turn import Change, TurnView

if TYPE_CHECKING:
    from ..tracking import ExperimentInfo
    from ..workspace import Workspace
    from .session import ChatSession

TraceUrl = Callable[[str], "str | None"]


def trace_links(ws: Workspace, experiment: ExperimentInfo) -> TraceUrl:
    """Trace id -> its page in the workspace's MLflow UI (`ExperimentInfo.trace_url`); on the
    emulated workspace that page redirects to its tracking server's own UI."""
    del ws  # every kind of workspace has the UI now
    return experiment.trace_url


def _html(value: str = "", *classes: str) -> w.HTML:
    widget = w.HTML(value)
    for name in classes:
        widget.add_class(name)
    return widget


class TurnWidget:
    """The widgets of one turn: question, tool calls, approvals, answer, error, trace."""

    def __init__(self, view: TurnView, trace_url: TraceUrl,
                 on_decide: Callable[[TurnWidget, str, bool], None]) -> None:
        self.view = view
        self._trace_url = trace_url
        self._on_decide = on_decide
        self.question = _html(render.question(view.question), "agent-question")
        self.calls = w.Accordion(children=())
        self.calls.add_class("agent-calls")
        self._call_html: dict[str, w.HTML] = {}
        self.approvals = w.VBox()
        self.approval_buttons: dict[str, tuple[w.Button, w.Button]] = {}
        self.answer = _html("", "agent-answer")
        self.error = _html("", "agent-error")
        self.error.layout.display = "none"
        self.trace = _html("", "agent-trace")
        self.box = w.VBox([self.question, self.calls, self.approvals, self.answer, self.error, self.trace])
        self.box.add_class("agent-turn")

    def update(self, what: Change) -> None:
        view = self.view
        if what == "start":
            return
        if what == "answer":
            self.answer.value = render.markdown(view.answer)
        elif what in ("calls", "approvals"):
            self._draw_calls()
            if what == "approvals":
                self._draw_approvals()
        elif what == "error":
            self.error.value = render.error(view.error or "")
            self.error.layout.display = "" if view.error else "none"
            self.answer.value = render.markdown(view.answer)
        elif what == "done":
            self._draw_calls()
            self._draw_approvals()
            self.answer.value = render.markdown(view.answer)
            url = self._trace_url(view.trace_id) if view.trace_id else None
            self.trace.value = render.trace(view.trace_id, url)

    def _draw_calls(self) -> None:
        calls = self.view.tool_calls
        for call in calls:
            if call.call_id not in self._call_html:
                self._call_html[call.call_id] = _html("", "agent-call")
            self._call_html[call.call_id].value = render.call_body(call)
        children = tuple(self._call_html[c.call_id] for c in calls)
        if children != self.calls.children:
            self.calls.children = children
        self.calls.titles = tuple(render.call_title(c) for c in calls)
        self.calls.layout.display = "" if calls else "none"

    def _draw_approvals(self) -> None:
        rows = []
        for request in self.view.approvals:
            if request.id not in self.approval_buttons:
                approve = w.Button(description="Approve", button_style="success", icon="check")
                deny = w.Button(description="Deny", button_style="danger", icon="times")
                approve.add_class("agent-approve")
                deny.add_class("agent-deny")
                approve.on_click(lambda _, rid=request.id: self._on_decide(self, rid, True))
                deny.on_click(lambda _, rid=request.id: self._on_decide(self, rid, False))
                self.approval_buttons[request.id] = (approve, deny)
            approve, deny = self.approval_buttons[request.id]
            row = w.HBox([_html(render.approval(request), "agent-approval"), approve, deny])
            rows.append(row)
        self.approvals.children = tuple(rows)

    def decided(self, request_id: str, approve: bool) -> None:
        """Disable the request's buttons and say what was chosen, on the button and the call."""
        for button in self.approval_buttons.get(request_id, ()):
            button.disabled = True
        chosen = self.approval_buttons.get(request_id, (None, None))[0 if approve else 1]
        if chosen is not None:
            chosen.description = "Approved" if approve else "Denied"
        call = self.view.calls.get(request_id)
        if call is not None:
            call.status = "approved" if approve else "denied"
            self._draw_calls()


class ChatPanel:
    """A chat with the agent: settings, transcript, input. Display it, or use `.widget`."""

    def __init__(self, session: ChatSession, *, trace_url: TraceUrl | None = None) -> None:
        self.session = session
        self._trace_url: TraceUrl = trace_url or (lambda trace_id: None)
        self._thread: threading.Thread | None = None
        self._running = False
        self._decisions: dict[str, bool] = {}
        self.turn_widgets: list[TurnWidget] = []
        session.reset()

        fit = {"description_width": "initial"}
        self.model = w.Dropdown(options=session.models, value=session.model, description="Model",
                                style=fit)
        self.engine = w.ToggleButtons(options=["client", "hosted"], value=session.engine,
                                      description="Engine", style={**fit, "button_width": "80px"},
                                      tooltips=["the agent loop runs here", "the Supervisor API runs the loop"])
        self.tools = [w.Checkbox(value=label in session.tools, description=label, indent=False,
                                 layout=w.Layout(width="auto")) for label in session.tool_labels]
        self.transcript = w.VBox()
        self.transcript.add_class("agent-transcript")
        self.text = w.Text(placeholder="Ask the agent…", layout=w.Layout(flex="1"))
        self.text.add_class("agent-input")
        self.send = w.Button(description="Send", button_style="primary", icon="paper-plane")
        self.send.add_class("agent-send")
        self.reset = w.Button(description="Reset conversation", icon="refresh", layout=w.Layout(width="auto"))
        self.reset.add_class("agent-reset")
        self.status = _html("", "agent-status")

        self.model.observe(lambda change: self._configure(model=change["new"]), names="value")
        self.engine.observe(lambda change: self._configure(engine=change["new"]), names="value")
        for box in self.tools:
            box.observe(lambda change: self._configure(
                tools=[b.description for b in self.tools if b.value]), names="value")
        self.send.on_click(lambda _: self.submit())
        self.reset.on_click(lambda _: self.new_conversation())

        tools = w.VBox([w.HTML("<b>Tools</b>"), *self.tools])
        self.widget = w.VBox([
            w.HTML(render.STYLE + f"<h3>Chat with {session.spec.name}</h3>"),
            w.HBox([self.model, self.engine]), tools, self.transcript,
            w.HBox([self.text, self.send, self.reset]), self.status])
        self.widget.add_class("agent-panel")

    # -- what a person does -------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        """A turn is running (Send, Reset and the approval buttons wait for it)."""
        return self._running

    def submit(self) -> None:
        """Send the text box's question (what the Send button does)."""
        question = self.text.value
        if self.busy:
            return self._say("A turn is still running; wait for its answer.")
        if not question.strip():
            return self._say("Type a question first.")
        if self.session.pending:
            return self._say(f"Approve or deny {', '.join(r.name for r in self.session.pending)} first.")
        self.text.value = ""
        self._start(lambda notify: self.session.ask(question, notify))

    def new_conversation(self) -> None:
        """Reset conversation: the history and the transcript are cleared, settings stay."""
        if self.busy:
            return self._say("A turn is still running; reset when it has answered.")
        self.session.reset()
        self._decisions.clear()
        self.turn_widgets = []
        self.transcript.children = ()
        self._say("New conversation.")

    def wait(self, timeout: float | None = 300) -> None:
        """Block until the running turn (if any) is over; for tests and scripts, never in a callback."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
            if thread.is_alive():
                raise TimeoutError(f"the agent turn did not finish within {timeout} s")

    # -- inside ------------------------------------------------------------------------------
    def _say(self, text: str) -> None:
        self.status.value = render.status(text)

    def _configure(self, **settings: Any) -> None:
        try:
            self.session.configure(**settings)
            self._say("")
        except AgentLibError as exc:
            self._say(str(exc))

    def _decide(self, turn: TurnWidget, request_id: str, approve: bool) -> None:
        if self.busy or request_id in self._decisions:
            return
        self._decisions[request_id] = approve
        turn.decided(request_id, approve)
        waiting = [r.id for r in self.session.pending if r.id not in self._decisions]
        if waiting:
            return self._say(f"{len(waiting)} more approval request(s) to answer.")
        decisions = {r.id: self._decisions[r.id] for r in self.session.pending}
        self._decisions.clear()
        self._start(lambda notify: self.session.decide(decisions, notify))

    def _start(self, run: Callable[[Callable[[TurnView, Change], None]], TurnView]) -> None:
        self._set_busy(True)
        self._say("The agent is working…")
        widgets: dict[int, TurnWidget] = {}

        def notify(view: TurnView, what: Change) -> None:
            turn = widgets.get(id(view))
            if turn is None:
                turn = widgets[id(view)] = TurnWidget(view, self._trace_url, self._decide)
                self.turn_widgets.append(turn)
                self.transcript.children = (*self.transcript.children, turn.box)
            turn.update(what)

        def work() -> None:
            try:
                view = run(notify)
                if view.error:
                    self._say("The turn failed; see the error above.")
                elif view.approvals:
                    self._say("Approve or deny the tool call above to continue.")
                else:
                    self._say("")
            except Exception as exc:  # noqa: BLE001 - a worker thread has nobody else to tell
                self._say(f"{type(exc).__name__}: {exc}")
            finally:
                self._set_busy(False)

        self._thread = threading.Thread(target=work, name="agent-turn", daemon=True)
        self._thread.start()

    def _set_busy(self, busy: bool) -> None:
        self._running = busy
        self.send.disabled = busy
        self.reset.disabled = busy

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)


__all__ = ["ChatPanel", "TraceUrl", "TurnWidget", "trace_links"]
