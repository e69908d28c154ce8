"""The model's words: answers written from tool outputs, refusals that say why, small talk.

The reference model knows nothing beyond what its tools return, so a final answer restates the
outputs readably (key facts of a JSON object, a short table for rows, a trimmed text) and names
the tool each fact came from. Errors are reported as errors, never papered over.
"""

from __future__ import annotations

import json
import re
from typing import Any

from ..base import Message, ToolCall, ToolSpec

MAX_ROWS = 10
MAX_COLUMNS = 6
MAX_FACTS = 10
MAX_TEXT = 800


def final_answer(results: list[tuple[ToolCall, Message | None]], notes: list[str] = ()) -> str:
    """One answer from the outputs of the calls made for the latest request (`notes`: what could
    not be done, appended)."""
    if not results:
        return "I have no tool results to answer from."
    return "\n\n".join([_answer(results), *notes])


def _answer(results: list[tuple[ToolCall, Message | None]]) -> str:
    sections = []
    for call, output in results:
        label = f"`{call.name}`" + (f" ({_args_label(call.arguments)})" if call.arguments else "")
        if output is None:
            sections.append(f"{label} returned no output, so I can't answer that part.")
            continue
        is_error, body = render(output.content)
        if is_error:
            sections.append(f"{label} failed: {body.rstrip('.')}. I could not get this information.")
        elif "\n" in body:
            sections.append(f"From {label}:\n\n{body}")
        else:
            sections.append(f"From {label}: {body}")
    if len(results) == 1:
        return sections[0]
    names = [f"`{n}`" for n in dict.fromkeys(c.name for c, _ in results)]
    used = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return f"I used {used}.\n\n" + "\n\n".join(sections)


def render(content: str) -> tuple[bool, str]:
    """(is_error, readable text) for one tool output."""
    text = (content or "").strip()
    if text in ("null", "None"):
        return False, "(empty output)"
    try:
        data = json.loads(text) if text[:1] in '[{"' else None
    except ValueError:
        data = None
    if isinstance(data, dict):
        err = _error_of(data)
        if err:
            return True, err
        return False, _render_dict(data)
    if isinstance(data, list):
        return False, _render_list(data)
    if isinstance(data, str):
        text = data
    if re.match(r"^(?:error|exception|traceback|failed|failure)\b", text, re.I):
        return True, _trim(re.sub(r"^(?:error|exception)\s*:\s*", "", text, flags=re.I))
    return False, _trim(text) or "(empty output)"


def _error_of(data: dict[str, Any]) -> str | None:
    if "error" in data and data["error"]:
        err = data["error"]
        if isinstance(err, dict):
            return str(err.get("message") or err.get("error_code") or json.dumps(err))
        return str(err)
    if "error_code" in data:
        return f"{data['error_code']}: {data.get('message', '')}".rstrip(": ")
    if str(data.get("status", "")).upper() in ("FAILED", "ERROR") and data.get("message"):
        return str(data["message"])
    return None


_LEAD_KEYS = ("answer", "text", "response", "summary", "result", "message", "content", "output")
_CODE_KEYS = ("sql", "query", "statement", "code")


def _render_dict(data: dict[str, Any]) -> str:
    """A prose answer first (Genie's or an assistant's `answer`), then rows (one row as facts, more as
    a table), then the remaining short facts; generated SQL is shown on one short line."""
    lead = next((k for k in _LEAD_KEYS if isinstance(data.get(k), str) and data[k].strip()), None)
    columns, rows = _tabular(data)
    if lead is None and rows is None:
        return _facts(list(_flatten(data)))
    parts = [_trim(data[lead].strip())] if lead else []
    if rows is not None:
        if len(rows) == 1 and (isinstance(rows[0], dict) or columns):
            row = rows[0] if isinstance(rows[0], dict) else dict(zip(columns or [], rows[0], strict=False))
            parts.append(_facts(list(row.items())))
        else:
            parts.append(_table(columns, rows))
    skip = {lead, "columns", "schema", "manifest", "result"}
    for k, v in data.items():
        if k in skip or not _scalar(v) or v is None:
            continue
        if k.lower() in _CODE_KEYS and isinstance(v, str):
            label = "SQL" if k.lower() == "sql" else _label(k)
            parts.append(f"{label}: `{_fmt(' '.join(v.split()), 160)}`")
        elif len(str(v)) <= 120:
            parts.append(f"{_label(k)}: {_fmt(v)}")
    return "\n\n".join(p for p in parts if p)


def _facts(facts: list[tuple[Any, Any]]) -> str:
    if not facts:
        return "(no data)"
    if len(facts) <= 3 and all(len(_fmt(v)) < 60 for _, v in facts):
        return "; ".join(f"{_label(k)}: {_fmt(v)}" for k, v in facts) + "."
    lines = [f"- {_label(k)}: {_fmt(v)}" for k, v in facts[:MAX_FACTS]]
    if len(facts) > MAX_FACTS:
        lines.append(f"- … and {len(facts) - MAX_FACTS} more fields")
    return "\n".join(lines)


