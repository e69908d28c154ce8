"""Notebook 03: try the agent by hand in an ipywidgets chat, or ask scripted questions headless.

    ws = connect("emulated")
    experiment = use_experiment(ws, "/Shared/agent-lib")
    session = open_session(ws, params)                    # spec + chosen model/engine, chat endpoints
    run_questions(session, ["What was our revenue in 2025?"])   # a table: answer, tool calls, trace
    ChatPanel(session, trace_url=trace_links(ws, experiment))   # the chat panel

`ChatSession` holds the conversation (full history every turn, as the Supervisor contract wants)
and knows no widgets; `ChatPanel` draws it and runs each turn on a worker thread.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .headless import COLUMNS, describe_call, run_questions
from .panel import ChatPanel, trace_links
from .params import DEMO_QUESTIONS, PrototypeParams
from .session import ChatSession, chat_endpoints
from .turn import CallView, TurnRecorder, TurnView

if TYPE_CHECKING:
    from ..params import NotebookParams
    from ..workspace import Workspace


def open_session(ws: Workspace, params: NotebookParams, **supervisor_options: object) -> ChatSession:
    """The agent spec at `params.spec_path` as the notebook's parameters change it, over `ws`'s client."""
    from ..spec import load_spec

    spec = load_spec(params.spec_path, overrides=params.spec_overrides())
    return ChatSession(spec, ws.client, models=chat_endpoints(ws.client),
                       supervisor_options=supervisor_options)


__all__ = [
    "COLUMNS", "DEMO_QUESTIONS", "CallView", "ChatPanel", "ChatSession", "PrototypeParams", "TurnRecorder", "TurnView",
    "chat_endpoints", "describe_call", "open_session", "run_questions", "trace_links",
]
