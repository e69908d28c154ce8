"""FastAPI dependencies every route uses: the workspace state and the authenticated caller."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from .identity import Principal
from .state import EmulatorState


def get_state(request: Request) -> EmulatorState:
    return request.app.state.emulator


def get_caller(request: Request) -> Principal:
    state: EmulatorState = request.app.state.emulator
    return state.identities.authenticate(request.headers.get("authorization"))


State = Annotated[EmulatorState, Depends(get_state)]
Caller = Annotated[Principal, Depends(get_caller)]
