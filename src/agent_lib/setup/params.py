"""Notebook 01's parameters (cwd = notebooks/, so paths start at the repository with ../)."""

from __future__ import annotations

from pathlib import Path

from ..params import NotebookParams


class SetupParams(NotebookParams):
    """What `01_setup_tools` takes: the common parameters, paths seen from notebooks/."""

    spec_path: str = "../agent.yml"
    """Path of the agent spec (YAML); UC function definition files are relative to its folder."""
    state_dir: str = "../.agent_lib"
    """Directory where the emulated workspace keeps its SQLite state."""

    @property
    def spec_dir(self) -> str:
        """The folder of agent.yml, where definition files are looked up."""
        return str(Path(self.spec_path).parent)
