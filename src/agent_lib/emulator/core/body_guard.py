"""One guard for every request body, before any route sees it: hostile JSON is a 400, never a 500.

Routes parse their bodies in many ways (pydantic models, raw dicts, the OpenAI wire types), and
each used to fail on its own on the same few inputs: a lone surrogate escape (`"\\ud800"`) that
no UTF-8 encoder accepts later, JSON nested 10,000 deep (RecursionError), numbers no 64-bit
field holds (10**30 as a row limit), NaN and Infinity (not JSON at all). This ASGI middleware
reads the body once, refuses an oversized one early (413, from Content-Length when it is sent),
and checks a JSON body for those properties, answering in Databricks' envelope with the place
in the document that is wrong (`input[0].content`). Bodies that pass are handed on unchanged;
JSON that does not parse at all is left to the route, whose message names its own fields. The
checks are `agent_lib.request_body`'s, which the agent App's guard uses too.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from ...request_body import Disconnected, JSONRefused, TooLarge, header, loads, read_body, replay, send_json

MAX_BODY_BYTES = 32 * 1024 * 1024  # Databricks refuses far smaller bodies on most APIs
_BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


class BodyRejected(Exception):
    def __init__(self, status: int, error_code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.error_code, self.message = status, error_code, message


def _malformed(message: str) -> BodyRejected:
    return BodyRejected(400, "MALFORMED_REQUEST", f"Malformed request body: {message}")


def _too_large() -> BodyRejected:
    return BodyRejected(413, "REQUEST_LIMIT_EXCEEDED",
                        f"The request body is larger than {MAX_BODY_BYTES // (1024 * 1024)} MiB.")


def check_body(body: bytes, content_type: str) -> None:
    """The checks for one buffered body (JSON bodies only; other content types pass)."""
    if len(body) > MAX_BODY_BYTES:
        raise _too_large()
    stripped = body.lstrip()
    looks_json = "json" in content_type or (not content_type and stripped[:1] in (b"{", b"["))
    if not stripped or not looks_json:
        return
    try:
        loads(body)
    except JSONRefused as exc:
        raise _malformed(str(exc)) from None
    except ValueError:
        return  # not JSON at all: the route says which field it expected


class BodyGuard:
    """ASGI middleware: buffer, check and replay the body of every POST/PUT/PATCH/DELETE."""

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]]) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") not in _BODY_METHODS:
            await self.app(scope, receive, send)
            return
        content_type = header(scope, "content-type").lower()
        try:
            try:
                body = await read_body(scope, receive, MAX_BODY_BYTES)
            except TooLarge:
                raise _too_large() from None
            check_body(body, content_type)
        except BodyRejected as exc:
            await send_json(send, exc.status, json.dumps({"error_code": exc.error_code,
                                                          "message": exc.message}).encode())
            return
        except Disconnected:  # the client went away while sending
            return
        await self.app(scope, replay(body, receive), send)
