"""FastAPI dependencies every route uses: the workspace state and the authenticated caller.

Both are `async`: FastAPI runs a sync dependency on its thread pool, one hop per dependency per
request, which costs more than the work they do.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from .identity import Principal
from .state import EmulatorState


async def get_state(request: Request) -> EmulatorState:
    return request.app.state.emulator


async def get_caller(request: Request) -> Principal:
    """Resolve the bearer token on the event loop: two indexed SQLite reads, well under a
    millisecond, where a sync dependency would cost a thread-pool hop on every request."""
    state: EmulatorState = request.app.state.emulator
    return state.identities.authenticate(request.headers.get("authorization"))


State = Annotated[EmulatorState, Depends(get_state)]
Caller = Annotated[Principal, Depends(get_caller)]
