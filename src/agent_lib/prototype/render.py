"""HTML for the chat panel: answers as Markdown, tool calls, approval requests, errors, trace links.

Everything the agent or a tool wrote is escaped (Markdown is rendered with raw HTML turned off), so
a tool output cannot inject markup into the page.
"""

from __future__ import annotations

import html
import json
from functools import lru_cache
from typing import Any

from .turn import APPROVAL_STATES, CallView

STYLE = """<style>
.agent-panel { font-family: system-ui, sans-serif; max-width: 980px; }
.agent-question { background: #eef3fb; border-radius: 8px; padding: 6px 10px; margin: 8px 0 4px; }
.agent-answer { padding: 2px 10px; }
.agent-answer table { border-collapse: collapse; margin: 4px 0; }
.agent-answer td, .agent-answer th { border: 1px solid #ccc; padding: 2px 6px; }
.agent-error { background: #fdecea; color: #8a1c13; border-left: 4px solid #d93025;
               padding: 6px 10px; margin: 4px 0; white-space: pre-wrap; }
.agent-approval { background: #fff8e1; border-left: 4px solid #f0a800; padding: 4px 8px; }
.agent-call pre { white-space: pre-wrap; word-break: break-word; max-height: 320px; overflow: auto;
                  background: #f6f8fa; padding: 6px; margin: 2px 0 8px; line-height: 1.35; }
.agent-trace { color: #666; font-size: 85%; padding: 0 10px 6px; }
.agent-status { color: #555; font-style: italic; }
</style>"""

_MARKS = {"running": "…", "done": "✓", "failed": "✗", "awaiting approval": "?", "approved": "→", "denied": "✗"}


@lru_cache(maxsize=1)
def _markdown() -> Any:
    import mistune

    return mistune.create_markdown(escape=True, plugins=["table", "strikethrough"])


def markdown(text: str) -> str:
    """The answer as HTML (raw HTML in it is shown as text)."""
    return str(_markdown()(text)) if text else ""


def question(text: str) -> str:
    return f"<b>You:</b> {html.escape(text)}"


def call_title(call: CallView) -> str:
    """The accordion title of a call: mark, name, duration or state."""
    if call.status in ("running", "awaiting approval"):
        state = call.status
    elif call.status in APPROVAL_STATES:
        state = f"{call.status}, see the next turn"
    else:
        state = f"{call.duration_s:.2f} s" if call.duration_s is not None else call.status
        if call.status == "failed":
            state += ", failed"
    return f"{_MARKS[call.status]} {call.name} · {state}"


def _pretty(text: str | None) -> str:
    if text is None:
        return ""
    try:
        return json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    except ValueError:
        return text


def call_body(call: CallView) -> str:
    """Arguments and output (or error) of one call."""
    where = f" on <code>{html.escape(call.server_label)}</code>" if call.server_label else ""
    arguments = json.dumps(call.arguments, indent=2, ensure_ascii=False)
    parts = [f"<div><b>tool</b> <code>{html.escape(call.name)}</code>{where}</div>",
             f"<div><b>arguments</b></div><pre>{html.escape(arguments)}</pre>"]
    if call.error:
        parts.append(f"<div><b>error</b></div><pre>{html.escape(call.error)}</pre>")
    elif call.output is not None:
        parts.append(f"<div><b>output</b></div><pre>{html.escape(_pretty(call.output))}</pre>")
    if call.duration_s is not None:
        parts.append(f"<div><b>duration</b> {call.duration_s:.3f} s</div>")
    return "".join(parts)


def approval(request: Any) -> str:
    args = html.escape(request.arguments or "{}")
    return (f"<b>{html.escape(request.name)}</b> on <b>{html.escape(request.server_label)}</b> "
            f"asks to run with <code>{args}</code>")


def status(text: str) -> str:
    return html.escape(text)


def error(message: str) -> str:
    return f"<b>Error:</b> {html.escape(message)}"


def trace(trace_id: str | None, url: str | None) -> str:
    """The answer's MLflow trace: a link where the workspace has a trace UI, else the id."""
    if not trace_id:
        return ""
    shown = f"<code>{html.escape(trace_id)}</code>"
    if url:
        shown = f'<a href="{html.escape(url, quote=True)}" target="_blank" rel="noopener">{shown}</a>'
    return f"MLflow trace {shown}"


__all__ = ["STYLE", "approval", "call_body", "call_title", "error", "markdown", "question", "status", "trace"]
