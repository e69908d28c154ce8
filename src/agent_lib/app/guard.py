"""The guard in front of the App's handlers: bad input gets 400 with a JSON reason, never a 500.

MLflow's AgentServer turns any exception inside a handler into a 500, so what can be decided from the
request alone is decided here, before it: a user-authorized App without `x-forwarded-access-token`
(401), a body over the size limit, a body that is not JSON, not an object, not a Responses request,
or with empty `input` (400). A plain-string `input` (what `openai` sends for
`responses.create(input="...")`) becomes one user message, which AgentServer's schema requires.

It is plain ASGI (no per-request middleware objects), so the App's overhead stays small.
"""

from __future__ import annotations

import json
from typing import Any

from .auth import forwarded_token, missing_token_reason

GUARDED_PATHS = ("/invocations", "/responses")


def error_body(message: str, *, param: str | None = None, code: str = "invalid_request") -> bytes:
    """An openai-style error object (what the `openai` client reads), with the reason in words."""
    error: dict[str, Any] = {"message": message, "type": "invalid_request_error", "code": code}
    if param:
        error["param"] = param
    return json.dumps({"error": error}).encode()


async def send_json(send: Any, status: int, body: bytes) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


class BadRequest(Exception):
    def __init__(self, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.param = param


def _where(loc: tuple[Any, ...]) -> str:
    """pydantic's error location without its validator labels: `input[0].content`."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif "[" not in str(part) and "(" not in str(part):
            out += ("." if out else "") + str(part)
    return out or "body"


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
    for i, item in enumerate(request.input):
        content = getattr(item, "content", None)
        if getattr(item, "role", None) == "user" and isinstance(content, str) and not content.strip():
            raise BadRequest(f"input[{i}] is a user message with empty content: send the question",
                             f"input[{i}].content")
    return data


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
        try:
            body = await self._body(scope, receive)
            try:
                data = json.loads(body)
            except ValueError as exc:
                raise BadRequest(f"the request body is not valid JSON ({exc}); send a JSON object "
                                 "such as {\"input\": [{\"role\": \"user\", \"content\": \"hi\"}]}",
                                 "body") from None
            checked = check_request(data)
        except BadRequest as exc:
            await send_json(send, 400, error_body(str(exc), param=exc.param))
            return
        if checked is not data:
            body = json.dumps(checked).encode()
            scope = {**scope, "headers": [(k, v) for k, v in scope["headers"] if k.lower() != b"content-length"]
                     + [(b"content-length", str(len(body)).encode())]}
        await self.app(scope, _replay(body, receive), send)

    async def _body(self, scope: dict[str, Any], receive: Any) -> bytes:
        limit = self.max_body_bytes
        for key, value in scope["headers"]:
            if key.lower() == b"content-length" and value.isdigit() and int(value) > limit:
                raise BadRequest(self._too_big(int(value)), "body")
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise BadRequest("the client disconnected before the body was complete", "body")
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                raise BadRequest(self._too_big(size), "body")
            chunks.append(chunk)
            if not message.get("more_body"):
                break
        body = b"".join(chunks)
        if not body.strip():
            raise BadRequest("the request body is empty; send a JSON object such as "
                             "{\"input\": [{\"role\": \"user\", \"content\": \"hi\"}]}", "body")
        return body

    def _too_big(self, size: int) -> str:
        return (f"the request body is too large ({size} bytes or more; the limit is {self.max_body_bytes} "
                "bytes): shorten the conversation, or raise AGENT_LIB_MAX_BODY_BYTES")


def _replay(body: bytes, receive: Any) -> Any:
    sent = False

    async def replay() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


__all__ = ["GUARDED_PATHS", "BadRequest", "Guard", "check_request", "error_body"]
