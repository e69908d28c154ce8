"""Who someone is on a workspace and what they may do: principals, workspace ACLs, UC privileges.

Setup (notebook 01) and grants (notebook 02) both ask the same questions through databricks-sdk,
so they share these answers:

    p = principal(w, "alice@example.com")        # a user, a service principal (application id) or a group
    level, via = acl_level(w, "genie", space_id, p)        # ("CAN_RUN", "group data-scientists")
    held = uc_privileges(w, "function", "main.sales.f", p)  # {"EXECUTE": "inherited from CATALOG main"}

Both read what Databricks calls *effective* access: a level held through a group counts, and a UC
privilege granted on the catalog or schema counts on what is inside it (`grants.get_effective`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from .errors import ResourceError

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient

PrincipalKind = Literal["user", "service_principal", "group"]

ACCOUNT_USERS = "account users"
"""Unity Catalog's built-in group of every principal of the account."""

LEVELS: dict[str, tuple[str, ...]] = {
    "genie": ("CAN_VIEW", "CAN_RUN", "CAN_EDIT", "CAN_MANAGE"),
    "serving-endpoints": ("CAN_VIEW", "CAN_QUERY", "CAN_MANAGE"),
    "apps": ("CAN_USE", "CAN_MANAGE"),
    "experiments": ("CAN_READ", "CAN_EDIT", "CAN_MANAGE"),
    "warehouses": ("CAN_VIEW", "CAN_MONITOR", "CAN_USE", "CAN_MANAGE", "IS_OWNER"),
    "knowledge-assistants": ("CAN_QUERY", "CAN_MANAGE"),
}
"""Workspace ACL levels per object type, low to high; a level implies the ones before it."""

_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE)


@dataclass(frozen=True)
class Principal:
    """A user (by user name), a service principal (by application id) or a group (by name)."""

    kind: PrincipalKind
    name: str
    display_name: str = ""
    groups: frozenset[str] = field(default_factory=frozenset)
    """The workspace groups it belongs to, lower-cased (empty for a group)."""

    @property
    def label(self) -> str:
        """How tables name it: `user alice@example.com`, `service principal app-x (1e88...)`."""
        if self.kind == "service_principal":
            return f"service principal {self.display_name} ({self.name})" if self.display_name else \
                f"service principal {self.name}"
        return f"{self.kind} {self.name}"

    def acl_fields(self) -> dict[str, str]:
        """The one `AccessControlRequest` field that names it."""
        key = {"user": "user_name", "service_principal": "service_principal_name", "group": "group_name"}
        return {key[self.kind]: self.name}

    def uc_names(self) -> set[str]:
        """The UC principal names whose privileges it holds: itself, its groups, `account users`."""
        own = {self.name.lower()}
        return own if self.kind == "group" else own | set(self.groups) | {ACCOUNT_USERS}


def _groups(refs: object) -> frozenset[str]:
    return frozenset((g.display or "").lower() for g in (refs or []) if g.display)  # type: ignore[attr-defined]


def principal(w: WorkspaceClient, name: str) -> Principal:
    """Look a principal up by name: `x@y` is a user, a UUID an App's service principal, else a group."""
    name = name.strip()
    if not name:
        raise ResourceError("principal ''", "is empty", "name a user (e.g. alice@example.com) or a group")
    if "@" in name:
        users = list(w.users.list(filter=f'userName eq "{name}"'))
        if users:
            u = users[0]
            return Principal("user", u.user_name or name, u.display_name or "", _groups(u.groups))
    elif _UUID.match(name):
        sps = list(w.service_principals.list(filter=f'applicationId eq "{name}"'))
        if sps:
            sp = sps[0]
            return Principal("service_principal", sp.application_id or name, sp.display_name or "",
                             _groups(sp.groups))
    else:
        groups = list(w.groups.list(filter=f'displayName eq "{name}"'))
        if groups:
            return Principal("group", groups[0].display_name or name)
    kind = "user" if "@" in name else "service principal" if _UUID.match(name) else "group"
    raise ResourceError(
        f"principal '{name}'", f"no {kind} of that name exists in the workspace",
        "check the spelling (users by e-mail, groups by display name, service principals by "
        "application id), or add it to the workspace first")


def me(w: WorkspaceClient) -> Principal:
    """The caller, with its groups."""
    user = w.current_user.me()
    if user.user_name:
        return Principal("user", user.user_name, user.display_name or "", _groups(user.groups))
    return principal(w, user.display_name or "")


def higher(object_type: str, a: str | None, b: str | None) -> str | None:
    """The higher of two levels of `object_type` (None when neither is set)."""
    order = LEVELS[object_type]
    ranked = [lvl for lvl in (a, b) if lvl in order]
    return max(ranked, key=order.index) if ranked else None


def implies(object_type: str, held: str | None, wanted: str) -> bool:
    order = LEVELS[object_type]
    return held in order and order.index(held) >= order.index(wanted)  # type: ignore[arg-type]


def acl_level(w: WorkspaceClient, object_type: str, object_id: str,
              who: Principal) -> tuple[str | None, str]:
    """The highest level `who` holds on the object, and through what (`direct`, `group users`)."""
    acl = w.permissions.get(object_type, object_id)
    best: str | None = None
    via = ""
    for entry in acl.access_control_list or []:
        if who.kind != "group" and entry.group_name and entry.group_name.lower() in who.groups:
            source = f"group {entry.group_name}"
        elif (entry.user_name or entry.service_principal_name or entry.group_name or "").lower() \
                == who.name.lower() and _same_kind(entry, who):
            source = "direct"
        else:
            continue
        for perm in entry.all_permissions or []:
            level = perm.permission_level.value if perm.permission_level else None
            top = higher(object_type, best, level)
            if top != best:
                best, via = top, source
    return best, via


def _same_kind(entry: object, who: Principal) -> bool:
    field_name = next(iter(who.acl_fields()))
    return bool(getattr(entry, field_name, None))


def uc_privileges(w: WorkspaceClient, securable_type: str, full_name: str,
                  who: Principal) -> dict[str, str]:
    """Each UC privilege `who` effectively holds on the securable, and where it comes from."""
    names = who.uc_names()
    held: dict[str, str] = {}
    effective = w.grants.get_effective(securable_type, full_name)
    for assignment in effective.privilege_assignments or []:
        holder = (assignment.principal or "").lower()
        if holder not in names:
            continue
        for p in assignment.privileges or []:
            if p.privilege is None:
                continue
            source = "direct" if holder == who.name.lower() else f"group {assignment.principal}"
            if p.inherited_from_name:
                kind = p.inherited_from_type.value if p.inherited_from_type else ""
                source += f", inherited from {kind} {p.inherited_from_name}".replace("  ", " ")
            held.setdefault(p.privilege.value, source)
    return held
