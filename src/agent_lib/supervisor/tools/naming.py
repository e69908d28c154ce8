"""Function names for hosted tools whose upstream names are unknown (supervisor-api.md §14 q2).

Upstream names UC functions `catalog__schema__function` and MCP tools by their MCP name; for the
rest we chose names derived from the tool, stable across runs and within `^[a-zA-Z0-9_-]{1,64}$`:

| hosted tool             | function name                         | example                          |
|-------------------------|---------------------------------------|----------------------------------|
| genie_space             | `genie_<first 8 of the space id>`     | `genie_01f0c0ff`                 |
| knowledge_assistant     | `knowledge_assistant_<first 8 hex>`   | `knowledge_assistant_8c765842`   |
| app                     | `app_<name, hyphens as underscores>`  | `app_agent_lib_helpdesk`         |
| uc_function             | `catalog__schema__function`           | `main__sales__get_order_status`  |
| uc_connection           | each MCP tool's own name              | `create_ticket`                  |

Two spaces (or assistants) that share a prefix get longer prefixes until the names differ.
"""

from __future__ import annotations

import re

from .base import MAX_NAME

_UNSAFE = re.compile(r"[^a-zA-Z0-9_-]")


def _safe(text: str) -> str:
    return _UNSAFE.sub("_", text)


def genie_tool_name(space_id: str, length: int = 8) -> str:
    return ("genie_" + _safe(space_id)[:length])[:MAX_NAME]


def knowledge_assistant_tool_name(knowledge_assistant_id: str, length: int = 8) -> str:
    return ("knowledge_assistant_" + _safe(knowledge_assistant_id.replace("-", ""))[:length])[:MAX_NAME]


def app_tool_name(app_name: str) -> str:
    return ("app_" + _safe(app_name).replace("-", "_"))[:MAX_NAME]


__all__ = ["app_tool_name", "genie_tool_name", "knowledge_assistant_tool_name"]
