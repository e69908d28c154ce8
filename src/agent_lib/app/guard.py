"""The guard in front of the App's handlers: bad input gets 400 with a JSON reason, never a 500.

MLflow's AgentServer turns any exception inside a handler into a 500, so what can be decided from the
request alone is decided here, before it: a user-authorized App without `x-forwarded-access-token`
(401), a body over the size limit, a body that is not JSON, not an object, not a Responses request,
or with empty `input` (400). A plain-string `input` (what `openai` sends for
`responses.create(input="...")`) becomes one user message, which AgentServer's schema requires.

Hostile JSON (nesting deeper than 64, lone surrogates, integers beyond 64 bits, NaN, Infinity,
bytes that are not UTF-8) is refused with the emulator's own checks (`agent_lib.request_body`), so
nothing reaches the engine that a model endpoint or a tool would then fail on.

It is plain ASGI (no per-request middleware objects), so the App's overhead stays small.
"""

from __future__ import annotations

import json
from typing import Any

from ..request_body import (
    Disconnected,
    JSONRefused,
    TooLarge,
    header,
    loads,
    read_body,
    replay,
    send_json,
    where,
)
from .auth import forwarded_token, missing_token_reason

GUARDED_PATHS = ("/invocations", "/responses")


def error_body(message: str, *, param: str | None = None, code: str = "invalid_request") -> bytes:
    """An openai-style error object (what the `openai` client reads), with the reason in words."""
    error: dict[str, Any] = {"message": message, "type": "invalid_request_error", "code": code}
    if param:
        error["param"] = param
    return json.dumps({"error": error}).encode()


class BadRequest(Exception):
    def __init__(self, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.param = param


def _where(loc: tuple[Any, ...]) -> str:
    """pydantic's error location without its validator labels: `input[0].content`."""
    kept = [p for p in loc if isinstance(p, int) or ("[" not in str(p) and "(" not in str(p))]
    return where(kept) or "body"


def check_request(data: Any) -> dict[str, Any]:
    """The request as AgentServer will read it, or `BadRequest` naming the field and the fix."""
    if not isinstance(data, dict):
        raise BadRequest(f"the request body must be a JSON object with `input`, got a JSON "
                         f"{type(data).__name__}", "body")
    if "input" not in data:
        raise BadRequest("`input` is missing: send {\"input\": [{\"role\": \"user\", \"content\": "
                         "\"<question>\"}]}", "input")
    if isinstance(data["input"], str):
        if not data["input"].strip():
            raise BadRequest("`input` is empty: send the user's question", "input")
        data = {**data, "input": [{"type": "message", "role": "user", "content": data["input"]}]}
    if data.get("stream") is not None and not isinstance(data["stream"], bool):
        raise BadRequest(f"`stream` must be true or false, got a JSON {_json_type(data['stream'])}", "stream")
    if isinstance(data["input"], list) and not data["input"]:
        raise BadRequest("`input` is empty: send at least one message, e.g. "
                         "[{\"role\": \"user\", \"content\": \"<question>\"}]", "input")
    from mlflow.types.responses import ResponsesAgentRequest
    from pydantic import ValidationError

    fields = {k: v for k, v in data.items() if k != "stream"}
    try:
        request = ResponsesAgentRequest(**fields)
    except ValidationError as exc:
        errors = exc.errors()
        # A message item fails both as a message and as an output item: report the message reading.
        first = errors[0]
        where = _where(tuple(first.get("loc", ())))
        raise BadRequest(f"invalid Responses request at {where}: {first.get('msg')}"
                         + (f" (and {len(errors) - 1} more problem(s))" if len(errors) > 1 else "")
                         + ". Each input item is a message {role, content} or an output item with a "
                         "`type` (function_call, function_call_output, mcp_approval_response, ...)",
                         where) from None
    except (TypeError, ValueError) as exc:
        raise BadRequest(f"invalid Responses request: {exc}", "body") from None
    if not any(getattr(item, "role", None) == "user" for item in request.input):
        raise BadRequest("`input` has no user message: a turn answers a user, so send at least one "
                         "{\"role\": \"user\", \"content\": \"<question>\"} (the model endpoint refuses a "
                         "conversation without one)", "input")
    for i, item in enumerate(request.input):
        content = getattr(item, "content", None)
        if getattr(item, "role", None) == "user" and isinstance(content, str) and not content.strip():
            raise BadRequest(f"input[{i}] is a user message with empty content: send the question",
                             f"input[{i}].content")
    return data


def _json_type(value: Any) -> str:
    return {dict: "object", list: "array", str: "string", int: "number", float: "number"}.get(type(value), "value")


def parse_body(body: bytes, content_type: str) -> Any:
    """The body's JSON value, or `BadRequest` saying what is wrong with it and where."""
    if not body.strip():
        raise BadRequest("the request body is empty; send a JSON object such as "
                         "{\"input\": [{\"role\": \"user\", \"content\": \"hi\"}]}", "body")
    try:
        return loads(body)
    except JSONRefused as exc:
        raise BadRequest(f"the request body is refused: {exc}", exc.where or "body") from None
    except ValueError as exc:
        sent = f", sent as {content_type}" if content_type and "json" not in content_type else ""
        raise BadRequest(f"the request body is not valid JSON ({exc}{sent}); send a JSON object "
                         "(content-type application/json) such as "
                         "{\"input\": [{\"role\": \"user\", \"content\": \"hi\"}]}", "body") from None


class Guard:
    """ASGI middleware: checks POSTs to /invocations and /responses, passes everything else on."""

    def __init__(self, app: Any, *, max_body_bytes: int, require_user_token: bool) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.require_user_token = require_user_token

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"] not in GUARDED_PATHS:
            await self.app(scope, receive, send)
            return
        if self.require_user_token:
            headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
            if forwarded_token(headers) is None:
                await send_json(send, 401, error_body(missing_token_reason(), code="unauthorized"))
                return
        content_type = header(scope, "content-type").lower()
        try:
            try:
                body = await read_body(scope, receive, self.max_body_bytes)
            except TooLarge as exc:
                raise BadRequest(f"the request body is too large ({exc}): shorten the conversation, or "
                                 "raise AGENT_LIB_MAX_BODY_BYTES", "body") from None
            data = parse_body(body, content_type)
            checked = check_request(data)
        except BadRequest as exc:
            await send_json(send, 400, error_body(str(exc), param=exc.param))
            return
        except Disconnected:  # nobody is left to answer
            return
        if checked is not data:
            body = json.dumps(checked).encode()
            scope = {**scope, "headers": [(k, v) for k, v in scope["headers"] if k.lower() != b"content-length"]
                     + [(b"content-length", str(len(body)).encode())]}
        await self.app(scope, replay(body, receive), send)


__all__ = ["GUARDED_PATHS", "BadRequest", "Guard", "check_request", "error_body", "parse_body"]
