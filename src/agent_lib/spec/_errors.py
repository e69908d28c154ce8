"""Turn the first pydantic validation error into a `SpecError` with a dotted field path and a fix.

Users see `tools[2].uc_function.name`, the same path they would follow in agent.yml or in the
request JSON, never pydantic's tuple locations or its union tags.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from agent_lib.errors import SpecError

TOOL_TYPES = ("genie_space", "uc_function", "knowledge_assistant", "uc_connection", "app")
"""The five hosted tool types of the current Supervisor API (April 2026 onward)."""

TOP_LEVEL_KEYS = ("name", "model", "instructions", "engine", "authorization", "tools")

_DESCRIPTION_FIX = (
    "add a non-empty description saying what the tool does and when to use it "
    "(the Supervisor API rejects empty descriptions and the router picks tools by them)"
)

# Fixes for a missing or empty value, keyed by (enclosing key, field).
_VALUE_FIXES: dict[tuple[str, str], str] = {
    ("", "model"): "set model to a serving endpoint name, e.g. model: databricks-claude-sonnet-4-5",
    ("", "name"): "set name to the agent's App name (lowercase letters, digits, hyphens)",
    ("genie_space", "id"): "set id to the Genie space ID (32 hex characters, from the space URL or About tab)",
    ("uc_function", "name"): "set name to the function's three-part name catalog.schema.function",
    ("knowledge_assistant", "knowledge_assistant_id"): (
        "set knowledge_assistant_id to the Knowledge Assistant's id (a UUID, not its endpoint name)"
    ),
    ("uc_connection", "name"): "set name to the Unity Catalog connection name (an MCP connection)",
    ("app", "name"): "set name to the Databricks App name",
}

_CHOICES = {
    "engine": "use engine: hosted (the Supervisor API runs the loop) or engine: client (the loop runs here)",
    "authorization": (
        "use authorization: app (the App's service principal) or authorization: user (on-behalf-of the user)"
    ),
}


def render_loc(loc: tuple[int | str, ...]) -> str:
    """`('tools', 2, 'uc_function', 'uc_function', 'name')` → `tools[2].uc_function.name`.

    The discriminated tool union adds its tag after the list index; the tag repeats the key that
    follows it, so it is dropped.
    """
    out = ""
    previous: int | str | None = None
    for i, part in enumerate(loc):
        if isinstance(part, int):
            out += f"[{part}]"
        elif isinstance(previous, int) and part in TOOL_TYPES and i + 1 < len(loc) and loc[i + 1] == part:
            pass
        else:
            out += f".{part}"
        previous = part
    return out.lstrip(".")


def _fix_for(loc: tuple[int | str, ...], err: dict[str, Any], prefix: str) -> tuple[str, str]:
    """Problem and fix for pydantic's built-in error types (and the `empty`/`whitespace` checks)."""
    kind = err["type"]
    names = [p for p in loc if isinstance(p, str)]
    leaf = names[-1] if names else ""
    parent = names[-2] if len(names) > 1 else prefix
    if kind.endswith("_type") and err.get("input", "") is None:
        kind = "missing"  # `key:` with nothing after it is YAML null, i.e. not given
    if kind in ("missing", "empty"):
        problem = "is missing" if kind == "missing" else "is empty or only whitespace"
        fix = _DESCRIPTION_FIX if leaf == "description" else _VALUE_FIXES.get((parent, leaf))
        return problem, fix or f"set {leaf} to a non-empty value"
    if kind == "literal_error" and leaf in _CHOICES:
        return f"has the unknown value {err.get('input')!r}", _CHOICES[leaf]
    if kind == "whitespace":
        return err["msg"], f"remove the spaces from {leaf}; names and ids never contain whitespace"
    if kind in ("list_type", "tuple_type") and leaf == "tools":
        return "must be a list", "write tools as a YAML list, one '- <type>: {...}' entry per tool"
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return (
            f"must be a mapping, got {type(err.get('input')).__name__}",
            f"write {leaf or 'the spec'} as key: value pairs",
        )
    if kind.startswith("string"):
        return f"must be text, got {err.get('input')!r}", f"quote the value of {leaf} in YAML"
    return err["msg"], f"correct {leaf or 'the spec'} (see agent.yml at the repository root)"


def to_spec_error(exc: ValidationError, prefix: str = "") -> SpecError:
    """The first error of `exc` as a `SpecError`; `prefix` locates a model built on its own."""
    err = exc.errors()[0]
    loc = tuple(err["loc"])
    ctx = err.get("ctx") or {}
    if err["type"] == "spec":
        field, problem, fix = render_loc(loc) + ctx.get("sub", ""), ctx["problem"], ctx["fix"]
    else:
        field = render_loc(loc)
        problem, fix = _fix_for(loc, err, prefix)
    field = field.lstrip(".")
    if prefix:
        field = f"{prefix}.{field}" if field else prefix
    return SpecError(field or "<spec>", problem, fix)
