"""The plan (current vs desired, one row per grant, App resource and scope) and applying it.

Current state is what Databricks calls effective: workspace ACL levels held directly or through a
group, and UC privileges including those inherited from the catalog and schema
(`grants.get_effective`). Applying only adds: ACLs by PATCH (`permissions.update`), UC privileges by
`grants.update` with `add`, App resources and scopes merged into the App. Nothing is ever removed.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from databricks.sdk.errors import DatabricksError, NotFound, PermissionDenied

from ..access import Principal, acl_level, implies, principal, uc_privileges
from ..errors import AgentLibError
from ..report import Shown, Table
from .app import (
    app_principal,
    create_app,
    current_resources,
    declare,
    desired_resources,
    desired_scopes,
    find_app,
)
from .desired import APP_SP, Grant, Resolved, desired_grants, resolve

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient

    from ..spec import AgentSpec

PRESENT, TO_ADD, ADDED, FAILED, UNVERIFIED, PROBLEM = (
    "present", "to add", "added", "failed", "unverified", "problem")
COLUMNS = ("principal", "resource", "permission", "status", "reason")


@dataclass(frozen=True)
class Row:
    principal: str
    resource: str
    permission: str
    status: str
    reason: str = ""
    key: tuple[str, str, str] = ("", "", "")
    grant: Grant | None = field(default=None, compare=False)
    via: str = ""
    """How a present grant is held: `direct`, `group users`, ... (empty for App rows)."""


class GrantsFailed(AgentLibError):
    """Some grants could not be planned or applied; the table says which, and the message too."""

    def __init__(self, rows: list[Row]) -> None:
        self.rows = rows
        lines = "; ".join(f"{r.permission} on {r.resource} for {r.principal}: {r.reason}" for r in rows)
        super().__init__(f"grant permissions: {len(rows)} problem(s): {lines}")


@dataclass(frozen=True)
class Options:
    users: tuple[str, ...] = ()
    warehouse_id: str = ""
    experiment_id: str | None = None


@dataclass(frozen=True, repr=False)
class GrantPlan(Shown):
    """Current vs desired for one spec; `apply_grants` turns it into a result of the same shape."""

    spec: AgentSpec
    options: Options
    rows: tuple[Row, ...]
    app_exists: bool
    applied: bool = False
    resources: tuple[dict[str, Any], ...] = ()
    scopes: tuple[str, ...] = ()

    @property
    def changes(self) -> int:
        """Rows to add (before applying) or added (after): 0 means the workspace is as desired."""
        return sum(r.status in (TO_ADD, ADDED) for r in self.rows)

    @property
    def problems(self) -> list[Row]:
        return [r for r in self.rows if r.status in (FAILED, PROBLEM)]

    def table(self) -> Table:
        kind = "applied" if self.applied else "plan"
        counted = f"{self.changes} {'added' if self.applied else 'to add'}, {len(self.problems)} problem(s)"
        title = f"Grants for {self.spec.name} ({self.spec.authorization} authorization), {kind}: {counted}"
        return Table.of(title, COLUMNS, [(r.principal, r.resource, r.permission, r.status, r.reason)
                                         for r in self.rows])

    def raise_for_problems(self) -> str:
        """Raise `GrantsFailed` naming each problem; otherwise say what the run did."""
        if self.problems:
            raise GrantsFailed(self.problems)
        if not self.applied:
            return f"dry run: nothing changed, {self.changes} to add (set dry_run = False to apply)"
        return f"applied: {self.changes} added; the workspace now matches agent.yml"


def _grant_row(w: WorkspaceClient, grant: Grant, who: Principal | None, app_label: str) -> Row:
    shown = who.label if who is not None else app_label
    base = Row(shown, grant.label, grant.level, TO_ADD, grant.reason, grant.key, grant)
    if who is None:
        return replace(base, reason=f"{grant.reason} (the App is created on apply)")
    try:
        if grant.system == "acl":
            held, via = acl_level(w, grant.object_type, grant.object_id, who)
            present = implies(grant.object_type, held, grant.level)
        else:
            privileges = uc_privileges(w, grant.object_type, grant.object_id, who)
            via = privileges.get(grant.level) or privileges.get("ALL_PRIVILEGES", "")
            present = bool(via)
    except NotFound as exc:
        if grant.object_type == "experiments":  # the emulated workspace keeps experiments locally for now
            return replace(base, status=UNVERIFIED,
                           reason=f"declared as the App's experiment resource; this workspace's permissions "
                                  f"API does not know the experiment ({str(exc)[:80]})")
        return replace(base, status=PROBLEM, reason=f"not found: {str(exc)[:160]}. Fix: run notebook 01 first")
    except PermissionDenied as exc:
        return replace(base, status=PROBLEM,
                       reason=f"you cannot read its permissions ({str(exc)[:120]}). Fix: ask for CAN_MANAGE / "
                              "MANAGE on it, or run notebook 02 as its owner or a workspace admin")
    if present:
        reason = f"{grant.reason} (via {via})" if via != "direct" else grant.reason
        return replace(base, status=PRESENT, reason=reason, via=via)
    return base


def plan_grants(w: WorkspaceClient, spec: AgentSpec, *, users: tuple[str, ...] | list[str] = (),
                warehouse_id: str = "", experiment_id: str | None = None) -> GrantPlan:
    """What the App's service principal (and each of `users`) needs, and what is already there.

    `users` are user names or group names given the tools' permissions (user authorization: each
    user calls the tools with their own token). An unknown one fails here, before any change.
    """
    options = Options(tuple(users), warehouse_id, experiment_id)
    return _plan(w, spec, options)


def _plan(w: WorkspaceClient, spec: AgentSpec, options: Options) -> GrantPlan:
    people = {name: principal(w, name) for name in options.users}
    app = find_app(w, spec.name)
    sp = app_principal(w, app) if app is not None else None
    app_label = f"App {spec.name}"
    rows: list[Row] = []
    if app is None:
        rows.append(Row("(you)", app_label, "create (not deployed)", TO_ADD,
                        "its service principal receives the App's grants", ("", app_label, "create")))
    resolved: Resolved = resolve(w, spec, options.warehouse_id)
    rows += [Row("(you)", resource, "resolve", PROBLEM, f"{problem}. Fix: {fix}", ("", resource, "resolve"))
             for resource, problem, fix in resolved.problems]
    resources = desired_resources(spec, resolved, options.experiment_id)
    have = current_resources(app)
    for res in resources:
        kind = next(k for k in res if k not in ("name", "description"))
        block = res[kind]
        target = next(str(v) for k, v in block.items() if k != "permission")
        label = f"{app_label} resources[{res['name']}]"
        status = PRESENT if have.get(res["name"]) == res else TO_ADD
        rows.append(Row(app_label, label, block["permission"], status, f"{kind} {target}",
                        ("", label, block["permission"])))
    scopes = desired_scopes(spec)
    held_scopes = set(app.user_api_scopes or []) if app else set()
    for scope in scopes:
        status = PRESENT if scope in held_scopes else TO_ADD
        rows.append(Row(app_label, f"{app_label} user_api_scopes", scope, status, "user authorization",
                        ("", "user_api_scopes", scope)))
    sp_spec = spec if spec.authorization == "app" else _model_only(spec)
    grants = desired_grants(sp_spec, APP_SP, _without_warehouse(resolved, spec), experiment_id=options.experiment_id)
    for name in options.users:
        grants += desired_grants(spec, name, resolved)
    sp_label = f"service principal of {app_label}"
    for grant in grants:
        who = sp if grant.who == APP_SP else people[grant.who]
        rows.append(_grant_row(w, grant, who, sp_label))
    return GrantPlan(spec, options, tuple(rows), app is not None, resources=tuple(resources), scopes=tuple(scopes))


def _model_only(spec: AgentSpec) -> AgentSpec:
    """Under user authorization the App's own identity calls only the model (tools run as the user)."""
    return spec.model_copy(update={"tools": ()})


