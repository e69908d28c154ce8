"""Scripted questions without a front end (papermill, the bundle job): one table row per question.

    table = run_questions(session, ["What was our revenue in 2025?", "Open a ticket for ..."])

Nothing waits for a click: an MCP approval request is answered by the `approvals` policy, and the
decision is shown in the row, so a run that approved (or denied) a ticketing call says so.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Literal

from .turn import APPROVAL_STATES, CallView, TurnView

if TYPE_CHECKING:
    import pandas as pd

    from .session import ChatSession

Policy = Literal["approve", "deny"]
COLUMNS = ("question", "answer", "tool_calls", "approvals", "error", "trace_id")
MAX_APPROVAL_ROUNDS = 4
"""Follow-ups per question before giving up (a model that keeps asking for approval)."""


def describe_call(call: CallView, width: int = 160) -> str:
    """One line: `name {arguments} -> output (0.12 s)`, the output cut to `width` characters."""
    args = json.dumps(call.arguments, ensure_ascii=False, separators=(", ", ": "))
    shown = call.error and f"error: {call.error}" or " ".join((call.output or "").split())
    if len(shown) > width:
        shown = shown[: width - 1] + "…"
    took = f" ({call.duration_s:.2f} s)" if call.duration_s is not None else ""
    return f"{call.name} {args} -> {shown}{took}"


@lru_cache(maxsize=1)
def _table_class() -> type[pd.DataFrame]:
    """A DataFrame that a notebook shows whole (built on first use: pandas loads only when needed)."""
    import pandas as pd

    class AnswerTable(pd.DataFrame):
        @property
        def _constructor(self) -> type[pd.DataFrame]:
            return AnswerTable

        def _repr_html_(self) -> str:
            style = self.style.set_properties(**{"white-space": "pre-wrap", "text-align": "left",
                                                 "vertical-align": "top"})
            return str(style.hide(axis="index").to_html())

    return AnswerTable


def answer_table(rows: Sequence[dict[str, str]]) -> pd.DataFrame:
    """A DataFrame of `COLUMNS`, shown whole in a notebook: no cut cells, line breaks kept, left-aligned."""
    return _table_class()(list(rows), columns=list(COLUMNS))


def run_questions(session: ChatSession, questions: Sequence[str], *, approvals: Policy = "approve",
                  conversation: bool = True) -> pd.DataFrame:
    """Ask each question in order and return a table: question, answer, tool calls, approvals, error.

    `conversation=True` asks them as one conversation (each sees the ones before); False starts a
    new conversation for each. The session starts a new conversation first either way.
    """
    if approvals not in ("approve", "deny"):
        raise ValueError(f"approvals={approvals!r}: use 'approve' or 'deny' (what a headless run "
                         "answers to an MCP tool's approval request)")
    session.reset()
    rows = []
    for question in questions:
        if not conversation:
            session.reset()
        views = [session.ask(question)]
        while views[-1].approvals and len(views) <= MAX_APPROVAL_ROUNDS:
            views.append(session.decide({r.id: approvals == "approve" for r in views[-1].approvals}))
        rows.append(_row(question, views))
    return answer_table(rows)


def _row(question: str, views: list[TurnView]) -> dict[str, str]:
    calls: dict[str, CallView] = {}
    for view in views:
        calls.update((cid, c) for cid, c in view.calls.items() if c.status not in APPROVAL_STATES)
    last = views[-1]
    waiting = [f"still waiting: {r.name} on {r.server_label}" for r in last.approvals]
    return {
        "question": question,
        "answer": last.answer,
        "tool_calls": "\n".join(describe_call(c) for c in calls.values()),
        "approvals": "; ".join([v.question for v in views[1:]] + waiting),
        "error": "; ".join(v.error for v in views if v.error),
        "trace_id": ", ".join(v.trace_id for v in views if v.trace_id),
    }


__all__ = ["COLUMNS", "Policy", "answer_table", "describe_call", "run_questions"]
