"""The emulated Databricks workspace: what the real SDK clients talk to when no workspace is at hand.

    with agent_lib.emulator.start() as ws:
        w = ws.client()            # a real WorkspaceClient over HTTP
        w.current_user.me()
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .embedded import EmulatedWorkspace, start

__all__ = ["EmulatedWorkspace", "start"]


def __getattr__(name: str) -> Any:  # lazy: importing the package must not import uvicorn
    if name in __all__:
        from . import embedded

        return getattr(embedded, name)
    raise AttributeError(name)
