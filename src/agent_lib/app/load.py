"""Many streaming clients against a running App, each stream checked: the App's load test.

    report = run_load(LoadOptions(url=app_url, headers={"Authorization": f"Bearer {oauth}"},
                                  clients=50, seconds=30))
    report.errors, report.first_byte_s, report.answer_s       # [] when every stream was right

Each client asks `POST /responses` with `stream: true` (what the `openai` client sends for
`responses.create(..., stream=True)`), reads the server-sent events to the end and starts the next
question, until the time is up. A stream counts as an error unless it is well-formed and ends
properly: HTTP 200 as `text/event-stream`; every frame an event the `openai` client's own type
(`ResponseStreamEvent`) accepts; `response.created` first and `response.completed` last, then
`[DONE]`; sequence numbers increasing; no `error` event; a non-empty answer whose text deltas add
up to the completed response's text. `bench/app_load.py` runs it at full size against the App
behind the emulator's front proxy; the suite runs a bounded version (tests/app/test_load.py).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

DEFAULT_QUESTIONS = (
    "What is the status of order SO-10042?",
    "Which region had the highest total revenue?",
    "How many days do customers have to return a product?",
    "How much is 75 GBP in US dollars?",
)


@dataclass(frozen=True)
class LoadOptions:
    url: str
    """The App's base URL (its front proxy's, for a deployed App)."""
    headers: Mapping[str, str] = field(default_factory=dict)
    """Sent with every request (an OAuth `Authorization` through the front proxy)."""
    clients: int = 10
    seconds: float = 5.0
    """No client starts a question after this; the ones under way finish."""
    questions: Sequence[str] = DEFAULT_QUESTIONS
    request_timeout_s: float = 300.0
    path: str = "/responses"


@dataclass(frozen=True)
class Turn:
    """One streamed question: when its first byte and its end arrived, and what was wrong with it."""

    question: str
    first_byte_s: float
    answer_s: float
    events: int
    problem: str = ""


@dataclass
class LoadReport:
    options: LoadOptions
    turns: list[Turn]
    wall_s: float

    @property
    def errors(self) -> list[Turn]:
        return [t for t in self.turns if t.problem]

    @property
    def first_byte_s(self) -> list[float]:
        return sorted(t.first_byte_s for t in self.turns if not t.problem)

    @property
    def answer_s(self) -> list[float]:
        return sorted(t.answer_s for t in self.turns if not t.problem)

    def summary(self) -> dict[str, Any]:
        """Counts and p50 / p99 latencies (milliseconds), for a bench line or a test message."""
        return {"clients": self.options.clients, "seconds": round(self.wall_s, 1), "streams": len(self.turns),
                "errors": len(self.errors), "streams_per_s": round(len(self.turns) / self.wall_s, 2),
                "first_byte_ms": _percentiles(self.first_byte_s), "answer_ms": _percentiles(self.answer_s)}


def _percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    return {"p50": round(percentile(values, 50) * 1000, 1), "p99": round(percentile(values, 99) * 1000, 1),
            "max": round(values[-1] * 1000, 1)}


def percentile(sorted_values: Sequence[float], pct: float) -> float:
    """The nearest-rank percentile of already sorted values (p99 of 50 values is the 50th)."""
    import math

    rank = max(1, math.ceil(pct / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def check_stream(frames: Sequence[str]) -> tuple[int, str]:
    """(events, problem) for the `data:` payloads of one stream; problem is "" when it is right."""
    from openai.types.responses import ResponseStreamEvent
    from pydantic import TypeAdapter, ValidationError

    if not frames or frames[-1] != "[DONE]":
        return len(frames), f"the stream did not end with [DONE] (last frame: {frames[-1][:120] if frames else None})"
    adapter = TypeAdapter(ResponseStreamEvent)
    events = []
    for i, frame in enumerate(frames[:-1]):
        try:
            events.append(adapter.validate_python(json.loads(frame)))
        except (ValueError, ValidationError) as exc:
            return i, f"frame {i} is not a Responses stream event: {str(exc)[:200]} ({frame[:120]})"
    types = [e.type for e in events]
    if "error" in types:
        return len(events), f"an error event: {events[types.index('error')].message[:200]}"
    if not types or types[0] != "response.created" or types[-1] != "response.completed":
        return len(events), f"the events do not run from response.created to response.completed: {types[:3]}...{types[-2:]}"
    seq = [e.sequence_number for e in events]
    if any(b <= a for a, b in zip(seq, seq[1:], strict=False)):
        return len(events), f"sequence numbers do not increase: {seq}"
    text = events[-1].response.output_text
    deltas = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    if not text.strip():
        return len(events), "the completed response has no answer text"
    if deltas != text:
        return len(events), "the text deltas do not add up to the completed response's text"
    return len(events), ""


async def _ask(client: Any, options: LoadOptions, question: str) -> Turn:
    started = time.perf_counter()
    first = None
    buffer = b""
    try:
        async with client.stream("POST", options.path, json={"input": question, "stream": True}) as response:
            kind = response.headers.get("content-type", "")
            async for chunk in response.aiter_raw():
                if first is None:
                    first = time.perf_counter() - started
                buffer += chunk
            ended = time.perf_counter() - started
            if response.status_code != 200 or not kind.startswith("text/event-stream"):
                return Turn(question, first or ended, ended, 0,
                            f"HTTP {response.status_code} {kind}: {buffer[:200].decode('utf-8', 'replace')}")
    except Exception as exc:  # noqa: BLE001 - a transport failure is one error of the run
        ended = time.perf_counter() - started
        where = f"after {len(buffer)} bytes of the answer" if first is not None else "before any byte"
        return Turn(question, first or ended, ended, 0, f"{type(exc).__name__} {where}: {exc}")
    events, problem = check_stream(sse_data(buffer.decode("utf-8", "replace")))
    return Turn(question, first or ended, ended, events, problem)


def sse_data(text: str) -> list[str]:
    """The `data:` payloads of a server-sent-events body, in order."""
    frames = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        data = [line[5:].strip() for line in block.split("\n") if line.startswith("data:")]
        if data:
            frames.append("\n".join(data))
    return frames


async def _run(options: LoadOptions) -> LoadReport:
    import httpx

    limits = httpx.Limits(max_connections=options.clients, max_keepalive_connections=options.clients)
    turns: list[Turn] = []
    async with httpx.AsyncClient(base_url=options.url, headers=dict(options.headers), limits=limits,
                                 timeout=options.request_timeout_s) as client:
        started = time.perf_counter()
        deadline = started + options.seconds

        async def one_client(k: int) -> None:
            n = k
            while time.perf_counter() < deadline:
                turns.append(await _ask(client, options, options.questions[n % len(options.questions)]))
                n += options.clients

        await asyncio.gather(*(one_client(k) for k in range(options.clients)))
        return LoadReport(options, turns, time.perf_counter() - started)


def run_load(options: LoadOptions) -> LoadReport:
    """`options.clients` concurrent streaming clients for `options.seconds`; every stream checked."""
    if options.clients < 1 or options.seconds <= 0 or not options.questions:
        raise ValueError("run_load needs clients >= 1, seconds > 0 and at least one question")
    return asyncio.run(_run(options))


__all__ = ["DEFAULT_QUESTIONS", "LoadOptions", "LoadReport", "Turn", "check_stream", "percentile", "run_load",
           "sse_data"]
