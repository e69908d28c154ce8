"""Workspace object permissions through the SDK's generic and typed permission calls."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import httpx
import pytest
from databricks.sdk.errors import BadRequest, NotFound, PermissionDenied
from databricks.sdk.service import apps, iam, jobs, knowledgeassistants, ml, serving

from agent_lib.emulator.permissions import models as permissions
from agent_lib.workspace import client_for

TYPES = ("genie", "serving-endpoints", "apps", "experiments", "knowledge-assistants", "jobs")
ALICE, BOB = "alice@example.com", "bob@example.com"


@dataclass
class Objects:
    """Stub objects of every type, for services that may not be built yet."""

    emulator: object
    known: set[tuple[str, str]] = field(default_factory=set)

    def create(self, object_type: str, owner: str | None = None) -> str:
        object_id = uuid.uuid4().hex[:12] if object_type != "jobs" else str(uuid.uuid4().int % 10**12)
        self.known.add((object_type, object_id))
        state = self.emulator.state
        owner_principal = state.identities.resolve(self.emulator.token_for(owner)) if owner else None
        state.acls.create(object_type, object_id, owner_principal)
        return object_id


@pytest.fixture
def objects(emulator) -> Iterator[Objects]:
    """Register a stub `exists` for each type over this test's objects; restore what was there."""
    objs = Objects(emulator)
    previous = {t: permissions.registered(t) for t in TYPES}
    for t in TYPES:
        def exists(state, object_id, _t=t):
            return (_t, object_id) in objs.known
        permissions.register_object_type(t, exists)
    yield objs
    for t, fn in previous.items():
        if fn is None:
            permissions.unregister_object_type(t)
        else:
            permissions.register_object_type(t, fn)


def _client(emulator, user: str, scopes: list[str] | None = None):
    return client_for(emulator.host, emulator.token_for(user, scopes))


def _principal(emulator, user: str):
    return emulator.state.identities.resolve(emulator.token_for(user))


def _direct(perms, who: str) -> list[str]:
    """Direct (not inherited) levels of a user / SP / group in an SDK permissions object."""
    out = []
    for entry in perms.access_control_list or []:
        if who in (entry.user_name, entry.group_name, entry.service_principal_name):
            out += [p.permission_level.value for p in entry.all_permissions if not p.inherited]
    return out


# -- round trip per type through the typed SDK calls -----------------------------------------

def _typed(w, object_type: str) -> tuple[Callable, Callable, Callable, Callable, type]:
    """(get, update, set, levels, request class) of the SDK's typed API for a type."""
    if object_type == "serving-endpoints":
        s = w.serving_endpoints
        return (s.get_permissions, lambda i, acl: s.update_permissions(i, access_control_list=acl),
                lambda i, acl: s.set_permissions(i, access_control_list=acl), s.get_permission_levels,
                serving.ServingEndpointAccessControlRequest)
    if object_type == "apps":
        s = w.apps
        return (s.get_permissions, lambda i, acl: s.update_permissions(i, access_control_list=acl),
                lambda i, acl: s.set_permissions(i, access_control_list=acl), s.get_permission_levels,
                apps.AppAccessControlRequest)
    if object_type == "experiments":
        s = w.experiments
        return (s.get_permissions, lambda i, acl: s.update_permissions(i, access_control_list=acl),
                lambda i, acl: s.set_permissions(i, access_control_list=acl), s.get_permission_levels,
                ml.ExperimentAccessControlRequest)
    if object_type == "jobs":
        s = w.jobs
        return (s.get_permissions, lambda i, acl: s.update_permissions(i, access_control_list=acl),
                lambda i, acl: s.set_permissions(i, access_control_list=acl), s.get_permission_levels,
                jobs.JobAccessControlRequest)
    if object_type == "knowledge-assistants":
        s = w.knowledge_assistants
        return (s.get_permissions, lambda i, acl: s.update_permissions(i, access_control_list=acl),
                lambda i, acl: s.set_permissions(i, access_control_list=acl), s.get_permission_levels,
                knowledgeassistants.KnowledgeAssistantAccessControlRequest)
    p = w.permissions  # genie has no typed API: the generic one
    return (lambda i: p.get("genie", i), lambda i, acl: p.update("genie", i, access_control_list=acl),
            lambda i, acl: p.set("genie", i, access_control_list=acl),
            lambda i: p.get_permission_levels("genie", i), iam.AccessControlRequest)