def _tabular(data: dict[str, Any]) -> tuple[list[str] | None, list | None]:
    """Find rows in common result shapes: {columns, rows}, a statement result, or a list of objects."""
    result, manifest = data.get("result"), data.get("manifest")
    if isinstance(result, dict) and isinstance(result.get("data_array"), list):
        cols = [c.get("name") for c in ((manifest or {}).get("schema") or {}).get("columns", [])]
        return cols or None, result["data_array"]
    for rows_key in ("rows", "data", "data_array", "results", "items", "records"):
        rows = data.get(rows_key)
        if isinstance(rows, list) and rows:
            cols = data.get("columns") or data.get("schema")
            if isinstance(cols, list):
                cols = [c.get("name") if isinstance(c, dict) else str(c) for c in cols]
            return cols if isinstance(cols, list) else None, rows
    for value in data.values():
        if isinstance(value, list) and value and all(isinstance(r, dict) for r in value):
            return None, value
    return None, None


def _render_list(data: list[Any]) -> str:
    if not data:
        return "no results."
    if all(_scalar(v) for v in data):
        shown = ", ".join(_fmt(v) for v in data[:MAX_ROWS])
        return shown + (f", … ({len(data) - MAX_ROWS} more)" if len(data) > MAX_ROWS else "")
    return _table(None, data)


def _table(columns: list[str] | None, rows: list[Any]) -> str:
    if rows and isinstance(rows[0], dict):
        columns = columns or list(dict.fromkeys(k for r in rows[:MAX_ROWS] if isinstance(r, dict) for k in r))
        matrix = [[r.get(c) if isinstance(r, dict) else r for c in columns] for r in rows]
    else:
        matrix = [list(r) if isinstance(r, (list, tuple)) else [r] for r in rows]
        width = max(len(r) for r in matrix)
        columns = columns or [f"col{i + 1}" for i in range(width)]
    columns = columns[:MAX_COLUMNS]
    lines = ["| " + " | ".join(_label(c) for c in columns) + " |", "|" + "---|" * len(columns)]
    for r in matrix[:MAX_ROWS]:
        lines.append(
            "| " + " | ".join(_fmt(v, 40) for v in (r + [None] * len(columns))[: len(columns)]) + " |"
        )
    if len(matrix) > MAX_ROWS:
        lines.append(f"\n… and {len(matrix) - MAX_ROWS} more rows ({len(matrix)} in total).")
    return "\n".join(lines)


def _flatten(data: dict[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    for k, v in data.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict) and not prefix:
            out.extend(_flatten(v, key + "."))
        elif isinstance(v, list) and all(_scalar(x) for x in v):
            out.append((key, ", ".join(_fmt(x) for x in v[:MAX_ROWS])))
        else:
            out.append((key, v))
    return out


def _scalar(v: Any) -> bool:
    return v is None or isinstance(v, (str, int, float, bool))


def _label(key: Any) -> str:
    words = re.sub(r"[_.]+", " ", str(key)).strip()
    return words[:1].upper() + words[1:]


def _fmt(v: Any, limit: int = 200) -> str:
    if isinstance(v, float):
        s = f"{v:,.2f}" if abs(v) >= 1000 else f"{v:g}"
    elif isinstance(v, int) and not isinstance(v, bool) and abs(v) >= 10000:
        s = f"{v:,}"
    elif isinstance(v, bool) or v is None:
        s = {True: "yes", False: "no", None: "—"}[v]
    elif isinstance(v, (dict, list)):
        s = json.dumps(v, ensure_ascii=False)
    elif isinstance(v, str) and re.fullmatch(r"-?\d{4,}(?:\.\d+)?", v):
        s = _fmt(float(v) if "." in v else int(v), limit) if not re.fullmatch(r"(19|20)\d\d", v) else v
    else:
        s = str(v)
    s = s.replace("|", "/").replace("\n", " ")
    return s if len(s) <= limit else s[: limit - 1] + "…"


def _trim(text: str) -> str:
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1].rsplit(" ", 1)[0] + " …"


def _args_label(args: dict[str, Any]) -> str:
    shown = [f"{k}={_fmt(v, 40)}" for k, v in args.items() if _scalar(v)][:3]
    return ", ".join(shown)


def capabilities(tools: list[ToolSpec], limit: int = 6) -> str:
    """'get_weather (Get the current weather…), …' for telling the user what is possible."""
    items = []
    for t in tools[:limit]:
        first = re.split(r"(?<=[.!?])\s", (t.description or "").strip(), maxsplit=1)[0].rstrip(".")
        items.append(f"`{t.name}`" + (f" ({_fmt(first, 70)})" if first else ""))
    more = f", and {len(tools) - limit} more" if len(tools) > limit else ""
    return "; ".join(items) + more


def abstain(request: str, tools: list[ToolSpec]) -> str:
    """A refusal that names the tools and says what they can do instead."""
    if not tools:
        return (
            f"I have no tools available, so I can't look up anything for “{_fmt(request, 120)}”, "
            "and I only answer from tool results."
        )
    names = ", ".join(t.name for t in tools[:8]) + (", …" if len(tools) > 8 else "")
    return (
        f"None of the available tools ({names}) can help with “{_fmt(request, 120)}”. "
        f"I can help with: {capabilities(tools)}."
    )


def chat_reply(request: str, tools: list[ToolSpec]) -> str:
    """A short reply to greetings, thanks and small talk."""
    lowered = request.lower()
    if re.search(r"\b(?:thanks|thank you|thx|cheers)\b", lowered):
        opener = "You're welcome!"
    elif re.search(r"\b(?:bye|goodbye)\b", lowered):
        return "Goodbye!"
    elif "how are you" in lowered or "how's it going" in lowered:
        opener = "I'm doing well, thanks for asking."
    else:
        opener = "Hello!"
    if not tools:
        return opener
    return f"{opener} I can help with: {capabilities(tools)}."
