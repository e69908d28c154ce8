"""A model that plays back a script: the turns a test expects, in order, failing loudly otherwise.

    model = ScriptedModel([
        {"tool_calls": [{"name": "get_order_status", "arguments": {"order_id": "A-1001"}}],
         "expect": "order A-1001"},           # the last user/tool message must contain this
        {"text": "Order A-1001 shipped on 3 March.", "expect": "SHIPPED"},
    ])
    ...                                        # the agent under test calls the endpoint twice
    model.assert_complete()                    # every turn was used

A turn is a string (final text), a dict (`text` or `tool_calls`, optional `expect`), a
`ScriptedTurn` or a `ModelTurn`. Calling the model when no turn is left, or with a conversation
that misses a turn's expectation, raises `ScriptError` naming the request; over HTTP the serving
routes answer it as a 400 `INVALID_PARAMETER_VALUE`, so the test sees the mismatch and not a hang.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .base import Message, ModelTurn, ToolCall, ToolSpec


class ScriptError(AssertionError):
    """A scripted model was called in a way its script does not allow (or left turns unused)."""


@dataclass(frozen=True)
class ScriptedCall:
    """One tool call a scripted turn makes: the tool's name and its (decoded) arguments."""

    name: str
    arguments: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ScriptedTurn:
    """One expected turn: final `text` or `tool_calls`; `expect` is a substring of the last
    user or tool message the model must be shown (case-insensitive)."""

    text: str | None = None
    tool_calls: tuple[ScriptedCall, ...] = ()
    expect: str | None = None

    def describe(self) -> str:
        if self.tool_calls:
            return "tool calls " + ", ".join(c.name for c in self.tool_calls)
        return f"text {_clip(self.text or '')!r}"


def parse_turn(raw: Any, index: int = 0) -> ScriptedTurn:
    """A turn from its JSON form (what `PUT /_emulator/models/{endpoint}` takes); ValueError if malformed."""
    where = f"turns[{index}]"
    if isinstance(raw, ScriptedTurn):
        return raw
    if isinstance(raw, str):
        return ScriptedTurn(text=raw)
    if isinstance(raw, ModelTurn):
        calls = tuple(ScriptedCall(c.name, dict(c.arguments)) for c in raw.tool_calls)
        return ScriptedTurn(text=raw.text, tool_calls=calls)
    if not isinstance(raw, dict):
        raise ValueError(f"{where}: a turn is a string or an object with 'text' or 'tool_calls'")
    unknown = set(raw) - {"text", "tool_calls", "expect"}
    if unknown:
        raise ValueError(f"{where}: unknown field {sorted(unknown)[0]!r} "
                         "(a turn has 'text', 'tool_calls' and optional 'expect')")
    text, calls, expect = raw.get("text"), raw.get("tool_calls"), raw.get("expect")
    if (text is None) == (not calls):
        raise ValueError(f"{where}: give exactly one of 'text' or a non-empty 'tool_calls'")
    if text is not None and not isinstance(text, str):
        raise ValueError(f"{where}.text must be a string")
    if expect is not None and not isinstance(expect, str):
        raise ValueError(f"{where}.expect must be a string")
    parsed: list[ScriptedCall] = []
    for j, call in enumerate(calls or []):
        cwhere = f"{where}.tool_calls[{j}]"
        if not isinstance(call, dict) or not isinstance(call.get("name"), str) or not call["name"]:
            raise ValueError(f"{cwhere}: a tool call is an object with a 'name' and 'arguments'")
        extra = set(call) - {"name", "arguments"}
        if extra:
            raise ValueError(f"{cwhere}: unknown field {sorted(extra)[0]!r}")
        args = call.get("arguments", {})
        if isinstance(args, str):
            try:
                args = json.loads(args or "{}")
            except json.JSONDecodeError as exc:
                raise ValueError(f"{cwhere}.arguments is not valid JSON: {exc}") from exc
        if not isinstance(args, dict):
            raise ValueError(f"{cwhere}.arguments must be a JSON object")
        parsed.append(ScriptedCall(call["name"], args))
    return ScriptedTurn(text=text, tool_calls=tuple(parsed), expect=expect)


