"""Fixtures of the workflow tests (setup, grants): their own emulated workspace, reset before each test.

They create Apps, replace functions and grant privileges, so they do not share the session's
workspace: a reset there would also invalidate the session's user tokens (`alice`).
"""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="package")
def workflow_emulator():
    from agent_lib.emulator import start

    ws = start(None)
    yield ws
    ws.stop()


@pytest.fixture
def workspace(workflow_emulator):
    """The workflow tests' emulated workspace, reset to the seeded demo."""
    workflow_emulator.reset()
    return workflow_emulator


@pytest.fixture
def demo_spec():
    from agent_lib.spec import load_spec

    return load_spec(ROOT / "agent.yml")
