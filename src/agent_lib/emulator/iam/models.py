"""SCIM identities: users, service principals and groups, rendered as the SDK's `iam.*` shapes.

Principals live in the core (`state.identities`, kind "principal"); this module renders them as
SCIM resources (`User`, `ServicePrincipal`, `Group`), filters and pages listings the way the SCIM
endpoints do, and creates the few things the SCIM API can create here (users, service principals).
Groups are names on principals (`doc["groups"]`) plus optional "group" documents for groups that
exist before they have members; their ids are derived from their names so they never change.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable
from typing import Any

from ..core.errors import ApiError
from ..core.identity import Principal
from ..core.state import EmulatorState

SCHEMA_USER = "urn:ietf:params:scim:schemas:core:2.0:User"
SCHEMA_USER_WORKSPACE = "urn:ietf:params:scim:schemas:extension:workspace:2.0:User"
SCHEMA_SP = "urn:ietf:params:scim:schemas:core:2.0:ServicePrincipal"
SCHEMA_GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
SCHEMA_LIST = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
SCHEMA_ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"

SYSTEM_GROUPS = ("admins", "users")
DEFAULT_PAGE = 10000  # what the SDK asks for when the caller gives no count

Resource = dict[str, Any]


class ScimError(ApiError):
    """A SCIM error body (`{"schemas": [...Error], "detail", "status", "scimType"?}`), as the SCIM
    endpoints answer; the SDK maps it by HTTP status (NotFound, ResourceConflict, ...)."""

    def __init__(self, status: int, detail: str, scim_type: str | None = None) -> None:
        super().__init__(status, f"SCIM_{status}", detail)
        self.scim_type = scim_type

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {"schemas": [SCHEMA_ERROR], "detail": self.message, "status": str(self.status)}
        if self.scim_type:
            out["scimType"] = self.scim_type
        return out


# -- groups -----------------------------------------------------------------------------------

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


# -- rendering --------------------------------------------------------------------------------

def _name_parts(display_name: str) -> dict[str, str]:
    given, _, family = display_name.partition(" ")
    out = {"givenName": given}
    if family:
        out["familyName"] = family
    return out


def user_resource(doc: dict[str, Any]) -> Resource:
    """A core user document as the SDK's `iam.User`."""
    return {
        "id": doc["id"],
        "userName": doc["name"],
        "displayName": doc["display_name"],
        "active": doc.get("active", True),
        "name": _name_parts(doc["display_name"]),
        "emails": [{"value": doc["name"], "type": "work", "primary": True}],
        "groups": _group_refs(doc.get("groups", [])),
        "schemas": [SCHEMA_USER, SCHEMA_USER_WORKSPACE],
    }


def service_principal_resource(doc: dict[str, Any]) -> Resource:
    """A core service principal document as the SDK's `iam.ServicePrincipal`."""
    return {
        "id": doc["id"],
        "applicationId": doc["name"],
        "displayName": doc["display_name"],
        "active": doc.get("active", True),
        "groups": _group_refs(doc.get("groups", [])),
        "schemas": [SCHEMA_SP],
    }


def me(state: EmulatorState, caller: Principal) -> Resource:
    """The caller as a SCIM `User`; a service principal's `userName` is its application id."""
    doc = state.identities.get(caller.id)
    if doc is None:  # deleted while the request was in flight
        raise ScimError(404, f"User {caller.id} does not exist.")
    if doc["kind"] == "user":
        return user_resource(doc)
    return {
        "id": doc["id"],
        "userName": doc["name"],
        "displayName": doc["display_name"],
        "active": doc.get("active", True),
        "groups": _group_refs(doc.get("groups", [])),
        "schemas": [SCHEMA_USER],
    }


def project(resource: Resource, attributes: str | None, excluded: str | None) -> Resource:
    """SCIM `attributes` / `excludedAttributes` (top-level names; `id` and `schemas` always kept)."""
    out = dict(resource)
    if attributes:
        keep = {a.strip().split(".")[0].lower() for a in attributes.split(",") if a.strip()}
        keep |= {"id", "schemas"}
        out = {k: v for k, v in out.items() if k.lower() in keep}
    if excluded:
        drop = {a.strip().split(".")[0].lower() for a in excluded.split(",") if a.strip()}
        drop -= {"id", "schemas"}
        out = {k: v for k, v in out.items() if k.lower() not in drop}
    return out


# -- SCIM filters -----------------------------------------------------------------------------

_TOKEN = re.compile(
    r'\s*(?:(?P<lp>\()|(?P<rp>\))|(?P<str>"(?:[^"\\]|\\.)*")|(?P<word>[A-Za-z0-9_.:$\-]+))')
_OPS = {"eq", "ne", "co", "sw", "ew", "pr", "gt", "ge", "lt", "le"}


