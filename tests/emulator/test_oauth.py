"""OAuth against the emulated workspace: the SDK's oauth-m2m flow, client errors, token exchange."""

from __future__ import annotations

import base64
import os
import uuid

import httpx
import pytest
from databricks.sdk import WorkspaceClient, oauth
from databricks.sdk.config import Config
from databricks.sdk.errors import PermissionDenied

from agent_lib.emulator.oauth.models import issue_app_credentials
from agent_lib.workspace import client_for

TOKEN_PATH = "/oidc/v1/token"
EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
PAT_TYPE = "urn:databricks:params:oauth:token-type:personal-access-token"


@pytest.fixture(autouse=True)
def _no_databricks_env(monkeypatch):
    """Nothing from the test process's environment may configure the clients built here."""
    for name in list(os.environ):
        if name.startswith(("DATABRICKS_", "ARM_", "AZURE_", "GOOGLE_")):
            monkeypatch.delenv(name, raising=False)


@pytest.fixture
def app_sp(emulator):
    """A fresh service principal (as an App gets) and its OAuth credentials."""
    doc = emulator.state.identities.add_service_principal(f"app-{uuid.uuid4().hex[:8]}")
    client_id, secret = issue_app_credentials(emulator.state, doc["id"])
    return doc, client_id, secret


def _m2m(emulator, client_id: str, secret: str, **extra) -> WorkspaceClient:
    return WorkspaceClient(config=Config(host=emulator.host, client_id=client_id, client_secret=secret,
                                         auth_type="oauth-m2m", retry_timeout_seconds=5, **extra))


def _post(emulator, data: dict[str, str], auth: tuple[str, str] | None = None) -> httpx.Response:
    return httpx.post(emulator.host + TOKEN_PATH, data=data, auth=auth, timeout=10)


def test_discovery_document(emulator):
    doc = httpx.get(f"{emulator.host}/oidc/.well-known/oauth-authorization-server", timeout=10).json()
    assert doc["issuer"] == f"{emulator.host}/oidc"
    assert doc["token_endpoint"] == f"{emulator.host}/oidc/v1/token"
    assert doc["authorization_endpoint"] == f"{emulator.host}/oidc/v1/authorize"
    assert httpx.get(doc["jwks_uri"], timeout=10).json() == {"keys": []}


def test_oauth_m2m_end_to_end_with_the_sdk(emulator, app_sp):
    doc, client_id, secret = app_sp
    assert client_id == doc["name"]
    w = _m2m(emulator, client_id, secret)
    assert w.config.auth_type == "oauth-m2m"
    me = w.current_user.me()
    assert me.user_name == client_id and me.id == doc["id"]
    token = w.config.oauth_token()
    assert token.token_type == "Bearer" and token.access_token
    # The token is a real workspace token: a plain client can use it.
    assert client_for(emulator.host, token.access_token).current_user.me().user_name == client_id
    principal = emulator.state.identities.resolve(token.access_token)
    assert principal.token_kind == "oauth" and principal.scopes == ("all-apis",)


def test_default_auth_chain_picks_oauth_m2m(emulator, app_sp):
    """No auth_type: the SDK's default chain finds client id + secret, as in a deployed App."""
    _, client_id, secret = app_sp
    w = WorkspaceClient(config=Config(host=emulator.host, client_id=client_id, client_secret=secret,
                                      retry_timeout_seconds=5))
    assert w.config.auth_type == "oauth-m2m"
    assert w.current_user.me().user_name == client_id


def test_app_environment_variables(emulator, app_sp, monkeypatch):
    """What an App process sees: DATABRICKS_HOST / CLIENT_ID / CLIENT_SECRET and a bare client."""
    _, client_id, secret = app_sp
    monkeypatch.setenv("DATABRICKS_HOST", emulator.host)
    monkeypatch.setenv("DATABRICKS_CLIENT_ID", client_id)
    monkeypatch.setenv("DATABRICKS_CLIENT_SECRET", secret)
    w = WorkspaceClient()
    assert w.config.auth_type == "oauth-m2m"
    assert w.current_user.me().user_name == client_id
    assert w.config.oauth_token().access_token


def test_m2m_with_narrowed_scopes(emulator, app_sp):
    _, client_id, secret = app_sp
    w = _m2m(emulator, client_id, secret, scopes=["iam.current-user:read"])
    assert w.current_user.me().user_name == client_id
    with pytest.raises(PermissionDenied):
        next(iter(w.users.list()))


def test_wrong_secret_fails_with_invalid_client(emulator, app_sp):
    _, client_id, _ = app_sp
    w = _m2m(emulator, client_id, "dose" + "0" * 32)
    with pytest.raises(ValueError, match="invalid_client"):
        w.current_user.me()


def test_unknown_client_id_raw_answer(emulator, app_sp):
    _, _, secret = app_sp
    resp = _post(emulator, {"grant_type": "client_credentials", "scope": "all-apis"},
                 auth=(str(uuid.uuid4()), secret))
    assert resp.status_code == 401
    assert resp.headers["content-type"].startswith("application/json")
    body = resp.json()
    assert body["error"] == "invalid_client" and body["error_description"]
    assert secret not in resp.text


def test_no_client_credentials_is_invalid_client(emulator):
    resp = _post(emulator, {"grant_type": "client_credentials"})
    assert resp.status_code == 401 and resp.json()["error"] == "invalid_client"


def test_client_secret_post_and_scope_echo(emulator, app_sp):
    _, client_id, secret = app_sp
    resp = _post(emulator, {"grant_type": "client_credentials", "client_id": client_id,
                            "client_secret": secret, "scope": "sql iam.current-user:read offline_access"})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    assert body["scope"] == "sql iam.current-user:read"
    assert resp.headers["cache-control"] == "no-store"


