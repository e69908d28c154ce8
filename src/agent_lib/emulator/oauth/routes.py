"""OAuth routes under `/oidc`: discovery, the token endpoint, JWKS.

These are the only routes that take no bearer token: they are how a client gets one.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from ..core.deps import State
from . import models

router = APIRouter(prefix="/oidc", tags=["oauth"])

_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _host(state: State, request: Request) -> str:
    return state.host or str(request.base_url).rstrip("/")


@router.get("/.well-known/oauth-authorization-server")
def authorization_server(state: State, request: Request) -> dict[str, Any]:
    return models.discovery(_host(state, request))


@router.get("/.well-known/openid-configuration")
def openid_configuration(state: State, request: Request) -> dict[str, Any]:
    return models.discovery(_host(state, request))


@router.get("/jwks.json")
def jwks() -> dict[str, Any]:
    """No signing keys: the emulator's tokens are opaque and checked by lookup, not by signature."""
    return {"keys": []}


@router.get("/v1/authorize")
def authorize() -> JSONResponse:
    return JSONResponse(
        {"error": "unsupported_response_type",
         "error_description": "Browser (authorization code) login is not available in the emulated "
                              "workspace; use client credentials (oauth-m2m) or exchange a token at "
                              "/oidc/v1/token (grant_type=urn:ietf:params:oauth:grant-type:token-exchange)."},
        status_code=400)


def _parse_form(body: bytes, content_type: str) -> dict[str, str]:
    if content_type and not content_type.lower().startswith("application/x-www-form-urlencoded"):
        raise models.OAuthError(400, "invalid_request",
                                "The token request must be form-encoded "
                                "(Content-Type: application/x-www-form-urlencoded).")
    try:
        parsed = parse_qs(body.decode(), keep_blank_values=True, strict_parsing=False)
    except UnicodeDecodeError:
        raise models.OAuthError(400, "invalid_request", "The token request body is not UTF-8.") from None
    repeated = sorted(k for k, v in parsed.items() if len(v) > 1)
    if repeated:
        raise models.OAuthError(400, "invalid_request",
                                f"Parameters must not be repeated: {', '.join(repeated)}.")
    return {k: v[0] for k, v in parsed.items()}


@router.post("/v1/token")
async def token(request: Request, state: State) -> JSONResponse:
    try:
        form = _parse_form(await request.body(), request.headers.get("content-type", ""))
        answer = await run_in_threadpool(models.token_request, state, form,
                                         request.headers.get("authorization"))
    except models.OAuthError as exc:
        headers = dict(_NO_STORE)
        if exc.status == 401:
            headers["WWW-Authenticate"] = 'Basic realm="oidc"'
        return JSONResponse(exc.body(), status_code=exc.status, headers=headers)
    return JSONResponse(answer, headers=_NO_STORE)
