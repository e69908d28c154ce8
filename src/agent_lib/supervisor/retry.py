"""Bounded retries with exponential backoff for the transient answers Databricks gives: 429 and 503.

    policy = RetryPolicy(attempts=3, backoff_s=0.5)
    response = policy.call(lambda: client.responses.create(...), what="model databricks-claude-sonnet-4-5")

Only calls that failed with a retryable status are repeated; anything else is raised at once.
A `Retry-After` header (seconds) is honoured up to `max_backoff_s`. A call without side effects (a
model call) may also be repeated when its answer broke off (`broken=True`): a connection closed
half-way is as transient as a 503, but repeating a tool call that may have run would run it twice.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

T = TypeVar("T")

RETRYABLE = (429, 503)


def status_of(exc: BaseException) -> int | None:
    """The HTTP status behind an openai, databricks-sdk or httpx error (or the error it wraps)."""
    seen = 0
    current: BaseException | None = exc
    while current is not None and seen < 4:
        status = _own_status(current)
        if status is not None:
            return status
        current, seen = current.__cause__, seen + 1
    return None


def _own_status(exc: BaseException) -> int | None:
    status = getattr(exc, "status_code", None)  # openai.APIStatusError
    if isinstance(status, int):
        return status
    response = getattr(exc, "response", None)  # httpx.HTTPStatusError
    status = getattr(response, "status_code", None)
    if isinstance(status, int):
        return status
    from databricks.sdk.errors import platform
    for code, cls in platform.STATUS_CODE_MAPPING.items():
        if type(exc) is cls:
            return code
    return None


def broken(exc: BaseException) -> bool:
    """A connection that failed or closed before the answer was complete (not a timeout: the time
    budget is spent)."""
    import httpx
    import openai

    if isinstance(exc, openai.APITimeoutError):
        return False
    if isinstance(exc, openai.APIConnectionError):
        return True
    return isinstance(exc, httpx.TransportError) and not isinstance(exc, httpx.TimeoutException)


def retry_after(exc: BaseException) -> float | None:
    """The `Retry-After` seconds the service answered with, if any."""
    seconds = getattr(exc, "retry_after_secs", None)  # databricks-sdk
    if isinstance(seconds, int | float):
        return float(seconds)
    headers = getattr(getattr(exc, "response", None), "headers", None)
    value = headers.get("retry-after") if headers is not None else None
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to repeat a call that got 429 or 503."""

    attempts: int = 3
    """Tries in all, the first included (1 = no retry)."""
    backoff_s: float = 0.5
    """Wait before the second try; doubles before each further try."""
    max_backoff_s: float = 8.0
    """Upper bound of any single wait, `Retry-After` included."""
    statuses: tuple[int, ...] = RETRYABLE
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False, compare=False)

    def call(self, fn: Callable[[], T], *, on_retry: Callable[[int, BaseException], None] | None = None,
             broken: bool = False) -> T:
        """`fn()`, repeated on a retryable status (and, with `broken`, a broken connection) until it
        succeeds or the attempts run out."""
        attempt = 1
        while True:
            try:
                return fn()
            except Exception as exc:
                # databricks-sdk retries 429/503 itself and raises TimeoutError when its budget
                # (`retry_timeout_seconds`) is spent: retrying that again would multiply the wait
                retryable = not isinstance(exc, TimeoutError) and (
                    status_of(exc) in self.statuses or (broken and _broken(exc)))
                if attempt >= self.attempts or not retryable:
                    raise
                wait = min(retry_after(exc) or self.backoff_s * 2 ** (attempt - 1), self.max_backoff_s)
                if on_retry is not None:
                    on_retry(attempt, exc)
                self.sleep(wait)
                attempt += 1


_broken = broken  # `call`'s parameter of the same name hides the function
NO_RETRY = RetryPolicy(attempts=1)

__all__ = ["NO_RETRY", "RETRYABLE", "RetryPolicy", "broken", "retry_after", "status_of"]
