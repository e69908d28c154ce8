"""The demo workspace's foundation-model endpoints (pay-per-token, queryable by every user) and its
stand-in judge endpoint `agent-lib-judge` (serving/judge.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..core import demo_ids
from ..core.state import ADMIN_USER
from . import models
from .judge import ENDPOINT

if TYPE_CHECKING:
    from ..core.state import EmulatorState


def seed(state: EmulatorState) -> None:
    for name in demo_ids.FOUNDATION_MODELS:
        doc = models.create_endpoint(state, name, kind=models.FOUNDATION, creator=ADMIN_USER,
                                     served_entities=[models.foundation_entity(name)])
        # Pay-per-token endpoints are open to the workspace's users, as on Databricks.
        state.acls.grant(models.OBJECT_TYPE, doc["id"], "group:users", "CAN_QUERY")
    judge = models.create_endpoint(state, ENDPOINT, kind=models.JUDGE, creator=ADMIN_USER,
                                   served_entities=[{"name": ENDPOINT, "foundation_model": {
                                       "name": ENDPOINT, "display_name": "agent-lib stand-in judge",
                                       "description": "Answers MLflow's built-in judge prompts by fixed "
                                                      "rules (emulator/serving/judge.py), offline."}}])
    state.acls.grant(models.OBJECT_TYPE, judge["id"], "group:users", "CAN_QUERY")
