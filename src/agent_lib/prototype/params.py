"""`PrototypeParams`: the parameters of notebook 03 (interactive prototyping and scripted questions)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ..params import NotebookParams

DEMO_QUESTIONS = [
    "What was our total revenue in 2025?",
    "What is the status of order SO-10042?",
    "How many days do I have to return a laptop?",
    "Which support tickets mention refunds?",
]


class PrototypeParams(NotebookParams):
    """Notebook 03: the chat panel, and the questions a headless run (papermill, the job) asks."""

    questions: list[str] = Field(default_factory=lambda: list(DEMO_QUESTIONS))
    """Scripted questions, answered into a table (none: only the chat panel is shown)."""
    approvals: Literal["approve", "deny"] = "approve"
    """What a scripted run answers to an MCP tool's approval request (nobody is there to click)."""
    one_conversation: bool = False
    """Ask the scripted questions as one conversation (each sees the ones before) instead of apart."""


__all__ = ["DEMO_QUESTIONS", "PrototypeParams"]
