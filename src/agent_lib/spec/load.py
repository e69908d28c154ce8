"""Reading and writing agent.yml, and applying notebook-parameter overrides on top of it.

Overrides arrive from widgets or papermill, so they are often strings: `tools` may be YAML or JSON
text, and an empty string means "not overridden" (a widget cannot send None).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from agent_lib.errors import SpecError
from agent_lib.spec._errors import TOP_LEVEL_KEYS
from agent_lib.spec.model import AgentSpec

OVERRIDABLE = ("name", "model", "instructions", "engine", "authorization", "tools", "catalog_name",
               "schema_name")
PLACEMENT = ("catalog_name", "schema_name")
"""Overrides that are not spec keys: they move every uc_function tool to that catalog / schema."""


def spec_from_dict(data: Mapping[str, Any]) -> AgentSpec:
    """Validate plain data (parsed agent.yml, or `AgentSpec.to_dict()`) into an `AgentSpec`."""
    if not isinstance(data, Mapping):
        raise SpecError(
            "<spec>",
            f"the spec must be a mapping of keys to values, got {type(data).__name__}",
            f"write agent.yml as key: value pairs with keys among: {', '.join(TOP_LEVEL_KEYS)}",
        )
    return AgentSpec.model_validate(dict(data))


def load_spec(path: str | Path = "agent.yml", overrides: Mapping[str, object] | None = None) -> AgentSpec:
    """Load agent.yml, apply notebook overrides (`tools` replaces the whole list), validate."""
    file = Path(path)
    if not file.is_file():
        raise SpecError(
            str(path),
            f"no agent spec file at {file.resolve()}",
            "create it (copy agent.yml from the repository root and edit model and tools), "
            "or pass the path of an existing one",
        )
    data = _parse_yaml(file.read_text(encoding="utf-8"), str(path))
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise SpecError(
            str(path),
            f"the file holds a {type(data).__name__}, not a mapping",
            f"write key: value pairs at the top level, with keys among: {', '.join(TOP_LEVEL_KEYS)}",
        )
    return spec_from_dict(apply_overrides(data, overrides))


def apply_overrides(data: Mapping[str, Any], overrides: Mapping[str, object] | None) -> dict[str, Any]:
    """`data` with each non-empty override replacing its key; unknown override names are errors.

    `catalog_name` / `schema_name` are not keys: they move every uc_function tool there (a function
    whose definition file gives a bare name is then created there by notebook 01)."""
    merged = dict(data)
    placement: dict[str, str] = {}
    for key, value in (overrides or {}).items():
        if key not in OVERRIDABLE:
            raise SpecError(
                f"overrides.{key}", "is not an agent spec parameter", f"use only: {', '.join(OVERRIDABLE)}"
            )
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        if key in PLACEMENT:
            placement[key] = str(value).strip()
            continue
        if key == "tools" and isinstance(value, str):
            value = _parse_yaml(value, "overrides.tools")
            if not isinstance(value, list):
                raise SpecError(
                    "overrides.tools",
                    f"must be a YAML or JSON list of tools, got {type(value).__name__}",
                    'pass e.g. \'[{"genie_space": {"id": "...", "description": "..."}}]\'',
                )
        merged[key] = value
    if placement and isinstance(merged.get("tools"), list):
        merged["tools"] = [_placed(tool, **placement) for tool in merged["tools"]]
    return merged


def _placed(tool: Any, catalog_name: str = "", schema_name: str = "") -> Any:
    """A uc_function tool (compact or wire form) moved to `catalog_name` / `schema_name`; others as is."""
    function = tool.get("uc_function") if isinstance(tool, Mapping) else None
    name = function.get("name") if isinstance(function, Mapping) else None
    if not isinstance(name, str) or name.count(".") != 2:
        return tool  # not a function, or a malformed name the validation reports
    catalog, schema, bare = name.split(".")
    return {**tool, "uc_function": {**function, "name": f"{catalog_name or catalog}.{schema_name or schema}.{bare}"}}


def _parse_yaml(text: str, where: str) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise SpecError(
            where, f"YAML syntax error{at}: {problem}", "fix the YAML there (indentation, quotes, colons)"
        ) from None


def spec_to_yaml(spec: AgentSpec) -> str:
    """agent.yml text, every key explicit, tools nested as on the wire."""
    return spec.to_yaml()
