"""SCIM identities through the real SDK: current user, users, service principals, groups."""

from __future__ import annotations

import uuid

import httpx
import pytest
from databricks.sdk.errors import BadRequest, NotFound, PermissionDenied, ResourceConflict, Unauthenticated
from databricks.sdk.service import iam

from agent_lib.workspace import client_for

SCIM = "/api/2.0/preview/scim/v2"


def _client(emulator, user: str, scopes: list[str] | None = None):
    return client_for(emulator.host, emulator.token_for(user, scopes))


def _unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


# -- current user -----------------------------------------------------------------------------

def test_me_is_the_admin_with_admins_group(admin):
    me = admin.current_user.me()
    assert me.user_name == "admin@example.com"
    assert me.display_name == "Workspace Admin"
    assert me.active is True
    assert {g.display for g in me.groups} >= {"admins", "users"}
    assert me.emails[0].value == "admin@example.com" and me.emails[0].primary is True
    assert iam.UserSchema.URN_IETF_PARAMS_SCIM_SCHEMAS_CORE_2_0_USER in me.schemas


def test_me_for_alice_shows_her_demo_group_and_not_admins(emulator):
    me = _client(emulator, "alice@example.com").current_user.me()
    assert me.user_name == "alice@example.com"
    groups = {g.display for g in me.groups}
    assert "data-scientists" in groups and "admins" not in groups
    # The group reference resolves to the same group.
    ds = next(g for g in me.groups if g.display == "data-scientists")
    resp = httpx.get(f"{emulator.host}{SCIM}/Groups/{ds.value}",
                     headers={"Authorization": f"Bearer {emulator.token}"}, timeout=10)
    assert resp.json()["displayName"] == "data-scientists"


def test_me_attributes_projection(emulator):
    me = _client(emulator, "bob@example.com").current_user.me(attributes="userName")
    assert me.user_name == "bob@example.com"
    assert me.id  # always returned
    assert me.display_name is None and not me.groups and not me.emails


def test_me_for_a_service_principal_is_its_application_id(admin, emulator):
    sp = admin.service_principals.create(display_name=_unique("me-sp"))
    token = emulator.state.identities.issue(sp.id, kind="oauth", scopes=["all-apis"], ttl_seconds=600)
    me = client_for(emulator.host, token).current_user.me()
    assert me.user_name == sp.application_id
    assert me.display_name == sp.display_name
    assert me.id == sp.id


# -- users ------------------------------------------------------------------------------------

def test_users_list_and_filter(admin):
    names = [u.user_name for u in admin.users.list()]
    assert {"admin@example.com", "alice@example.com", "bob@example.com"} <= set(names)
    assert len(names) == len(set(names))
    only = list(admin.users.list(filter='userName eq "alice@example.com"'))
    assert [u.user_name for u in only] == ["alice@example.com"]
    # userName is case-insensitive in SCIM filters.
    assert [u.user_name for u in admin.users.list(filter='userName eq "ALICE@example.com"')] == [
        "alice@example.com"]
    assert list(admin.users.list(filter='userName eq "nobody@example.com"')) == []


def test_users_filter_operators(admin):
    co = {u.user_name for u in admin.users.list(filter='userName co "example.com" and displayName sw "B"')}
    assert co == {"bob@example.com"}
    either = {u.user_name for u in admin.users.list(
        filter='userName eq "alice@example.com" or userName eq "bob@example.com"')}
    assert either == {"alice@example.com", "bob@example.com"}
    by_email = list(admin.users.list(filter='emails.value eq "bob@example.com"'))
    assert [u.user_name for u in by_email] == ["bob@example.com"]


def test_users_pages_through_small_counts_without_duplicates(admin):
    everyone = [u.id for u in admin.users.list()]
    paged = [u.id for u in admin.users.list(count=1)]
    assert paged == everyone


