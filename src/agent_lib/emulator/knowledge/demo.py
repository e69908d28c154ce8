"""The demo Knowledge Assistant: the company's policy documents (`knowledge/docs/*.md`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..core import demo_ids
from ..core.state import ADMIN_USER
from . import models

if TYPE_CHECKING:
    from ..core.state import EmulatorState

DISPLAY_NAME = "Company policies"
DESCRIPTION = (
    "Answers questions about the company's policies (returns, refunds, shipping, warranty, price "
    "matching, travel, expenses, security and passwords, remote work, data retention, support SLAs, "
    "holidays, procurement and the code of conduct), citing the document and section."
)
INSTRUCTIONS = (
    "Answer only from the policy documents. Quote the exact numbers (days, amounts, limits) and cite "
    "the document and section. If the documents do not cover the question, say so."
)


def seed(state: EmulatorState) -> None:
    if models.exists(state, demo_ids.KNOWLEDGE_ASSISTANT_ID):
        return
    admin = state.identities.find("user", ADMIN_USER)
    owner = state.identities.resolve(state.admin_token) if admin else None
    models.create(state, owner, display_name=DISPLAY_NAME, description=DESCRIPTION,
                  instructions=INSTRUCTIONS, ka_id=demo_ids.KNOWLEDGE_ASSISTANT_ID)
    models.add_source(state, demo_ids.KNOWLEDGE_ASSISTANT_ID, {
        "display_name": "Policy documents",
        "description": "The company's policy handbook, one Markdown file per policy.",
        "source_type": "files", "files": {"path": models.POLICIES_VOLUME}})
