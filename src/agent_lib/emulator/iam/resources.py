"""Principals rendered as SCIM resources: the SDK's `iam.User`, `iam.ServicePrincipal`, `iam.Group`.

Principals live in the core (`state.identities`, kind "principal"); this module only shapes them,
so every endpoint (Me, Users, ServicePrincipals, Groups, and listings) shows one principal alike.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..core.identity import Principal
from ..core.state import EmulatorState
from .groups import group_id
from .scim import SCHEMA_GROUP, SCHEMA_SP, SCHEMA_USER, SCHEMA_USER_WORKSPACE, Resource, ScimError


def _group_refs(groups: Iterable[str]) -> list[Resource]:
    return [{"display": g, "value": group_id(g), "$ref": f"Groups/{group_id(g)}", "type": "direct"}
            for g in groups]


def group_resource(state: EmulatorState, name: str) -> Resource:
    members = [p for p in state.identities.all() if name in p.get("groups", [])]
    out: Resource = {"id": group_id(name), "displayName": name, "schemas": [SCHEMA_GROUP]}
    if members:
        out["members"] = [{"display": p["display_name"], "value": p["id"],
                           "$ref": f"{'Users' if p['kind'] == 'user' else 'ServicePrincipals'}/{p['id']}"}
                          for p in members]
    return out


def _name_parts(display_name: str) -> dict[str, str]:
    given, _, family = display_name.partition(" ")
    out = {"givenName": given}
    if family:
        out["familyName"] = family
    return out


def _principal_resource(doc: dict[str, Any], name_field: str, schemas: list[str], **more: Any) -> Resource:
    """The fields every principal shows: id, its name under `name_field`, display name, state,
    groups; `more` goes between the state and the groups, as the SDK orders a `User`."""
    return {
        "id": doc["id"],
        name_field: doc["name"],
        "displayName": doc["display_name"],
        "active": doc.get("active", True),
        **more,
        "groups": _group_refs(doc.get("groups", [])),
        "schemas": schemas,
    }


def user_resource(doc: dict[str, Any]) -> Resource:
    """A core user document as the SDK's `iam.User`."""
    return _principal_resource(doc, "userName", [SCHEMA_USER, SCHEMA_USER_WORKSPACE],
                               name=_name_parts(doc["display_name"]),
                               emails=[{"value": doc["name"], "type": "work", "primary": True}])


def service_principal_resource(doc: dict[str, Any]) -> Resource:
    """A core service principal document as the SDK's `iam.ServicePrincipal`."""
    return _principal_resource(doc, "applicationId", [SCHEMA_SP])


def me(state: EmulatorState, caller: Principal) -> Resource:
    """The caller as a SCIM `User`; a service principal's `userName` is its application id."""
    doc = state.identities.get(caller.id)
    if doc is None:  # deleted while the request was in flight
        raise ScimError(404, f"User {caller.id} does not exist.")
    if doc["kind"] == "user":
        return user_resource(doc)
    return _principal_resource(doc, "userName", [SCHEMA_USER])