def test_every_issued_secret_stays_valid(emulator, app_sp):
    doc, client_id, first = app_sp
    again, second = issue_app_credentials(emulator.state, doc["id"])
    assert again == client_id and second != first
    for secret in (first, second):
        resp = _post(emulator, {"grant_type": "client_credentials"}, auth=(client_id, secret))
        assert resp.status_code == 200


def test_secrets_are_not_stored_in_clear(emulator, app_sp):
    _, _, secret = app_sp
    for kind in ("oauth_secret", "principal"):
        for stored in emulator.state.store.list(kind):
            assert secret not in repr(stored)


def test_issue_app_credentials_refuses_users(emulator):
    alice = emulator.state.identities.find("user", "alice@example.com")
    with pytest.raises(KeyError):
        issue_app_credentials(emulator.state, alice["id"])
    with pytest.raises(KeyError):
        issue_app_credentials(emulator.state, "does-not-exist")


def test_core_minted_secret_is_accepted(emulator):
    doc = emulator.state.identities.add_service_principal("core-secret")
    secret = emulator.state.identities.set_client_secret(doc["id"])
    resp = _post(emulator, {"grant_type": "client_credentials"}, auth=(doc["name"], secret))
    assert resp.status_code == 200


def test_inactive_service_principal_gets_no_token(emulator, app_sp):
    doc, client_id, secret = app_sp
    doc = emulator.state.identities.get(doc["id"])
    emulator.state.store.put("principal", doc["id"], {**doc, "active": False})
    resp = _post(emulator, {"grant_type": "client_credentials"}, auth=(client_id, secret))
    assert resp.status_code == 401 and resp.json()["error"] == "invalid_client"


@pytest.mark.parametrize("data,error", [
    ({"grant_type": "password", "username": "a", "password": "b"}, "unsupported_grant_type"),
    ({"grant_type": "authorization_code", "code": "x"}, "unsupported_grant_type"),
    ({}, "invalid_request"),
])
def test_bad_grants_are_400(emulator, data, error):
    resp = _post(emulator, data)
    assert resp.status_code == 400
    assert resp.json()["error"] == error


def test_malformed_basic_header_is_invalid_client(emulator):
    resp = httpx.post(emulator.host + TOKEN_PATH, data={"grant_type": "client_credentials"},
                      headers={"Authorization": "Basic " + base64.b64encode(b"no-colon").decode()},
                      timeout=10)
    assert resp.status_code == 401 and resp.json()["error"] == "invalid_client"


def test_json_body_is_rejected(emulator):
    resp = httpx.post(emulator.host + TOKEN_PATH, json={"grant_type": "client_credentials"}, timeout=10)
    assert resp.status_code == 400 and resp.json()["error"] == "invalid_request"


# -- token exchange ---------------------------------------------------------------------------

def test_pat_exchange_with_the_sdk_token_source(emulator):
    pat = emulator.token_for("alice@example.com")
    source = oauth.PATOAuthTokenExchange(get_original_token=lambda: pat, host=emulator.host,
                                         scopes="iam.current-user:read sql")
    token = source.token()
    assert token.token_type == "Bearer"
    principal = emulator.state.identities.resolve(token.access_token)
    assert principal.name == "alice@example.com"
    assert principal.scopes == ("iam.current-user:read", "sql") and principal.token_kind == "oauth"
    w = client_for(emulator.host, token.access_token)
    assert w.current_user.me().user_name == "alice@example.com"
    with pytest.raises(PermissionDenied):  # narrowed: no all-apis
        next(iter(w.users.list()))


def test_exchange_never_widens_scopes(emulator):
    narrow = emulator.token_for("bob@example.com", ["sql", "iam.current-user:read"])
    ok = _post(emulator, {"grant_type": EXCHANGE, "subject_token": narrow, "subject_token_type": PAT_TYPE,
                          "scope": "sql"})
    assert ok.status_code == 200 and ok.json()["scope"] == "sql"
    assert emulator.state.identities.resolve(ok.json()["access_token"]).scopes == ("sql",)
    for wider in ("sql genie", "all-apis", ""):  # "" means all-apis
        resp = _post(emulator, {"grant_type": EXCHANGE, "subject_token": narrow,
                                "subject_token_type": PAT_TYPE, "scope": wider})
        assert resp.status_code == 400, wider
        assert resp.json()["error"] == "invalid_scope"


def test_exchange_of_an_invalid_subject_token(emulator):
    resp = _post(emulator, {"grant_type": EXCHANGE, "subject_token": "dapi-bogus", "scope": "all-apis"})
    assert resp.status_code == 400 and resp.json()["error"] == "invalid_request"
    resp = _post(emulator, {"grant_type": EXCHANGE, "scope": "all-apis"})
    assert resp.status_code == 400 and "subject_token" in resp.json()["error_description"]
    resp = _post(emulator, {"grant_type": EXCHANGE, "subject_token": emulator.token,
                            "subject_token_type": "urn:ietf:params:oauth:token-type:jwt"})
    assert resp.status_code == 400 and resp.json()["error"] == "invalid_request"


def test_exchange_of_an_m2m_token_keeps_the_service_principal(emulator, app_sp):
    _, client_id, secret = app_sp
    first = _post(emulator, {"grant_type": "client_credentials"}, auth=(client_id, secret)).json()
    resp = _post(emulator, {"grant_type": EXCHANGE, "subject_token": first["access_token"],
                            "subject_token_type": "urn:ietf:params:oauth:token-type:access_token",
                            "scope": "iam.current-user:read"})
    assert resp.status_code == 200
    me = client_for(emulator.host, resp.json()["access_token"]).current_user.me()
    assert me.user_name == client_id
