"""Reading and checking one HTTP request body in ASGI middleware: the emulator's and the App's guard.

Both servers put a guard in front of their routes (`emulator/core/body_guard.py`, `app/guard.py`),
because the routes behind them fail on the same few inputs in their own ways: JSON nested
10,000 deep (RecursionError), a lone surrogate escape (`"\\ud800"`) that no UTF-8 encoder accepts
later, numbers no 64-bit field holds, NaN and Infinity (not JSON at all), bytes that are not
UTF-8, a body larger than the server takes. The logic is the same; the answers differ (Databricks'
envelope in the emulator, an openai-style error in the App), so this module raises and each guard
words the answer:

    body = await read_body(scope, receive, limit)      # TooLarge / Disconnected
    value = loads(body)                                # JSONRefused (says where), ValueError (not JSON)
    await app(scope, replay(body, receive), send)      # the route reads the body again
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from typing import Any

MAX_DEPTH = 64
"""Arrays and objects nested in one another; no Databricks or Responses body comes near it."""
INT64 = 2 ** 63
_SURROGATE = re.compile("[\ud800-\udfff]")

Receive = Callable[[], Awaitable[dict[str, Any]]]


class TooLarge(Exception):
    """The body is over the limit (`size` is what was announced or read so far)."""

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f"{size} bytes or more; the limit is {limit} bytes")
        self.size, self.limit = size, limit


class Disconnected(Exception):
    """The client went away before the body was complete: there is no one to answer."""


class JSONRefused(Exception):
    """JSON that parses but no route can take safely; the message says what and where."""

    def __init__(self, message: str, where: str = "") -> None:
        super().__init__(message)
        self.where = where


def where(path: list[str | int] | tuple[str | int, ...]) -> str:
    """A place in a document as a reader writes it: `input[0].content` ("" for the top level)."""
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out


def _at(path: list[str | int]) -> str:
    place = where(path)
    return f"`{place}`" if place else "the top level"


def _no_constants(name: str) -> Any:
    raise JSONRefused(f"{name} is not a JSON number; send a finite number or a string.")


def check_json(value: Any) -> None:
    """Depth, lone surrogates, integers outside 64 bits, non-finite floats: JSONRefused naming where."""
    stack: list[tuple[Any, list[str | int]]] = [(value, [])]
    while stack:
        node, path = stack.pop()
        if len(path) > MAX_DEPTH:
            raise JSONRefused(f"JSON nested deeper than {MAX_DEPTH} levels at {_at(path[:MAX_DEPTH])}.",
                              where(path[:MAX_DEPTH]))
        if isinstance(node, dict):
            for key, child in node.items():
                if _SURROGATE.search(key):
                    raise JSONRefused(f"the key {key.encode('utf-8', 'backslashreplace').decode()!r} at "
                                      f"{_at(path)} holds a lone UTF-16 surrogate; send valid Unicode.",
                                      where(path))
                stack.append((child, [*path, key]))
        elif isinstance(node, list):
            stack.extend((child, [*path, i]) for i, child in enumerate(node))
        elif isinstance(node, str):
            if _SURROGATE.search(node):
                raise JSONRefused(f"the string at {_at(path)} holds a lone UTF-16 surrogate "
                                  "(an unpaired \\ud800-\\udfff escape); send valid Unicode text.", where(path))
        elif isinstance(node, bool) or node is None:
            continue
        elif isinstance(node, int):
            if not -INT64 <= node < INT64:
                raise JSONRefused(f"the number at {_at(path)} does not fit in 64 bits "
                                  f"(from {-INT64} to {INT64 - 1}).", where(path))
        elif isinstance(node, float) and node in (float("inf"), float("-inf")):
            raise JSONRefused(f"the number at {_at(path)} is too large for a 64-bit float.", where(path))


def loads(body: bytes) -> Any:
    """The body's JSON value, checked (`check_json`). JSONRefused for what parses but is unsafe (or
    is not UTF-8); `json.JSONDecodeError` (a ValueError) for text that is not JSON at all."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise JSONRefused(f"it is not UTF-8 (byte {exc.start}); send JSON as UTF-8.") from None
    try:
        value = json.loads(text, parse_constant=_no_constants)
    except RecursionError:
        raise JSONRefused(f"JSON nested deeper than {MAX_DEPTH} levels.") from None
    check_json(value)
    return value


def header(scope: dict[str, Any], name: str) -> str:
    """The request header `name` (lower case), "" when it is not sent."""
    wanted = name.encode("latin-1")
    return next((v.decode("latin-1") for k, v in scope.get("headers", []) if k.lower() == wanted), "")


async def read_body(scope: dict[str, Any], receive: Receive, limit: int) -> bytes:
    """The whole body, refused as soon as it is known to be over `limit`: from Content-Length when it
    is sent, else while reading."""
    announced = header(scope, "content-length")
    if announced.isdigit() and int(announced) > limit:
        raise TooLarge(int(announced), limit)
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            raise Disconnected
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise TooLarge(size, limit)
        chunks.append(chunk)
        if not message.get("more_body"):
            return b"".join(chunks)


def replay(body: bytes, receive: Receive) -> Receive:
    """A `receive` that hands the route the body already read, then the client's later messages."""
    sent = False

    async def replayed() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed


async def send_json(send: Callable[[dict[str, Any]], Awaitable[None]], status: int, payload: bytes) -> None:
    """A complete JSON response (the guards answer before any route runs)."""
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(payload)).encode())]})
    await send({"type": "http.response.body", "body": payload})


__all__ = ["INT64", "MAX_DEPTH", "Disconnected", "JSONRefused", "TooLarge", "check_json", "header",
           "loads", "read_body", "replay", "send_json", "where"]
