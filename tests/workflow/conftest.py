"""Fixtures of the workflow tests (setup, grants): a workspace reset before and after each test."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def workspace(emulator):
    """The session's emulated workspace reset to the demo, and reset again after the test."""
    emulator.reset()
    yield emulator
    emulator.reset()


@pytest.fixture
def demo_spec():
    from agent_lib.spec import load_spec

    return load_spec(ROOT / "agent.yml")
