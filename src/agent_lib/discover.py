"""What a workspace offers as hosted tools, and writing the chosen ones into agent.yml.

    found = discover(ws.client, catalog="main")          # Genie spaces, KAs, UC functions, MCP connections, Apps
    added = add_tools("agent.yml", [f for f in found if f.key in wanted])

Ids are copied by the program, not by hand: each `Found` carries the exact compact tool entry the
spec takes. Writing keeps the file's comments and order (ruamel.yaml round trip), and the result is
validated with `load_spec` before it replaces the file, so a bad write loses nothing.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import AgentLibError

__all__ = ["Found", "add_tools", "discover"]

SYSTEM_CATALOGS = frozenset({"system", "samples", "__databricks_internal"})


@dataclass(frozen=True)
class Found:
    """One hosted tool the workspace offers: `key` is what a user names to add it."""

    type: str
    key: str
    title: str
    description: str

    def entry(self) -> dict[str, dict[str, str]]:
        """The compact spec entry, e.g. `{"genie_space": {"id": ..., "description": ...}}`."""
        field = {"genie_space": "id", "knowledge_assistant": "knowledge_assistant_id"}.get(self.type, "name")
        text = self.description or f"{self.title} (describe what it answers and when to use it)"
        return {self.type: {field: self.key, "description": " ".join(text.split())}}


def discover(client: Any, *, catalog: str | None = None, schema: str | None = None) -> list[Found]:
    """Every hosted tool the caller can see; UC functions from `catalog`/`schema` (all when None).

    A service the caller may not list (or the workspace lacks) is skipped, not fatal: the listing
    shows what is reachable, which is what a user can add.
    """
    found: list[Found] = []
    for lister in (_genie_spaces, _knowledge_assistants, _apps, _mcp_connections):
        found.extend(_reachable(lambda lister=lister: lister(client)))
    found.extend(_reachable(lambda: _functions(client, catalog, schema)))
    return found


def _reachable(listing: Callable[[], Iterable[Found]]) -> list[Found]:
    from databricks.sdk.errors import DatabricksError

    try:
        return list(listing())
    except (DatabricksError, AttributeError):  # no permission, or an SDK/workspace without the service
        return []


def _genie_spaces(client: Any) -> Iterator[Found]:
    token = None
    while True:
        page = client.genie.list_spaces(page_token=token)
        for space in page.spaces or []:
            yield Found("genie_space", space.space_id, space.title or space.space_id, space.description or "")
        token = page.next_page_token
        if not token:
            return


def _knowledge_assistants(client: Any) -> Iterator[Found]:
    for ka in client.knowledge_assistants.list_knowledge_assistants():
        yield Found("knowledge_assistant", ka.id, ka.display_name or ka.id, ka.description or "")


def _apps(client: Any) -> Iterator[Found]:
    for app in client.apps.list():
        yield Found("app", app.name, app.name, app.description or "")


def _mcp_connections(client: Any) -> Iterator[Found]:
    for conn in client.connections.list():
        if str((conn.options or {}).get("is_mcp_connection", "")).lower() == "true":
            yield Found("uc_connection", conn.name, conn.name, conn.comment or "")


def _functions(client: Any, catalog: str | None, schema: str | None) -> Iterator[Found]:
    catalogs = [catalog] if catalog else [c.name for c in client.catalogs.list()
                                          if c.name and c.name not in SYSTEM_CATALOGS]
    for cat in catalogs:
        schemas = [schema] if schema else [s.name for s in client.schemas.list(catalog_name=cat)
                                           if s.name and s.name != "information_schema"]
        for sch in schemas:
            for fn in client.functions.list(catalog_name=cat, schema_name=sch):
                yield Found("uc_function", fn.full_name, fn.full_name, fn.comment or "")


def _tool_key(entry: Any) -> tuple[str, str] | None:
    """(type, id) of a spec tool entry in wire or compact form; None when it is neither."""
    if not hasattr(entry, "get"):
        return None
    kind = entry.get("type") or next((k for k in entry if k != "type"), None)
    body = entry.get(kind) if kind else None
    if not hasattr(body, "get"):
        return None
    ident = body.get("id") or body.get("knowledge_assistant_id") or body.get("name")
    return (str(kind), str(ident)) if ident else None


def add_tools(spec_path: str | Path, chosen: Iterable[Found]) -> list[Found]:
    """Append the chosen tools to the spec's `tools` (skipping ones it has); returns those added.

    Raises AgentLibError, leaving the file as it was, when the result would not be a valid spec.
    """
    from ruamel.yaml import YAML

    from .spec import load_spec

    path = Path(spec_path)
    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 100
    yaml.indent(mapping=2, sequence=4, offset=2)
    original = path.read_text()
    doc = yaml.load(original)
    if doc is None or not hasattr(doc, "setdefault"):
        raise AgentLibError(f"{path} is not a YAML mapping; it should hold name, model, instructions, tools")
    tools = doc.setdefault("tools", [])
    have = {_tool_key(t) for t in tools}
    added = [f for f in chosen if (f.type, f.key) not in have]
    for found in added:
        tools.append(found.entry())
        have.add((found.type, found.key))
    if not added:
        return []
    buffer = io.StringIO()
    yaml.dump(doc, buffer)
    candidate = path.with_name(f".{path.name}.discover")  # beside it: relative paths resolve the same
    candidate.write_text(buffer.getvalue())
    try:
        load_spec(candidate)
    except AgentLibError as exc:
        raise AgentLibError(f"adding {', '.join(f.key for f in added)} to {path} would make it invalid "
                            f"({exc}); {path} is unchanged") from None
    finally:
        candidate.unlink()
    path.write_text(buffer.getvalue())
    return added