def _tokens(expr: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    expr = expr.rstrip()
    while pos < len(expr):
        m = _TOKEN.match(expr, pos)
        if m is None or m.end() == pos:
            raise ScimError(400, f"Invalid filter '{expr}': unexpected text at position {pos}.",
                            "invalidFilter")
        kind = m.lastgroup or ""
        out.append((kind, m.group(kind)))
        pos = m.end()
    return out


def _values(resource: Resource, path: str) -> list[Any]:
    """All values at an attribute path (case-insensitive names; multi-valued attributes flattened)."""
    current: list[Any] = [resource]
    for part in path.split("."):
        nxt: list[Any] = []
        for item in current:
            if isinstance(item, list):
                item_list = item
            else:
                item_list = [item]
            for it in item_list:
                if isinstance(it, dict):
                    for k, v in it.items():
                        if k.lower() == part.lower():
                            nxt.extend(v if isinstance(v, list) else [v])
        current = nxt
    # A multi-valued complex attribute compared directly means its `value` sub-attribute.
    flat: list[Any] = []
    for v in current:
        if isinstance(v, dict):
            if "value" in v:
                flat.append(v["value"])
        else:
            flat.append(v)
    return flat


def _compare(op: str, have: Any, want: Any) -> bool:
    if isinstance(have, bool) or isinstance(want, bool):
        return op in ("eq", "ne") and ((have == want) == (op == "eq"))
    a, b = str(have).lower(), str(want).lower()
    return {"eq": a == b, "ne": a != b, "co": b in a, "sw": a.startswith(b), "ew": a.endswith(b),
            "gt": a > b, "ge": a >= b, "lt": a < b, "le": a <= b}[op]


Predicate = Callable[[Resource], bool]


def parse_filter(expr: str) -> Predicate:
    """A predicate for a SCIM filter: `attr op "value"`, `pr`, `and`/`or`/`not`, parentheses."""
    toks = _tokens(expr)
    pos = 0

    def bad(why: str) -> ScimError:
        return ScimError(400, f"Invalid filter '{expr}': {why}.", "invalidFilter")

    def peek() -> tuple[str, str] | None:
        return toks[pos] if pos < len(toks) else None

    def take() -> tuple[str, str]:
        nonlocal pos
        if pos >= len(toks):
            raise bad("unexpected end of filter")
        pos += 1
        return toks[pos - 1]

    def parse_or() -> Predicate:
        left = parse_and()
        while (t := peek()) and t[0] == "word" and t[1].lower() == "or":
            take()
            right = parse_and()
            left = (lambda lf, rf: lambda r: lf(r) or rf(r))(left, right)
        return left

    def parse_and() -> Predicate:
        left = parse_unary()
        while (t := peek()) and t[0] == "word" and t[1].lower() == "and":
            take()
            right = parse_unary()
            left = (lambda lf, rf: lambda r: lf(r) and rf(r))(left, right)
        return left

    def parse_unary() -> Predicate:
        t = take()
        if t[0] == "word" and t[1].lower() == "not":
            inner = parse_unary()
            return lambda r: not inner(r)
        if t[0] == "lp":
            inner = parse_or()
            if take()[0] != "rp":
                raise bad("missing ')'")
            return inner
        if t[0] != "word":
            raise bad(f"expected an attribute name, got {t[1]}")
        attr = t[1]
        op_tok = take()
        op = op_tok[1].lower()
        if op_tok[0] != "word" or op not in _OPS:
            raise bad(f"unsupported operator '{op_tok[1]}' (use eq, ne, co, sw, ew, pr, gt, ge, lt, le)")
        if op == "pr":
            return lambda r: any(v not in (None, "", []) for v in _values(r, attr))
        val_tok = take()
        if val_tok[0] == "str":
            want: Any = re.sub(r"\\(.)", r"\1", val_tok[1][1:-1])
        elif val_tok[0] == "word" and val_tok[1].lower() in ("true", "false"):
            want = val_tok[1].lower() == "true"
        elif val_tok[0] == "word":
            want = val_tok[1]
        else:
            raise bad(f"expected a value after '{attr} {op}'")
        if op == "ne":
            return lambda r: not any(_compare("eq", v, want) for v in _values(r, attr))
        return lambda r: any(_compare(op, v, want) for v in _values(r, attr))

    predicate = parse_or()
    if pos != len(toks):
        raise bad(f"unexpected '{toks[pos][1]}'")
    return predicate


# -- listings ---------------------------------------------------------------------------------

def list_response(resources: list[Resource], *, filter: str | None, start_index: int | None,
                  count: int | None, sort_by: str | None, sort_order: str | None,
                  attributes: str | None, excluded: str | None) -> Resource:
    """Filter, sort, page and project a SCIM listing (`startIndex` is 1-based)."""
    if filter:
        predicate = parse_filter(filter)
        resources = [r for r in resources if predicate(r)]
    if sort_by:
        order = (sort_order or "ascending").lower()
        if order not in ("ascending", "descending"):
            raise ScimError(400, f"Invalid sortOrder '{sort_order}': use ascending or descending.",
                            "invalidValue")
        resources = sorted(resources, key=lambda r: str((_values(r, sort_by) or [""])[0]).lower(),
                           reverse=order == "descending")
    total = len(resources)
    start = max(1, start_index or 1)
    size = DEFAULT_PAGE if count is None else max(0, count)
    page = resources[start - 1:start - 1 + size]
    out: Resource = {"schemas": [SCHEMA_LIST], "totalResults": total, "startIndex": start,
                     "itemsPerPage": len(page)}
    if page:
        out["Resources"] = [project(r, attributes, excluded) for r in page]
    return out


def users(state: EmulatorState) -> list[Resource]:
    return [user_resource(p) for p in state.identities.all() if p["kind"] == "user"]


def service_principals(state: EmulatorState) -> list[Resource]:
    return [service_principal_resource(p) for p in state.identities.all()
            if p["kind"] == "service_principal"]


def groups(state: EmulatorState) -> list[Resource]:
    return [group_resource(state, g) for g in group_names(state)]


def get_user(state: EmulatorState, user_id: str) -> Resource:
    doc = state.identities.get(user_id)
    if doc is None or doc["kind"] != "user":
        raise ScimError(404, f"User {user_id} does not exist.")
    return user_resource(doc)


def get_service_principal(state: EmulatorState, sp_id: str) -> Resource:
    doc = state.identities.get(sp_id)
    if doc is None or doc["kind"] != "service_principal":
        raise ScimError(404, f"Service Principal {sp_id} does not exist.")
    return service_principal_resource(doc)


def get_group(state: EmulatorState, gid: str) -> Resource:
    for g in group_names(state):
        if group_id(g) == gid:
            return group_resource(state, g)
    raise ScimError(404, f"Group {gid} does not exist.")


# -- creation ---------------------------------------------------------------------------------

def _require_admin(caller: Principal, what: str) -> None:
    if not caller.admin:
        raise ScimError(403, f"Only workspace admins can {what}.")


def _group_names_from_refs(state: EmulatorState, refs: list[dict[str, Any]] | None) -> list[str]:
    names: list[str] = []
    for ref in refs or []:
        gid = str(ref.get("value", ""))
        match = next((g for g in group_names(state) if group_id(g) == gid), None)
        if match is None:
            raise ScimError(400, f"Group {gid} does not exist.", "invalidValue")
        if match not in names:
            names.append(match)
    return names


def create_user(state: EmulatorState, caller: Principal, user_name: str, display_name: str | None,
                active: bool | None, group_refs: list[dict[str, Any]] | None) -> Resource:
    _require_admin(caller, "add users")
    if not user_name or not user_name.strip():
        raise ScimError(400, "Missing required field: userName.", "invalidValue")
    with state.store.transaction():
        if state.identities.find("user", user_name) is not None:
            raise ScimError(409, f"User with username {user_name} already exists.", "uniqueness")
        extra = _group_names_from_refs(state, group_refs)
        doc = state.identities.add_user(user_name.strip(), display_name or "")
        doc["groups"] = [*doc["groups"], *(g for g in extra if g not in doc["groups"])]
        if active is False:
            doc["active"] = False
        state.store.put("principal", doc["id"], doc)
    return user_resource(doc)


def create_service_principal(state: EmulatorState, caller: Principal, display_name: str | None,
                             application_id: str | None, active: bool | None,
                             group_refs: list[dict[str, Any]] | None) -> Resource:
    _require_admin(caller, "add service principals")
    with state.store.transaction():
        if application_id and state.identities.find("service_principal", application_id):
            raise ScimError(409, f"Service principal with application ID {application_id} already exists.",
                            "uniqueness")
        extra = _group_names_from_refs(state, group_refs)
        doc = state.identities.add_service_principal(display_name or "", application_id)
        if not display_name:
            doc["display_name"] = doc["name"]
        doc["groups"] = [*doc["groups"], *(g for g in extra if g not in doc["groups"])]
        if active is False:
            doc["active"] = False
        state.store.put("principal", doc["id"], doc)
    return service_principal_resource(doc)


def delete_service_principal(state: EmulatorState, caller: Principal, sp_id: str) -> None:
    """Remove a service principal; its tokens stop resolving at once (they name a missing principal)."""
    _require_admin(caller, "delete service principals")
    with state.store.transaction():
        doc = state.identities.get(sp_id)
        if doc is None or doc["kind"] != "service_principal":
            raise ScimError(404, f"Service Principal {sp_id} does not exist.")
        state.store.delete("principal", sp_id)