# The level a tool user needs, and the enum the typed request takes.
_USE_LEVEL = {"genie": iam.PermissionLevel.CAN_RUN,
              "serving-endpoints": serving.ServingEndpointPermissionLevel.CAN_QUERY,
              "apps": apps.AppPermissionLevel.CAN_USE,
              "experiments": ml.ExperimentPermissionLevel.CAN_EDIT,
              "knowledge-assistants": knowledgeassistants.KnowledgeAssistantPermissionLevel.CAN_QUERY,
              "jobs": jobs.JobPermissionLevel.CAN_MANAGE_RUN}
_RESPONSE_TYPE = {"genie": "genie", "serving-endpoints": "serving-endpoint", "apps": "apps",
                  "experiments": "mlflowExperiment", "knowledge-assistants": "knowledge-assistant",
                  "jobs": "job"}


@pytest.mark.parametrize("object_type", TYPES)
def test_typed_round_trip(admin, emulator, objects, object_type):
    object_id = objects.create(object_type, owner="admin@example.com")
    get, update, set_, levels, req = _typed(admin, object_type)
    level = _USE_LEVEL[object_type]

    assert not emulator.state.acls.allows(_principal(emulator, ALICE), object_type, object_id, level.value)
    after = update(object_id, [req(user_name=ALICE, permission_level=level)])
    assert after.object_id == f"/{object_type}/{object_id}"
    assert after.object_type == _RESPONSE_TYPE[object_type]
    assert _direct(after, ALICE) == [level.value]
    alice_entry = next(e for e in after.access_control_list if e.user_name == ALICE)
    assert alice_entry.display_name == "Alice"
    owner_level = "IS_OWNER" if object_type == "jobs" else "CAN_MANAGE"
    assert _direct(after, "admin@example.com") == [owner_level]
    admins = next(e for e in after.access_control_list if e.group_name == "admins")
    assert admins.all_permissions[0].inherited is True

    # What GET returns matches, and the grant takes effect for access checks.
    assert _direct(get(object_id), ALICE) == [level.value]
    assert emulator.state.acls.allows(_principal(emulator, ALICE), object_type, object_id, level.value)

    # set (PUT) replaces the direct permissions: alice is gone, bob is there, the owner stays.
    replaced = set_(object_id, [req(user_name=BOB, permission_level=level)])
    assert _direct(replaced, ALICE) == [] and _direct(replaced, BOB) == [level.value]
    assert _direct(replaced, "admin@example.com") == [owner_level]

    names = [d.permission_level.value for d in levels(object_id).permission_levels]
    assert level.value in names and "CAN_MANAGE" in names


def test_generic_api_reaches_the_same_acl(admin, objects):
    endpoint_id = objects.create("serving-endpoints")
    admin.permissions.update("serving-endpoints", endpoint_id, access_control_list=[
        iam.AccessControlRequest(group_name="data-scientists",
                                 permission_level=iam.PermissionLevel.CAN_QUERY)])
    typed = admin.serving_endpoints.get_permissions(endpoint_id)
    assert _direct(typed, "data-scientists") == ["CAN_QUERY"]


def test_group_grant_reaches_its_members(admin, emulator, objects):
    space = objects.create("genie")
    admin.permissions.update("genie", space, access_control_list=[
        iam.AccessControlRequest(group_name="data-scientists", permission_level=iam.PermissionLevel.CAN_RUN)])
    assert emulator.state.acls.allows(_principal(emulator, ALICE), "genie", space, "CAN_RUN")
    assert not emulator.state.acls.allows(_principal(emulator, BOB), "genie", space, "CAN_RUN")


def test_service_principal_grant(admin, emulator, objects):
    sp = admin.service_principals.create(display_name=f"bot-{uuid.uuid4().hex[:6]}")
    app = objects.create("apps")
    after = admin.apps.update_permissions(app, access_control_list=[apps.AppAccessControlRequest(
        service_principal_name=sp.application_id, permission_level=apps.AppPermissionLevel.CAN_USE)])
    entry = next(e for e in after.access_control_list if e.service_principal_name == sp.application_id)
    assert entry.display_name == sp.display_name
    token = emulator.state.identities.issue(sp.id)
    assert emulator.state.acls.allows(emulator.state.identities.resolve(token), "apps", app, "CAN_USE")


# -- PATCH vs PUT -----------------------------------------------------------------------------

