"""The Supervisor API (Beta) over HTTP, served by the client engine's loop.

    POST {base}/responses                    create: JSON response, SSE stream, or background (queued)
    GET  {base}/responses/{id}               a stored or running response (its creator only)
    POST {base}/responses/{id}/cancel        stop a running background response

with `{base}` = `/ai-gateway/mlflow/v1` (what `DatabricksOpenAI(use_ai_gateway=True)` calls), the
legacy `/mlflow/v1` and the internal `/api/2.0/mas`. Narrowed (user authorization) tokens need the
`ai-gateway` scope. Validation rules: `validation.py`; runs: `models.py`.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, StreamingResponse

from ..core.deps import Caller, State
from ..core.errors import invalid
from ..core.identity import require_scope
from ..core.state import EmulatorState
from . import models
from .validation import validate

BASES = ("/ai-gateway/mlflow/v1", "/mlflow/v1", "/api/2.0/mas")
SCOPE = "ai-gateway"
_SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}

router = APIRouter()


def _token(request: Request) -> str:
    return request.headers.get("authorization", "").partition(" ")[2].strip()


async def _json_body(request: Request) -> Any:
    raw = await request.body()
    try:
        return json.loads(raw or b"null")
    except ValueError as exc:
        raise invalid(f"Malformed request: invalid JSON in request body ({exc})") from None


Body = Annotated[Any, Depends(_json_body)]


async def _state(request: Request) -> EmulatorState:
    return request.app.state.emulator  # as `core.deps.State`, without a trip to the thread pool


AsyncState = Annotated[EmulatorState, Depends(_state)]


def create(request: Request, state: AsyncState, caller: Caller, body: Body) -> Any:
    """Create a response: validate, then run the loop as the caller (JSON, SSE or background)."""
    require_scope(caller, SCOPE)
    parsed = validate(body, obo=models.is_obo(caller))
    session = models.open_session(state, caller, _token(request), parsed)
    if parsed.background:
        return models.start_background(state, caller, session, parsed)
    if parsed.stream:
        return StreamingResponse(models.stream(state, caller, session, parsed),
                                 media_type="text/event-stream", headers=_SSE_HEADERS)
    return JSONResponse(models.respond(state, caller, session, parsed))  # JSON-ready: no re-encoding


def retrieve(response_id: str, state: State, caller: Caller) -> dict[str, Any]:
    require_scope(caller, SCOPE)
    return models.get(state, caller, response_id)


def cancel(response_id: str, state: State, caller: Caller) -> dict[str, Any]:
    require_scope(caller, SCOPE)
    return models.cancel(state, caller, response_id)


for _base in BASES:
    router.add_api_route(f"{_base}/responses", create, methods=["POST"])
    router.add_api_route(f"{_base}/responses/{{response_id}}", retrieve, methods=["GET"])
    router.add_api_route(f"{_base}/responses/{{response_id}}/cancel", cancel, methods=["POST"])

__all__ = ["BASES", "router"]
