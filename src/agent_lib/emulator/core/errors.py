"""Databricks' error envelope, raised from anywhere in the emulator and rendered by one handler.

Databricks answers errors as `{"error_code": ..., "message": ...}` with a matching HTTP status; the
SDK maps `error_code` to its exception classes (NotFound, PermissionDenied, ...), so getting the
code right is what makes `except NotFound:` work in user code against the emulator.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException


class ApiError(Exception):
    """An error answered to the client as Databricks would answer it."""

    def __init__(self, status: int, error_code: str, message: str, *, headers: dict[str, str] | None = None,
                 **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.error_code = error_code
        self.message = message
        self.headers = headers
        self.extra = extra

    def body(self) -> dict[str, Any]:
        return {"error_code": self.error_code, "message": self.message, **self.extra}


def invalid(message: str) -> ApiError:
    return ApiError(400, "INVALID_PARAMETER_VALUE", message)


def bad_request(message: str) -> ApiError:
    return ApiError(400, "BAD_REQUEST", message)


def unauthenticated(message: str = "Invalid access token.") -> ApiError:
    return ApiError(401, "UNAUTHENTICATED", message)


def permission_denied(message: str) -> ApiError:
    return ApiError(403, "PERMISSION_DENIED", message)


def not_found(message: str) -> ApiError:
    return ApiError(404, "RESOURCE_DOES_NOT_EXIST", message)


def already_exists(message: str) -> ApiError:
    return ApiError(409, "RESOURCE_ALREADY_EXISTS", message)


def _field_path(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path")]
    return ".".join(parts) or "request body"


def _validation_message(exc: RequestValidationError) -> str:
    first = exc.errors()[0]
    field = _field_path(tuple(first.get("loc", ())))
    kind = first.get("type", "")
    if kind == "missing":
        return f"Missing required field: {field}"
    if kind == "extra_forbidden":
        return f"Unknown field: {field}"
    if kind == "json_invalid":
        return f"Malformed request: invalid JSON in request body ({first.get('msg', '')})"
    return f"Invalid value for field '{field}': {first.get('msg', 'invalid')}"


def install_handlers(app: FastAPI) -> None:
    """Route every error path to the Databricks envelope: ours, FastAPI's validation, 404/405."""

    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(exc.body(), status_code=exc.status, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(
            {"error_code": "INVALID_PARAMETER_VALUE", "message": _validation_message(exc)},
            status_code=400,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 404:
            body = {"error_code": "ENDPOINT_NOT_FOUND",
                    "message": f"No API found for '{request.method} {request.url.path}'"}
        elif exc.status_code == 405:
            body = {"error_code": "BAD_REQUEST",
                    "message": f"Method {request.method} is not allowed on {request.url.path}"}
        else:
            body = {"error_code": "BAD_REQUEST", "message": str(exc.detail)}
        return JSONResponse(body, status_code=exc.status_code)
