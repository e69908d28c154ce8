"""Notebook 02's parameters (cwd = notebooks/, so paths start at the repository with ../)."""

from __future__ import annotations

from ..params import NotebookParams


class GrantParams(NotebookParams):
    """What `02_grant_permissions` takes. A dry run by default: a newcomer sees the plan first."""

    spec_path: str = "../agent.yml"
    """Path of the agent spec (YAML)."""
    state_dir: str = "../.agent_lib"
    """Directory where the emulated workspace keeps its SQLite state."""
    dry_run: bool = True
    """Show the plan of changes without applying any (set false to apply; the job does)."""
    users: tuple[str, ...] = ()
    """Users or groups given each tool's permissions (user authorization), e.g. alice@example.com, bob@example.com."""
    warehouse_id: str = ""
    """SQL warehouse the Genie space and UC functions run on; empty finds it (the space's, or the first)."""
