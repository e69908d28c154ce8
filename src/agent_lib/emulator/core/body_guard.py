"""One guard for every request body, before any route sees it: hostile JSON is a 400, never a 500.

Routes parse their bodies in many ways (pydantic models, raw dicts, the OpenAI wire types), and
each used to fail on its own on the same few inputs: a lone surrogate escape (`"\\ud800"`) that
no UTF-8 encoder accepts later, JSON nested 10,000 deep (RecursionError), numbers no 64-bit
field holds (10**30 as a row limit), NaN and Infinity (not JSON at all). This ASGI middleware
reads the body once, refuses an oversized one early (413, from Content-Length when it is sent),
and checks a JSON body for those properties, answering in Databricks' envelope with the place
in the document that is wrong (`input[0].content`). Bodies that pass are handed on unchanged;
JSON that does not parse at all is left to the route, whose message names its own fields.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from typing import Any

MAX_BODY_BYTES = 32 * 1024 * 1024  # Databricks refuses far smaller bodies on most APIs
MAX_DEPTH = 64  # arrays and objects nested in one another
INT64 = 2 ** 63
_SURROGATE = re.compile("[\ud800-\udfff]")
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


def _where(path: list[str | int]) -> str:
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else p)
    return f"`{out}`" if out else "the top level"


def _no_constants(name: str) -> Any:
    raise _malformed(f"{name} is not a JSON number; send a finite number or a string.")


def check_json(value: Any) -> None:
    """Depth, lone surrogates, integers outside 64 bits, non-finite floats: BodyRejected naming where."""
    stack: list[tuple[Any, list[str | int]]] = [(value, [])]
    while stack:
        node, path = stack.pop()
        if len(path) > MAX_DEPTH:
            raise _malformed(f"JSON nested deeper than {MAX_DEPTH} levels at {_where(path[:MAX_DEPTH])}.")
        if isinstance(node, dict):
            for key, child in node.items():
                if _SURROGATE.search(key):
                    raise _malformed(f"the key {key.encode('utf-8', 'backslashreplace').decode()!r} at "
                                     f"{_where(path)} holds a lone UTF-16 surrogate; send valid Unicode.")
                stack.append((child, [*path, key]))
        elif isinstance(node, list):
            stack.extend((child, [*path, i]) for i, child in enumerate(node))
        elif isinstance(node, str):
            if _SURROGATE.search(node):
                raise _malformed(f"the string at {_where(path)} holds a lone UTF-16 surrogate "
                                 "(an unpaired \\ud800-\\udfff escape); send valid Unicode text.")
        elif isinstance(node, bool) or node is None:
            continue
        elif isinstance(node, int):
            if not -INT64 <= node < INT64:
                raise _malformed(f"the number at {_where(path)} does not fit in 64 bits "
                                 f"(from {-INT64} to {INT64 - 1}).")
        elif isinstance(node, float) and node in (float("inf"), float("-inf")):
            raise _malformed(f"the number at {_where(path)} is too large for a 64-bit float.")


def check_body(body: bytes, content_type: str) -> None:
    """The checks for one buffered body (JSON bodies only; other content types pass)."""
    if len(body) > MAX_BODY_BYTES:
        raise _too_large()
    stripped = body.lstrip()
    looks_json = "json" in content_type or (not content_type and stripped[:1] in (b"{", b"["))
    if not stripped or not looks_json:
        return
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _malformed(f"it is not UTF-8 (byte {exc.start}); send JSON as UTF-8.") from None
    try:
        value = json.loads(text, parse_constant=_no_constants)
    except RecursionError:
        raise _malformed(f"JSON nested deeper than {MAX_DEPTH} levels.") from None
    except ValueError:
        return  # not JSON at all: the route says which field it expected
    check_json(value)


def _too_large() -> BodyRejected:
    return BodyRejected(413, "REQUEST_LIMIT_EXCEEDED",
                        f"The request body is larger than {MAX_BODY_BYTES // (1024 * 1024)} MiB.")


class BodyGuard:
    """ASGI middleware: buffer, check and replay the body of every POST/PUT/PATCH/DELETE."""

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]]) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") not in _BODY_METHODS:
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        try:
            length = headers.get("content-length", "")
            if length.isdigit() and int(length) > MAX_BODY_BYTES:
                raise _too_large()
            body, more = await _read(receive)
            check_body(body, headers.get("content-type", "").lower())
        except BodyRejected as exc:
            await _reject(send, exc)
            return
        if more is not None:  # the client went away while sending
            return
        await self.app(scope, _replay(body, receive), send)


async def _read(receive: Receive) -> tuple[bytes, dict[str, Any] | None]:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks), message
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise _too_large()
        chunks.append(chunk)
        if not message.get("more_body"):
            return b"".join(chunks), None


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()
    return replay


async def _reject(send: Send, exc: BodyRejected) -> None:
    payload = json.dumps({"error_code": exc.error_code, "message": exc.message}).encode()
    await send({"type": "http.response.start", "status": exc.status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(payload)).encode())]})
    await send({"type": "http.response.body", "body": payload})
