"""Service failures as `SupervisorError`s that name the cause (and never a token).

    cause     when
    -------   ---------------------------------------------------------------
    http      the service answered 4xx/5xx, or could not be reached
    timeout   no answer within the time budget
    stream    an in-band `error` event, or a stream that broke off
    response  a response with `status: failed` (or cancelled, or an `error`)
    tool      a hosted tool could not be prepared (listing its MCP tools, ...)
    request   the request itself is invalid; fixed by changing the call
    max_turns the model kept calling tools for `max_turns` turns
"""

from __future__ import annotations

from typing import Any

from ..errors import SupervisorError
from ._redact import redact, without_sdk_debug
from .retry import retry_after, status_of


def envelope(body: Any) -> tuple[str | None, str | None]:
    """(error code, message) from a Databricks envelope or an OpenAI-style `{"error": {...}}` body."""
    if isinstance(body, dict):
        inner = body.get("error") if isinstance(body.get("error"), dict) else body
        code = inner.get("error_code") or inner.get("code")
        message = inner.get("message")
        return (str(code) if code else None, str(message) if message else None)
    if isinstance(body, str) and body.strip():
        return None, body.strip()
    return None, None


def from_exception(exc: BaseException, where: str, *, timeout_s: float | None = None) -> SupervisorError:
    """A `SupervisorError` for a failed call to `where` (e.g. "model endpoint databricks-claude-...");
    `where` becomes its `dependency`, the service's `Retry-After` its `retry_after_s`."""
    import openai

    if isinstance(exc, SupervisorError):
        return exc
    if isinstance(exc, openai.APITimeoutError):
        budget = f" within {timeout_s:g} s" if timeout_s else ""
        return SupervisorError(f"{where} did not answer{budget}; try again or raise timeout_s",
                               cause="timeout", dependency=where)
    if isinstance(exc, openai.APIConnectionError):
        import httpx

        reason = exc.__cause__ or exc
        what = "could not connect to" if isinstance(reason, httpx.ConnectError) else "lost the connection to"
        return SupervisorError(redact(f"{what} {where}: {reason}"), cause="http", dependency=where)
    status = status_of(exc)
    code, message = envelope(getattr(exc, "body", None))
    if message is None:
        message = str(exc)
    message = message.strip().rstrip(".")
    if status is None:
        return SupervisorError(redact(f"{where} failed: {type(exc).__name__}: {message}"), cause="http",
                               dependency=where)
    label = f"{status} {code}" if code else f"{status}"
    hint = {401: "Check the token (it may be expired).",
            403: "Check the caller's permissions and token scopes.",
            404: "Check the name, and that the service is enabled in this workspace.",
            429: "The service is rate limiting; retry later.",
            503: "The service is temporarily unavailable; retry later."}.get(status, "")
    hint = "" if hint.rstrip(".") in message else f" {hint}"  # an upstream relaying its own upstream says it once
    return SupervisorError(redact(f"{where} answered {label}: {message}.{hint}".rstrip()), cause="http",
                           status=status, dependency=where, retry_after_s=retry_after(exc))


def clean_message(text: str) -> str:
    """`text` as a user may read it: no token, no databricks-sdk configuration dump."""
    return redact(without_sdk_debug(text))


def error_code(exc: SupervisorError) -> str:
    """The `code` of the stream `error` event reporting `exc`."""
    return exc.cause if exc.status is None else f"http_{exc.status}"


__all__ = ["clean_message", "envelope", "error_code", "from_exception"]