def test_users_sorted_descending(admin):
    names = [u.user_name for u in admin.users.list(sort_by="userName",
                                                      sort_order=iam.ListSortOrder.DESCENDING)]
    assert names == sorted(names, reverse=True)


def test_bad_filter_is_400(admin):
    with pytest.raises(BadRequest) as err:
        list(admin.users.list(filter='userName equals "x"'))
    assert "equals" in str(err.value)


def test_get_user_by_id_and_missing_user(admin):
    alice = next(iter(admin.users.list(filter='userName eq "alice@example.com"')))
    got = admin.users.get(alice.id)
    assert got.user_name == "alice@example.com" and got.id == alice.id
    with pytest.raises(NotFound):
        admin.users.get("999999999")


def test_create_user_admin_only_and_conflict(admin, emulator):
    name = f"{_unique('carol')}@example.com"
    created = admin.users.create(user_name=name, display_name="Carol Danvers")
    assert created.user_name == name and created.id
    assert created.name.given_name == "Carol" and created.name.family_name == "Danvers"
    assert admin.users.get(created.id).display_name == "Carol Danvers"
    with pytest.raises(ResourceConflict):
        admin.users.create(user_name=name)
    with pytest.raises(PermissionDenied):
        _client(emulator, "alice@example.com").users.create(user_name=f"{_unique('x')}@example.com")


# -- service principals -----------------------------------------------------------------------

def test_service_principal_create_get_list_filter(admin):
    sp = admin.service_principals.create(display_name=_unique("ci-bot"))
    assert sp.id and sp.application_id and sp.active is True
    assert admin.service_principals.get(sp.id).application_id == sp.application_id
    found = list(admin.service_principals.list(filter=f'applicationId eq "{sp.application_id}"'))
    assert [s.id for s in found] == [sp.id]
    assert sp.id in {s.id for s in admin.service_principals.list()}
    # Users are not service principals and the other way round.
    with pytest.raises(NotFound):
        admin.service_principals.get(next(iter(admin.users.list())).id)
    with pytest.raises(NotFound):
        admin.users.get(sp.id)


def test_service_principal_with_given_application_id_and_conflict(admin):
    app_id = str(uuid.uuid4())
    sp = admin.service_principals.create(display_name="azure-style", application_id=app_id)
    assert sp.application_id == app_id
    with pytest.raises(ResourceConflict):
        admin.service_principals.create(display_name="again", application_id=app_id)


def test_only_admins_create_service_principals(emulator):
    with pytest.raises(PermissionDenied):
        _client(emulator, "bob@example.com").service_principals.create(display_name="nope")


def test_deleted_service_principal_tokens_stop_working(admin, emulator):
    sp = admin.service_principals.create(display_name=_unique("short-lived"))
    token = emulator.state.identities.issue(sp.id)
    w = client_for(emulator.host, token)
    assert w.current_user.me().user_name == sp.application_id
    admin.service_principals.delete(sp.id)
    with pytest.raises(Unauthenticated):
        w.current_user.me()
    with pytest.raises(NotFound):
        admin.service_principals.get(sp.id)


def test_service_principal_joins_an_existing_group(admin):
    ds = next(iter(admin.groups.list(filter='displayName eq "data-scientists"')))
    sp = admin.service_principals.create(display_name=_unique("ds-bot"),
                                         groups=[iam.ComplexValue(value=ds.id)])
    assert "data-scientists" in {g.display for g in sp.groups}
    with pytest.raises(BadRequest):
        admin.service_principals.create(display_name="x", groups=[iam.ComplexValue(value="123")])


# -- groups -----------------------------------------------------------------------------------

def test_groups_list_and_members(admin):
    names = {g.display_name for g in admin.groups.list()}
    assert {"admins", "users", "data-scientists"} <= names
    ds = next(iter(admin.groups.list(filter='displayName eq "data-scientists"')))
    assert "Alice" in {m.display for m in admin.groups.get(ds.id).members}
    with pytest.raises(NotFound):
        admin.groups.get("42")
