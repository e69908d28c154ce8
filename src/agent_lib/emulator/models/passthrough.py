"""A model that forwards each turn to a real OpenAI-compatible server (`/chat/completions`).

    PassthroughModel(base_url="http://127.0.0.1:11434/v1", model="llama3.1",
                     api_key_env="OPENAI_API_KEY")

The conversation and function tools go upstream as a chat completion request; the first choice
comes back as the turn. The key is read from the named environment variable at call time and is
never logged or shown in `repr`. Upstream failures raise `PassthroughError` with the upstream
status, which the serving routes answer in Databricks' error envelope.
"""

from __future__ import annotations

import os
from typing import Any

from .base import Message, ModelTurn, ToolSpec


class PassthroughError(RuntimeError):
    """The upstream server failed or answered something that is not a chat completion."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class PassthroughModel:
    def __init__(self, base_url: str, model: str, *, api_key_env: str | None = None,
                 timeout_seconds: float = 120.0, extra_body: dict[str, Any] | None = None) -> None:
        if not base_url or "://" not in base_url:
            raise ValueError(f"base_url must be an http(s) URL (got {base_url!r})")
        if not model:
            raise ValueError("model is required for a passthrough model")
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.api_key_env = api_key_env
        self.timeout_seconds = timeout_seconds
        self.extra_body = dict(extra_body or {})

    def _headers(self) -> dict[str, str]:
        headers = {"Content-Type": "application/json"}
        if self.api_key_env:
            key = os.environ.get(self.api_key_env)
            if not key:
                raise PassthroughError(
                    f"passthrough model {self.model!r}: environment variable {self.api_key_env} is not set")
            headers["Authorization"] = f"Bearer {key}"
        return headers

    def respond(self, messages: list[Message], tools: list[ToolSpec]) -> ModelTurn:
        import httpx

        from .chat_wire import messages_to_wire, tools_to_wire, turn_from_wire

        body: dict[str, Any] = {"model": self.model, "messages": messages_to_wire(messages),
                                **self.extra_body}
        if tools:
            body["tools"] = tools_to_wire(tools)
        url = f"{self.base_url}/chat/completions"
        try:
            resp = httpx.post(url, json=body, headers=self._headers(), timeout=self.timeout_seconds)
        except httpx.HTTPError as exc:
            raise PassthroughError(f"passthrough model {self.model!r}: cannot reach {url}: {exc}") from exc
        if resp.status_code >= 400:
            raise PassthroughError(
                f"passthrough model {self.model!r}: {url} answered {resp.status_code}: {resp.text[:500]}",
                status=resp.status_code)
        try:
            return turn_from_wire(resp.json())
        except ValueError as exc:
            raise PassthroughError(f"passthrough model {self.model!r}: {exc}") from exc

    def __repr__(self) -> str:  # never the key itself
        key = f", api_key_env={self.api_key_env!r}" if self.api_key_env else ""
        return f"PassthroughModel(base_url={self.base_url!r}, model={self.model!r}{key})"


__all__ = ["PassthroughError", "PassthroughModel"]
