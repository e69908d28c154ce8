"""OAuth has no demo content of its own: Apps ask for their credentials when they are created."""

from __future__ import annotations

from ..core.state import EmulatorState


def seed(state: EmulatorState) -> None:  # noqa: ARG001 - nothing to seed
    return None