def text(value: str, expect: str | None = None) -> ScriptedTurn:
    """Shorthand for a final-text turn."""
    return ScriptedTurn(text=value, expect=expect)


def call(name: str, arguments: dict[str, Any] | None = None, *, expect: str | None = None) -> ScriptedTurn:
    """Shorthand for a turn with one tool call: `call("get_order_status", {"order_id": "A-1"})`."""
    return ScriptedTurn(tool_calls=(ScriptedCall(name, dict(arguments or {})),), expect=expect)


class ScriptedModel:
    """Answers each request with the next scripted turn; thread-safe; `label` names it in errors."""

    def __init__(self, turns: Iterable[Any], *, label: str = "scripted model") -> None:
        self.turns: tuple[ScriptedTurn, ...] = tuple(parse_turn(t, i) for i, t in enumerate(turns))
        self.label = label
        self.calls: list[list[Message]] = []  # every conversation the model was shown
        self._next = 0
        self._lock = threading.Lock()

    @property
    def remaining(self) -> int:
        return len(self.turns) - self._next

    @property
    def used(self) -> int:
        return self._next

    def respond(self, messages: list[Message], tools: list[ToolSpec]) -> ModelTurn:
        with self._lock:
            self.calls.append(list(messages))
            index = self._next
            if index >= len(self.turns):
                raise ScriptError(
                    f"{self.label}: unexpected call #{index + 1}: all {len(self.turns)} scripted "
                    f"turn(s) are used; the request's {_describe_request(messages, tools)}"
                )
            turn = self.turns[index]
            if turn.expect is not None:
                last = _last_user_or_tool(messages)
                seen = last.content if last else ""
                if turn.expect.lower() not in seen.lower():
                    role = last.role if last else "none"
                    raise ScriptError(
                        f"{self.label}: turn {index + 1} ({turn.describe()}) expects the last "
                        f"user/tool message to contain {turn.expect!r}, but it is ({role}) "
                        f"{_clip(seen)!r}"
                    )
            self._next += 1
        if turn.tool_calls:
            calls = tuple(
                ToolCall(name=c.name, arguments=dict(c.arguments),
                         call_id=_call_id(index, j, c, len(messages)))
                for j, c in enumerate(turn.tool_calls)
            )
            return ModelTurn(tool_calls=calls)
        return ModelTurn(text=turn.text or "")

    def assert_complete(self) -> None:
        """Raise `ScriptError` if some scripted turns were never asked for."""
        with self._lock:
            left = self.turns[self._next:]
        if left:
            raise ScriptError(
                f"{self.label}: {len(left)} scripted turn(s) never used (used {self._next} of "
                f"{len(self.turns)}); next expected: {left[0].describe()}"
            )

    def status(self) -> dict[str, Any]:
        with self._lock:
            return {"turns": len(self.turns), "used": self._next, "remaining": self.remaining,
                    "calls": len(self.calls)}

    def __repr__(self) -> str:
        return f"ScriptedModel({self.label!r}, used={self._next}/{len(self.turns)})"


def _call_id(turn: int, j: int, c: ScriptedCall, depth: int) -> str:
    seed = json.dumps([turn, j, depth, c.name, c.arguments], sort_keys=True, default=str)
    return "call_" + hashlib.sha256(seed.encode()).hexdigest()[:24]


def _last_user_or_tool(messages: Sequence[Message]) -> Message | None:
    for m in reversed(messages):
        if m.role in ("user", "tool"):
            return m
    return None


def _describe_request(messages: Sequence[Message], tools: Sequence[ToolSpec]) -> str:
    last = _last_user_or_tool(messages)
    if last:
        what = f"last {last.role} message is {_clip(last.content)!r}"
    else:
        what = "conversation has no user message"
    names = ", ".join(t.name for t in tools) or "none"
    return f"{what} ({len(messages)} messages; tools: {names})"


def _clip(s: str, n: int = 160) -> str:
    s = " ".join(s.split())
    return s if len(s) <= n else s[: n - 1] + "…"


__all__ = ["ScriptError", "ScriptedCall", "ScriptedModel", "ScriptedTurn", "call", "parse_turn", "text"]