def _without_warehouse(resolved: Resolved, spec: AgentSpec) -> Resolved:
    return resolved if spec.authorization == "app" else replace(resolved, warehouse_id=None)


def _apply_grant(w: WorkspaceClient, grant: Grant, who: Principal) -> None:
    if grant.system == "acl":
        from databricks.sdk.service import iam

        w.permissions.update(grant.object_type, grant.object_id, access_control_list=[
            iam.AccessControlRequest(**who.acl_fields(), permission_level=iam.PermissionLevel(grant.level))])
    else:
        from databricks.sdk.service import catalog

        w.grants.update(grant.object_type, grant.object_id, changes=[
            catalog.PermissionsChange(principal=who.name, add=[catalog.Privilege(grant.level)])])


def apply_grants(w: WorkspaceClient, plan: GrantPlan, *, dry_run: bool = True) -> GrantPlan:
    """Make the workspace match `plan` by adding only; with `dry_run` (the default) change nothing.

    Returns the plan read again after the changes: rows that were `to add` and now hold are `added`,
    those that still do not are `failed` with the workspace's answer, so nothing is half-applied
    without the table saying so.
    """
    if dry_run or plan.changes == 0:
        return replace(plan, applied=not dry_run)
    errors: dict[tuple[str, str, str], str] = {}
    spec, options = plan.spec, plan.options
    if not plan.app_exists:
        create_app(w, spec)
    declare(w, spec.name, list(plan.resources), list(plan.scopes))
    middle = _plan(w, spec, options)  # declared resources may already have granted some
    people: dict[str, Principal] = {}
    app = find_app(w, spec.name)
    for row in middle.rows:
        if row.status != TO_ADD or row.grant is None:
            continue
        grant = row.grant
        who = app_principal(w, app) if grant.who == APP_SP and app else people.setdefault(
            grant.who, principal(w, grant.who))
        try:
            _apply_grant(w, grant, who)
        except DatabricksError as exc:
            errors[grant.key] = f"{type(exc).__name__}: {str(exc)[:200]}"
    final = _plan(w, spec, options)
    before = {r.key: r.status for r in plan.rows}
    rows = []
    for row in final.rows:
        was = before.get(row.key)
        if row.status == PRESENT and was == TO_ADD and (not row.via or row.via.startswith("direct")):
            row = replace(row, status=ADDED)
        elif row.status == TO_ADD:
            row = replace(row, status=FAILED, reason=errors.get(row.key, "still missing after apply"))
        rows.append(row)
    if not plan.app_exists:
        rows.insert(0, Row("(you)", f"App {spec.name}", "create (not deployed)", ADDED, "created"))
    return replace(final, rows=tuple(rows), applied=True)
