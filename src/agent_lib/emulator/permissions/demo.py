"""Permissions have no demo content of their own: each service grants on the objects it seeds."""

from __future__ import annotations

from ..core.state import EmulatorState


def seed(state: EmulatorState) -> None:  # noqa: ARG001 - nothing to seed
    return None
