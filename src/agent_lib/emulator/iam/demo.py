"""The demo's groups: alice is a data scientist (group `data-scientists`), bob is not."""

from __future__ import annotations

from ..core.state import EmulatorState
from .groups import ensure_group


def seed(state: EmulatorState) -> None:
    ensure_group(state, "data-scientists", members=["alice@example.com"])
