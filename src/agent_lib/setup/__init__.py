"""Notebook 01: make sure every tool of the spec exists and is reachable; create UC functions.

    report = setup_tools(ws.client, spec, spec_dir="..")   # one row per tool, plus the model
    report                                                  # the table (tool, resource, status, action, fix)
    report.raise_for_problems()                             # fails, naming each problem and its fix

Everything goes through databricks-sdk. UC functions whose spec entry names a `definition` file
(`CREATE OR REPLACE FUNCTION ...`, relative to agent.yml) are created when missing and replaced
when the file changed; an unchanged one is left alone, so a second run changes nothing. Problems
never stop the run half-way: every tool gets its row first, and `raise_for_problems` fails after.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import AgentLibError
from ..function_definitions import DefinitionError, parse_definition
from ..report import Shown, Table
from .checks import CREATED, OK, PROBLEM, REPLACED, Row, check_model, check_tool
from .definitions import read_definition
from .params import SetupParams

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient

    from ..spec import AgentSpec

__all__ = ["CREATED", "OK", "PROBLEM", "REPLACED", "DefinitionError", "Row", "SetupFailed", "SetupParams", "SetupReport",
           "parse_definition", "read_definition", "setup_tools"]

COLUMNS = ("tool", "resource", "status", "action", "fix")


class SetupFailed(AgentLibError):
    """Some tools are not usable; the message lists each with its fix (the table shows them all)."""

    def __init__(self, problems: list[Row]) -> None:
        self.problems = problems
        lines = "; ".join(f"{r.tool}: {r.action}. Fix: {r.fix}" for r in problems)
        super().__init__(f"set up tools: {len(problems)} tool(s) not usable: {lines}")


@dataclass(frozen=True, repr=False)
class SetupReport(Shown):
    """One row per tool (and the model), in spec order; shown as a table."""

    rows: tuple[Row, ...]

    @property
    def problems(self) -> list[Row]:
        return [r for r in self.rows if r.status == PROBLEM]

    @property
    def changes(self) -> int:
        """How many resources this run created or replaced (0 on a re-run)."""
        return sum(r.status in (CREATED, REPLACED) for r in self.rows)

    def table(self) -> Table:
        summary = f"{len(self.rows)} checked, {self.changes} changed, {len(self.problems)} problem(s)"
        return Table.of(f"Tools ({summary})", COLUMNS,
                        [(r.tool, r.resource, r.status, r.action, r.fix) for r in self.rows])

    def raise_for_problems(self) -> str:
        """Raise `SetupFailed` when any tool has a problem; otherwise say that all are usable."""
        if self.problems:
            raise SetupFailed(self.problems)
        return f"all {len(self.rows)} usable ({self.changes} created or replaced)"


def setup_tools(w: WorkspaceClient, spec: AgentSpec, *, spec_dir: str | Path = ".",
                create: bool = True) -> SetupReport:
    """Check (and where possible create) the model and every tool of `spec`, in order.

    `spec_dir` is the folder of agent.yml: definition files are relative to it. `create=False`
    only checks: what notebook 01 would create or replace is reported as a problem instead.
    """
    base = Path(spec_dir)
    rows = [check_model(w, spec)]
    rows += [check_tool(w, tool, base, create=create) for tool in spec.tools]
    if not spec.tools:  # a Supervisor agent without tools answers nothing the spec promises
        rows.append(Row("tools", "agent.yml tools", PROBLEM, "the spec declares no tools",
                        "add the agent's hosted tools to agent.yml (agent-lib discover lists what the "
                        "workspace offers and writes them in)"))
    return SetupReport(tuple(rows))
