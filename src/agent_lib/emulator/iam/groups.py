"""Workspace groups: which exist, their stable ids, and membership.

Groups are names on principals (`doc["groups"]`) plus optional "group" documents for groups that
exist before they have members; their ids are derived from their names so they never change
(the same on every start and after a reset), and no group table has to be kept in step.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

from ..core.state import EmulatorState
from .scim import ScimError

SYSTEM_GROUPS = ("admins", "users")


def group_id(name: str) -> str:
    """A stable numeric id for a group name (the same on every start and after a reset)."""
    return str(int(hashlib.sha256(name.lower().encode()).hexdigest()[:13], 16))


def group_names(state: EmulatorState) -> list[str]:
    """Every group of the workspace: the system groups, groups with members, created groups."""
    names: dict[str, str] = {g: g for g in SYSTEM_GROUPS}
    for doc in state.store.list("group"):
        names.setdefault(doc["displayName"].lower(), doc["displayName"])
    for p in state.identities.all():
        for g in p.get("groups", []):
            names.setdefault(g.lower(), g)
    return list(names.values())


def find_group(state: EmulatorState, name: str) -> str | None:
    """The group's canonical name, or None if the workspace has no such group."""
    for g in group_names(state):
        if g.lower() == name.lower():
            return g
    return None


def ensure_group(state: EmulatorState, name: str, members: Iterable[str] = ()) -> str:
    """Create a group (if absent) and add users / service principals (by user name or app id)."""
    with state.store.transaction():
        canonical = find_group(state, name) or name
        if state.store.get("group", canonical.lower()) is None and canonical not in SYSTEM_GROUPS:
            state.store.put("group", canonical.lower(), {"displayName": canonical})
        for member in members:
            doc = (state.identities.find("user", member)
                   or state.identities.find("service_principal", member))
            if doc is None:
                raise KeyError(f"no user or service principal named {member!r}")
            if canonical not in doc.get("groups", []):
                doc["groups"] = [*doc.get("groups", []), canonical]
                state.store.put("principal", doc["id"], doc)
    return canonical


def group_by_id(state: EmulatorState, gid: str) -> str | None:
    """The name of the group whose id is `gid`, or None."""
    return next((g for g in group_names(state) if group_id(g) == gid), None)


def group_names_from_refs(state: EmulatorState, refs: list[dict[str, Any]] | None) -> list[str]:
    """The groups a SCIM create names (`groups: [{value: <id>}]`); 400 for an unknown id."""
    names: list[str] = []
    for ref in refs or []:
        gid = str(ref.get("value", ""))
        match = group_by_id(state, gid)
        if match is None:
            raise ScimError(400, f"Group {gid} does not exist.", "invalidValue")
        if match not in names:
            names.append(match)
    return names
