"""Shared fixtures: one emulated workspace per test session, real SDK clients against it.

    def test_me(admin):
        assert admin.current_user.me().user_name == "admin@example.com"

Tests that change shared demo objects should create their own objects (unique names) instead, or
take `fresh_emulator`, which resets the workspace to the seeded demo first.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("MLFLOW_MODEL_CATALOG_URI", "")
os.environ.setdefault("DO_NOT_TRACK", "true")
os.environ.setdefault("HF_HUB_OFFLINE", "1")


@pytest.fixture(scope="session")
def emulator() -> Iterator[object]:
    """The session's emulated workspace (in memory, demo seeded): `.host`, `.token`, `.token_for()`."""
    from agent_lib.emulator import start

    ws = start(None)
    yield ws
    ws.stop()


@pytest.fixture
def fresh_emulator(emulator):
    """The session's emulated workspace, reset to the seeded demo before the test."""
    emulator.reset()
    return emulator


@pytest.fixture(scope="session")
def admin(emulator):
    """A real `WorkspaceClient` acting as the workspace admin."""
    return emulator.client()


@pytest.fixture(scope="session")
def alice(emulator):
    """A real `WorkspaceClient` acting as alice@example.com, an ordinary user with no grants."""
    return emulator.client(emulator.token_for("alice@example.com"))