def test_patch_adds_and_updates_put_replaces(admin, objects):
    ep = objects.create("serving-endpoints", owner=ALICE)
    req, lvl = iam.AccessControlRequest, iam.PermissionLevel
    p = admin.permissions
    p.update("serving-endpoints", ep, access_control_list=[req(user_name=BOB, permission_level=lvl.CAN_VIEW)])
    both = p.update("serving-endpoints", ep, access_control_list=[
        req(group_name="data-scientists", permission_level=lvl.CAN_QUERY)])
    assert _direct(both, BOB) == ["CAN_VIEW"] and _direct(both, "data-scientists") == ["CAN_QUERY"]
    # PATCH of a principal already present sets its level (one direct level per principal).
    upgraded = p.update("serving-endpoints", ep, access_control_list=[
        req(user_name=BOB, permission_level=lvl.CAN_QUERY)])
    assert _direct(upgraded, BOB) == ["CAN_QUERY"]
    # PUT with an empty list clears the direct permissions but keeps the owner.
    cleared = p.set("serving-endpoints", ep, access_control_list=[])
    assert _direct(cleared, BOB) == [] and _direct(cleared, "data-scientists") == []
    assert _direct(cleared, ALICE) == ["CAN_MANAGE"]
    users = [e for e in cleared.access_control_list if not e.group_name]
    assert [e.user_name for e in users] == [ALICE]


def test_same_principal_twice_in_one_request_keeps_the_higher(admin, objects):
    ep = objects.create("serving-endpoints")
    req, lvl = iam.AccessControlRequest, iam.PermissionLevel
    out = admin.permissions.update("serving-endpoints", ep, access_control_list=[
        req(user_name=BOB, permission_level=lvl.CAN_QUERY),
        req(user_name=BOB, permission_level=lvl.CAN_VIEW)])
    assert _direct(out, BOB) == ["CAN_QUERY"]


def test_job_ownership_transfer(admin, objects):
    job = objects.create("jobs", owner=ALICE)
    out = admin.jobs.update_permissions(job, access_control_list=[
        jobs.JobAccessControlRequest(user_name=BOB, permission_level=jobs.JobPermissionLevel.IS_OWNER)])
    assert _direct(out, BOB) == ["IS_OWNER"] and _direct(out, ALICE) == []
    with pytest.raises(BadRequest, match="group"):
        admin.jobs.update_permissions(job, access_control_list=[jobs.JobAccessControlRequest(
            group_name="data-scientists", permission_level=jobs.JobPermissionLevel.IS_OWNER)])


# -- errors -----------------------------------------------------------------------------------

def test_bad_level_names_it_and_lists_valid_ones(admin, objects):
    ep = objects.create("serving-endpoints")
    with pytest.raises(BadRequest) as err:
        admin.permissions.update("serving-endpoints", ep, access_control_list=[
            iam.AccessControlRequest(user_name=ALICE, permission_level=iam.PermissionLevel.CAN_RUN)])
    assert err.value.error_code == "INVALID_PARAMETER_VALUE"
    msg = str(err.value)
    assert "CAN_RUN" in msg and all(lvl in msg for lvl in ("CAN_VIEW", "CAN_QUERY", "CAN_MANAGE"))


@pytest.mark.parametrize("entry,expected", [
    ({"user_name": "ghost@example.com"}, "Principal: UserName(ghost@example.com) does not exist"),
    ({"group_name": "no-such-group"}, "Principal: GroupName(no-such-group) does not exist"),
    ({"service_principal_name": "00000000-0000-0000-0000-000000000000"},
     "Principal: ServicePrincipalName(00000000-0000-0000-0000-000000000000) does not exist"),
])
def test_unknown_principal(admin, objects, entry, expected):
    app = objects.create("apps")
    with pytest.raises(NotFound) as err:
        admin.permissions.update("apps", app, access_control_list=[
            iam.AccessControlRequest(permission_level=iam.PermissionLevel.CAN_USE, **entry)])
    assert expected in str(err.value)


def test_entry_must_name_exactly_one_principal(emulator, objects):
    app = objects.create("apps")
    url = f"{emulator.host}/api/2.0/permissions/apps/{app}"
    headers = {"Authorization": f"Bearer {emulator.token}"}
    for entry in ({"permission_level": "CAN_USE"},
                  {"user_name": ALICE, "group_name": "users", "permission_level": "CAN_USE"}):
        resp = httpx.patch(url, json={"access_control_list": [entry]}, headers=headers, timeout=10)
        assert resp.status_code == 400 and resp.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    resp = httpx.patch(url, json={"access_control_list": [{"user_name": ALICE}]}, headers=headers, timeout=10)
    assert resp.status_code == 400 and "permission_level" in resp.json()["message"]
    resp = httpx.patch(url, json={"access_control_list": [{"user_name": ALICE, "permission_level": "CAN_USE",
                                                           "role": "x"}]}, headers=headers, timeout=10)
    assert resp.status_code == 400 and "role" in resp.json()["message"]


def test_admins_group_cannot_be_changed(admin, objects):
    ep = objects.create("serving-endpoints")
    with pytest.raises(BadRequest, match="admins"):
        admin.permissions.update("serving-endpoints", ep, access_control_list=[
            iam.AccessControlRequest(group_name="admins", permission_level=iam.PermissionLevel.CAN_VIEW)])


