"""How the App answers a turn that failed: a status that says who failed, and a JSON reason.

MLflow's AgentServer answers any exception of the `@invoke` handler with HTTP 500 `{"detail": ...}`.
The App answers instead as a gateway does (Databricks' own conventions: 4xx when the request or the
caller is at fault, 5xx only when a service is; `TEMPORARILY_UNAVAILABLE`, `DEADLINE_EXCEEDED`,
`REQUEST_LIMIT_EXCEEDED` are the platform's error codes for the transient cases):

    the turn failed because ...                        status  code                     Retry-After
    the request is invalid (a broken history)          400     invalid_request          -
    the caller may not use a tool (403 upstream)       403     PERMISSION_DENIED        -
    a model or tool is rate limited (429 upstream)     429     REQUEST_LIMIT_EXCEEDED   upstream's
    a model or tool is unavailable (503 upstream)      503     TEMPORARILY_UNAVAILABLE  upstream's
    a model or tool did not answer in time             504     DEADLINE_EXCEEDED        -
    any other upstream failure (500, a broken stream,  502     BAD_GATEWAY              -
      a failed response, too many tool turns)

The body is the openai-style error the guard's 400s use, plus the failing `dependency` (a model
endpoint, a tool, the Supervisor API) and its `upstream_status`:

    {"error": {"message": "...", "type": "upstream_error", "code": "TEMPORARILY_UNAVAILABLE",
               "dependency": "model endpoint databricks-claude-sonnet-4-5", "upstream_status": 503}}

Only a fault of the App itself (an unexpected exception) stays a 500, with the error's type and a
redacted message. Streams have answered 200 before a failure can happen: there the engine's `error`
event and AgentServer's `[DONE]` end the stream (`handlers.stream_agent`).
"""

from __future__ import annotations

import json
import logging
from typing import Any

from ..errors import AgentLibError, SupervisorError
from .auth import Unauthorized

log = logging.getLogger("agent_lib.app")

_TRANSIENT = {429: "REQUEST_LIMIT_EXCEEDED", 503: "TEMPORARILY_UNAVAILABLE"}


def clean(text: str) -> str:
    """`text` without tokens and without the SDK's configuration dump."""
    from ..supervisor.failures import clean_message

    return clean_message(text)


def _error(status: int, message: str, code: str, kind: str, **extra: Any) -> tuple[int, dict[str, Any]]:
    error = {"message": clean(message), "type": kind, "code": code}
    error.update({k: v for k, v in extra.items() if v is not None})
    return status, {"error": error}


def classify(exc: BaseException) -> tuple[int, dict[str, Any], dict[str, str]]:
    """(status, JSON body, headers) answering a turn that failed with `exc`."""
    from ..supervisor.retry import retry_after, status_of

    headers: dict[str, str] = {}
    if isinstance(exc, Unauthorized):
        status, body = _error(401, str(exc), "unauthorized", "invalid_request_error")
        return status, body, headers
    if isinstance(exc, SupervisorError):
        upstream, cause, dependency, wait = exc.status, exc.cause, exc.dependency, exc.retry_after_s
    elif isinstance(exc, AgentLibError) or status_of(exc) is not None:
        upstream, cause, dependency, wait = status_of(exc), "http", None, retry_after(exc)
    else:
        status, body = _error(500, f"the App failed: {type(exc).__name__}: {exc}", "INTERNAL_ERROR",
                              "server_error")
        return status, body, headers
    if cause == "request":
        status, body = _error(400, str(exc), "invalid_request", "invalid_request_error")
        return status, body, headers
    if cause == "timeout" or upstream == 504:
        status, code = 504, "DEADLINE_EXCEEDED"
    elif upstream in _TRANSIENT:
        status, code = upstream, _TRANSIENT[upstream]
        if wait is not None:
            headers["retry-after"] = str(max(0, round(wait)))
    elif upstream == 403:
        status, code = 403, "PERMISSION_DENIED"
    else:
        status, code = 502, "BAD_GATEWAY"
    status, body = _error(status, str(exc), code, "upstream_error", dependency=dependency,
                          upstream_status=upstream)
    return status, body, headers


def turn_failure(exc: BaseException) -> BaseException | None:
    """The exception AgentServer's 500 stands for (it raises its `HTTPException` while handling it)."""
    if getattr(exc, "status_code", None) != 500:
        return None
    return exc.__context__


async def answer_failed_turn(request: Any, exc: Any) -> Any:
    """FastAPI exception handler: AgentServer's 500 for a failed turn becomes `classify`'s answer;
    every other HTTP exception is answered as FastAPI would."""
    from fastapi.exception_handlers import http_exception_handler
    from fastapi.responses import Response

    failure = turn_failure(exc)
    if failure is None:
        return await http_exception_handler(request, exc)
    status, body, headers = classify(failure)
    return Response(json.dumps(body), status_code=status, headers=headers, media_type="application/json")


def stream_error_message(exc: BaseException) -> str:
    """The `error` event's message for a stream that failed outside the engine's own error events."""
    return clean(f"The agent failed: {type(exc).__name__}: {exc}")


__all__ = ["answer_failed_turn", "classify", "clean", "stream_error_message", "turn_failure"]
