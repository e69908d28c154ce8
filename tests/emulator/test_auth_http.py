"""Authentication and scopes at the HTTP edge: Databricks' 401 envelope, and narrowed OAuth tokens."""

from __future__ import annotations

import httpx
import pytest
from databricks.sdk.errors import PermissionDenied, Unauthenticated

from agent_lib.workspace import client_for

ME = "/api/2.0/preview/scim/v2/Me"


def _get(emulator, path: str, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.get(emulator.host + path, headers=headers or {}, timeout=10)


def _assert_401(resp: httpx.Response) -> None:
    assert resp.status_code == 401
    body = resp.json()
    assert body["error_code"] == "UNAUTHENTICATED"
    assert body["message"]


@pytest.mark.parametrize("headers", [
    {},
    {"Authorization": ""},
    {"Authorization": "Bearer"},
    {"Authorization": "dapi0123456789"},
    {"Authorization": "Basic YWRtaW46cGFzcw=="},
    {"Authorization": "Token dapi123"},
], ids=["none", "empty", "bearer-no-token", "no-scheme", "basic", "other-scheme"])
def test_missing_or_malformed_header_is_401_envelope(emulator, headers):
    _assert_401(_get(emulator, ME, headers))


def test_unknown_token_is_401(emulator):
    _assert_401(_get(emulator, ME, {"Authorization": "Bearer dapi" + "0" * 40}))


def test_expired_token_is_401(emulator):
    alice = emulator.state.identities.find("user", "alice@example.com")
    expired = emulator.state.identities.issue(alice["id"], ttl_seconds=-1)
    live = emulator.state.identities.issue(alice["id"], ttl_seconds=600)
    _assert_401(_get(emulator, ME, {"Authorization": f"Bearer {expired}"}))
    assert _get(emulator, ME, {"Authorization": f"Bearer {live}"}).status_code == 200


def test_revoked_token_is_401(emulator):
    token = emulator.token_for("bob@example.com")
    assert _get(emulator, ME, {"Authorization": f"Bearer {token}"}).status_code == 200
    emulator.state.identities.revoke(token)
    _assert_401(_get(emulator, ME, {"Authorization": f"Bearer {token}"}))


def test_scheme_is_case_insensitive(emulator):
    assert _get(emulator, ME, {"Authorization": f"bearer {emulator.token}"}).status_code == 200


def test_sdk_raises_unauthenticated_for_unknown_token(emulator):
    w = client_for(emulator.host, "dapi-not-a-real-token")
    with pytest.raises(Unauthenticated) as err:
        w.current_user.me()
    assert "Invalid access token" in str(err.value)


def test_sdk_raises_unauthenticated_for_expired_token(emulator):
    bob = emulator.state.identities.find("user", "bob@example.com")
    expired = emulator.state.identities.issue(bob["id"], ttl_seconds=-5, kind="oauth",
                                              scopes=["all-apis"])
    with pytest.raises(Unauthenticated):
        client_for(emulator.host, expired).current_user.me()


def test_401_on_other_services_routes_too(emulator):
    for path in ("/api/2.0/preview/scim/v2/Users", "/api/2.0/permissions/apps/x"):
        _assert_401(_get(emulator, path))


# -- scopes on narrowed tokens ----------------------------------------------------------------

def test_me_refused_to_a_token_without_the_current_user_scope(emulator):
    token = emulator.token_for("alice@example.com", ["ai-gateway"])
    resp = _get(emulator, ME, {"Authorization": f"Bearer {token}"})
    assert resp.status_code == 403
    body = resp.json()
    assert body["error_code"] == "PERMISSION_DENIED"
    assert "iam.current-user:read" in body["message"] and "ai-gateway" in body["message"]
    with pytest.raises(PermissionDenied):
        client_for(emulator.host, token).current_user.me()


@pytest.mark.parametrize("scopes", [["iam.current-user:read"], ["all-apis"],
                                    ["sql", "iam.current-user:read"], None])
def test_me_allowed_with_the_scope_all_apis_or_a_pat(emulator, scopes):
    token = emulator.token_for("alice@example.com", scopes)
    resp = _get(emulator, ME, {"Authorization": f"Bearer {token}"})
    assert resp.status_code == 200
    assert resp.json()["userName"] == "alice@example.com"


def test_narrow_token_cannot_list_users(emulator):
    token = emulator.token_for("alice@example.com", ["iam.current-user:read"])
    resp = _get(emulator, "/api/2.0/preview/scim/v2/Users", {"Authorization": f"Bearer {token}"})
    assert resp.status_code == 403
    assert resp.json()["error_code"] == "PERMISSION_DENIED"


def test_oauth_discovery_needs_no_token(emulator):
    resp = _get(emulator, "/oidc/.well-known/oauth-authorization-server")
    assert resp.status_code == 200
    assert resp.json()["token_endpoint"] == f"{emulator.host}/oidc/v1/token"
