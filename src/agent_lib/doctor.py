"""`agent-lib doctor`: one screen that says what works and what does not, with the fix for each problem.

    report = diagnose(ws, spec, spec_dir=".", experiment_name="/Shared/agent-lib")
    print(report); report.healthy

It only reads: the same checks as notebooks 01 (tools, model) and 02 (grants, scopes) run in their
read-only form, plus the App and the MLflow experiment. Nothing is created, granted or deployed, so
it is safe to run at any time, against any workspace.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .report import Shown, Table

if TYPE_CHECKING:
    from .spec import AgentSpec
    from .workspace import Workspace

__all__ = ["Finding", "DoctorReport", "diagnose"]

OK, PROBLEM = "ok", "PROBLEM"
RUN_02 = "run notebook 02_grant_permissions with dry_run=false (or agent-lib grants --apply)"


@dataclass(frozen=True)
class Finding:
    area: str
    item: str
    status: str
    detail: str
    fix: str = ""


@dataclass(frozen=True)
class DoctorReport(Shown):
    findings: tuple[Finding, ...]

    @property
    def problems(self) -> list[Finding]:
        return [f for f in self.findings if f.status == PROBLEM]

    @property
    def healthy(self) -> bool:
        return not self.problems

    def _title(self) -> str:
        return "agent-lib doctor: " + ("all good" if self.healthy else f"{len(self.problems)} problem(s)")

    def table(self) -> Table:
        return Table.of(self._title(), ("area", "item", "status", "detail", "fix"),
                        [(f.area, f.item, f.status, f.detail, f.fix) for f in self.findings])

    def __str__(self) -> str:
        """One line per finding, its fix under it: fits a terminal, unlike a five-column table."""
        lines = [self._title()]
        for f in self.findings:
            lines.append(f"{f.status:<8} {f.area:<15} {f.item}: {f.detail}")
            if f.fix:
                lines.append(f"{'':<24}fix: {f.fix}")
        return "\n".join(lines)


def diagnose(ws: Workspace, spec: AgentSpec, *, spec_dir: str | Path = ".", users: tuple[str, ...] = (),
             experiment_name: str = "") -> DoctorReport:
    """Every check, in the order a newcomer fixes them; a check that cannot run becomes a finding."""
    findings = _authentication(ws)
    if findings[0].status == PROBLEM:
        return DoctorReport(tuple(findings))  # nothing else can be checked without a working login
    checks = {"tools": lambda: _tools(ws, spec, Path(spec_dir)),
              "mlflow": lambda: _experiment(ws, experiment_name),
              "permissions": lambda: _grants(ws, spec, users), "app": lambda: _app(ws, spec)}
    for area, check in checks.items():
        findings += _guarded(area, check)
    return DoctorReport(tuple(findings))


def _guarded(area: str, check: Callable[[], list[Finding]]) -> list[Finding]:
    from databricks.sdk.errors import DatabricksError

    from .errors import AgentLibError

    try:
        return check()
    except (DatabricksError, AgentLibError) as exc:
        first = str(exc).split("\n")[0].split(" Config: ")[0]  # never the SDK's configuration dump
        return [Finding(area, "(check)", PROBLEM, f"could not check: {first}",
                        "fix this error, then run agent-lib doctor again")]


def _authentication(ws: Workspace) -> list[Finding]:
    try:
        me = ws.client.current_user.me()
    except Exception as exc:  # any failure here means no later check can run
        first = str(exc).split("\n")[0].split(" Config: ")[0]
        return [Finding("authentication", ws.host, PROBLEM, first,
                        "check the host and credentials (databricks auth login, DATABRICKS_TOKEN), "
                        "or use --workspace emulated")]
    how = ws.client.config.auth_type or "default"
    return [Finding("authentication", ws.host, OK, f"signed in as {me.user_name} ({how})")]


def _tools(ws: Workspace, spec: AgentSpec, spec_dir: Path) -> list[Finding]:
    from .setup import PROBLEM as SETUP_PROBLEM
    from .setup import setup_tools

    report = setup_tools(ws.client, spec, spec_dir=spec_dir, create=False)
    return [Finding("model" if i == 0 else "tool", r.tool, PROBLEM if r.status == SETUP_PROBLEM else OK,
                    f"{r.resource}: {r.action}", r.fix) for i, r in enumerate(report.rows)]


def _experiment(ws: Workspace, name: str) -> list[Finding]:
    from databricks.sdk.errors import NotFound, ResourceDoesNotExist

    if not name:
        return []
    try:
        found = ws.client.experiments.get_by_name(name).experiment
    except (NotFound, ResourceDoesNotExist):
        found = None
    if found is None:
        return [Finding("mlflow", name, PROBLEM, "the experiment does not exist",
                        "run notebook 03 or 04 (they create it), or the bundle deploy (its experiment resource)")]
    return [Finding("mlflow", name, OK, f"experiment {found.experiment_id}")]


def _grants(ws: Workspace, spec: AgentSpec, users: tuple[str, ...]) -> list[Finding]:
    """One finding per principal: how many of its grants are in place, and which are missing."""
    from .grants import PRESENT, plan_grants

    plan = plan_grants(ws.client, spec, users=users)
    by_principal: dict[str, list] = {}
    for row in plan.rows:
        by_principal.setdefault(row.principal, []).append(row)
    findings = []
    for principal, rows in by_principal.items():
        missing = [r for r in rows if r.status != PRESENT]
        if not missing:
            findings.append(Finding("permissions", principal, OK, f"all {len(rows)} in place"))
            continue
        named = [f"{r.permission} on {r.resource}" + (f" ({r.reason})" if r.reason and r.status != "to add"
                                                       else "") for r in missing]
        shown = "; ".join(named[:4]) + (f"; and {len(named) - 4} more" if len(named) > 4 else "")
        findings.append(Finding("permissions", principal, PROBLEM,
                                f"{len(rows) - len(missing)} of {len(rows)} in place; missing: {shown}", RUN_02))
    return findings


def _app(ws: Workspace, spec: AgentSpec) -> list[Finding]:
    from databricks.sdk.errors import NotFound

    try:
        app = ws.client.apps.get(spec.name)
    except NotFound:
        return [Finding("app", spec.name, PROBLEM, "the App does not exist",
                        "run notebook 02 (creates it) and 05_deploy_app (deploys it)")]
    state = app.app_status.state.value if app.app_status and app.app_status.state else "unknown"
    compute = app.compute_status.state.value if app.compute_status and app.compute_status.state else "unknown"
    running = state == "RUNNING"
    return [Finding("app", spec.name, OK if running else PROBLEM,
                    f"app {state}, compute {compute}" + (f", {app.url}" if app.url else ""),
                    "" if running else "run notebook 05_deploy_app (or agent-lib run --only 05)")]