def test_missing_object_and_unregistered_type_are_404(admin, objects):
    with pytest.raises(NotFound, match="does not exist"):
        admin.apps.get_permissions("no-such-app")
    ka = objects.create("knowledge-assistants")
    saved = permissions.unregister_object_type("knowledge-assistants")
    try:
        with pytest.raises(NotFound, match="does not exist"):
            admin.knowledge_assistants.get_permissions(ka)
    finally:
        permissions.register_object_type("knowledge-assistants", saved)
    assert admin.knowledge_assistants.get_permissions(ka).object_id == f"/knowledge-assistants/{ka}"


def test_unsupported_type_is_400(admin):
    with pytest.raises(BadRequest, match="request_object_type"):
        admin.permissions.get("clusters", "0123-456789-abc")


def test_serving_endpoint_permissions_take_the_id_not_the_name(admin, objects):
    endpoint_id = objects.create("serving-endpoints")  # the stub knows only the id
    assert admin.serving_endpoints.get_permissions(endpoint_id)
    with pytest.raises(NotFound, match="does not exist.*endpoint id"):
        admin.serving_endpoints.get_permissions("my-endpoint-name")


# -- who may read and change ------------------------------------------------------------------

def test_non_admin_without_manage_gets_403(emulator, objects):
    app = objects.create("apps", owner="admin@example.com")
    bob = _client(emulator, BOB)
    req = apps.AppAccessControlRequest(user_name=BOB, permission_level=apps.AppPermissionLevel.CAN_MANAGE)
    with pytest.raises(PermissionDenied):
        bob.apps.get_permissions(app)  # no level at all: cannot even read
    with pytest.raises(PermissionDenied):
        bob.apps.update_permissions(app, access_control_list=[req])
    emulator.client().apps.update_permissions(app, access_control_list=[
        apps.AppAccessControlRequest(user_name=BOB, permission_level=apps.AppPermissionLevel.CAN_USE)])
    assert _direct(bob.apps.get_permissions(app), BOB) == ["CAN_USE"]  # CAN_USE may read
    with pytest.raises(PermissionDenied):
        bob.apps.set_permissions(app, access_control_list=[req])  # but not change
    assert not emulator.state.acls.allows(_principal(emulator, BOB), "apps", app, "CAN_MANAGE")


def test_owner_and_manage_holders_may_change(emulator, objects):
    ep = objects.create("serving-endpoints", owner=ALICE)
    alice, bob = _client(emulator, ALICE), _client(emulator, BOB)
    req, lvl = serving.ServingEndpointAccessControlRequest, serving.ServingEndpointPermissionLevel
    alice.serving_endpoints.update_permissions(ep, access_control_list=[
        req(user_name=BOB, permission_level=lvl.CAN_MANAGE)])
    out = bob.serving_endpoints.update_permissions(ep, access_control_list=[
        req(group_name="users", permission_level=lvl.CAN_QUERY)])
    assert _direct(out, "users") == ["CAN_QUERY"]


def test_narrowed_tokens(emulator, objects):
    ep = objects.create("serving-endpoints", owner=ALICE)
    reader = _client(emulator, ALICE, ["iam.access-control:read"])
    assert _direct(reader.serving_endpoints.get_permissions(ep), ALICE) == ["CAN_MANAGE"]
    with pytest.raises(PermissionDenied, match="scopes"):
        reader.serving_endpoints.update_permissions(ep, access_control_list=[])
    with pytest.raises(PermissionDenied, match="scopes"):
        _client(emulator, ALICE, ["ai-gateway"]).serving_endpoints.get_permissions(ep)


# -- concurrency ------------------------------------------------------------------------------

def test_concurrent_updates_leave_a_consistent_acl(admin, emulator, objects):
    space = objects.create("genie", owner="admin@example.com")
    users = [admin.users.create(user_name=f"worker-{uuid.uuid4().hex[:8]}@example.com").user_name
             for _ in range(16)]
    errors: list[BaseException] = []
    barrier = threading.Barrier(16)

    def work(user: str) -> None:
        try:
            w = emulator.client()
            barrier.wait(timeout=10)
            for level in (iam.PermissionLevel.CAN_VIEW, iam.PermissionLevel.CAN_RUN):
                w.permissions.update("genie", space, access_control_list=[
                    iam.AccessControlRequest(user_name=user, permission_level=level)])
                w.permissions.get("genie", space)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(u,)) for u in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    final = admin.permissions.get("genie", space)
    named = [e.user_name for e in final.access_control_list if e.user_name]
    assert sorted(named) == sorted([*users, "admin@example.com"])  # each exactly once
    for user in users:
        assert _direct(final, user) == ["CAN_RUN"]
