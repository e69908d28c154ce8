"""The workspace's OAuth authorization server: discovery, client credentials, token exchange.

What the SDK's `oauth-m2m` auth does against a workspace (and what a deployed App does with the
`DATABRICKS_CLIENT_ID` / `DATABRICKS_CLIENT_SECRET` it is given): read
`/oidc/.well-known/oauth-authorization-server`, then `POST /oidc/v1/token` with
`grant_type=client_credentials`, the client id and secret in HTTP Basic auth and `scope=all-apis`.
Users without a browser exchange a PAT (or another token) for an OAuth token with RFC 8693 token
exchange, as the SDK's `PATOAuthTokenExchange` does on Databricks compute.

Errors use OAuth's own envelope (`{"error", "error_description"}`), not Databricks' REST one,
because that is what the token endpoint answers and what the SDK's `retrieve_token` parses.

Client secrets are kept by their SHA-256 (kind "oauth_secret"), several per service principal,
so giving an App a new secret does not invalidate the one an older process still holds.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import secrets
import time
from typing import Any

from ..core.identity import ALL_APIS
from ..core.state import EmulatorState

TOKEN_TTL_SECONDS = 3600

GRANT_CLIENT_CREDENTIALS = "client_credentials"
GRANT_TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
TOKEN_TYPE_PAT = "urn:databricks:params:oauth:token-type:personal-access-token"
TOKEN_TYPE_ACCESS = "urn:ietf:params:oauth:token-type:access_token"
SUBJECT_TOKEN_TYPES = (TOKEN_TYPE_PAT, TOKEN_TYPE_ACCESS)
# Asked for by interactive clients; the emulator issues no refresh tokens, so it is dropped.
IGNORED_SCOPES = ("offline_access",)


class OAuthError(Exception):
    """An error of the token endpoint, rendered as `{"error", "error_description"}`."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(f"{error}: {description}")
        self.status = status
        self.error = error
        self.description = description

    def body(self) -> dict[str, str]:
        return {"error": self.error, "error_description": self.description}


def discovery(host: str) -> dict[str, Any]:
    """The authorization server metadata (RFC 8414) the SDK reads before asking for a token."""
    base = f"{host}/oidc"
    return {
        "issuer": base,
        "authorization_endpoint": f"{base}/v1/authorize",
        "token_endpoint": f"{base}/v1/token",
        "jwks_uri": f"{base}/jwks.json",
        "grant_types_supported": [GRANT_CLIENT_CREDENTIALS, GRANT_TOKEN_EXCHANGE],
        "response_types_supported": ["code"],
        "scopes_supported": [ALL_APIS, "offline_access", "iam.current-user:read", "sql",
                             "dashboards.genie", "serving.serving-endpoints", "catalog.connections"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "code_challenge_methods_supported": ["S256"],
    }


# -- client secrets -------------------------------------------------------------------------

def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def add_client_secret(state: EmulatorState, principal_id: str) -> str:
    """Mint one more OAuth secret for a service principal; earlier secrets stay valid."""
    doc = state.identities.get(principal_id)
    if doc is None or doc.get("kind") != "service_principal":
        raise KeyError(f"no service principal with id {principal_id!r}")
    secret = "dose" + secrets.token_hex(16)
    state.store.put("oauth_secret", _digest(secret),
                    {"principal_id": principal_id, "client_id": doc["name"], "created_at": time.time()})
    return secret


def issue_app_credentials(state: EmulatorState, principal_id: str) -> tuple[str, str]:
    """`(client_id, client_secret)` for a service principal (an App's), for oauth-m2m auth.

    The client id is the service principal's application id; the secret is shown only here.
    """
    secret = add_client_secret(state, principal_id)
    doc = state.identities.get(principal_id) or {}
    return doc["name"], secret


def revoke_client_secrets(state: EmulatorState, principal_id: str) -> int:
    """Forget every OAuth secret of a service principal (e.g. when its App is deleted)."""
    with state.store.transaction():
        gone = 0
        for key in state.store.keys("oauth_secret"):
            doc = state.store.get("oauth_secret", key)
            if doc and doc["principal_id"] == principal_id:
                state.store.delete("oauth_secret", key)
                gone += 1
        return gone


def check_client(state: EmulatorState, client_id: str, client_secret: str) -> dict[str, Any] | None:
    """The active service principal these credentials belong to, or None."""
    if not client_id or not client_secret:
        return None
    record = state.store.get("oauth_secret", _digest(client_secret))
    doc = None
    if record is not None and secrets.compare_digest(record["client_id"].lower(), client_id.lower()):
        doc = state.identities.get(record["principal_id"])
    if doc is None:  # a secret minted with the core's `identities.set_client_secret`
        doc = state.identities.check_client_secret(client_id, client_secret)
    if doc is None or doc.get("kind") != "service_principal" or not doc.get("active", True):
        return None
    return doc


# -- the token endpoint -----------------------------------------------------------------------

def parse_scopes(raw: str | None) -> list[str]:
    """`scope` as a list: space-separated, duplicates and `offline_access` dropped, default all-apis."""
    out: list[str] = []
    for s in (raw or "").split():
        if s not in out and s not in IGNORED_SCOPES:
            out.append(s)
    return out or [ALL_APIS]


def _basic_credentials(authorization: str | None) -> tuple[str, str] | None:
    if not authorization:
        return None
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() != "basic":
        raise OAuthError(401, "invalid_client",
                         "Client authentication failed: use HTTP Basic auth (client id and secret).")
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise OAuthError(401, "invalid_client",
                         "Client authentication failed: malformed Basic authorization header.") from None
    client_id, sep, secret = decoded.partition(":")
    if not sep:
        raise OAuthError(401, "invalid_client",
                         "Client authentication failed: Basic credentials must be 'client_id:client_secret'.")
    return client_id, secret


def _token_response(token: str, scopes: list[str]) -> dict[str, Any]:
    return {"access_token": token, "token_type": "Bearer", "expires_in": TOKEN_TTL_SECONDS,
            "scope": " ".join(scopes)}


def client_credentials(state: EmulatorState, form: dict[str, str],
                       authorization: str | None) -> dict[str, Any]:
    """`grant_type=client_credentials`: a token for the service principal the credentials name."""
    creds = _basic_credentials(authorization)
    if creds is None:
        if "client_id" not in form:
            raise OAuthError(401, "invalid_client",
                             "Client authentication failed: no client credentials were provided "
                             "(HTTP Basic auth or client_id / client_secret form fields).")
        creds = form["client_id"], form.get("client_secret", "")
    client_id, secret = creds
    doc = check_client(state, client_id, secret)
    if doc is None:
        raise OAuthError(401, "invalid_client",
                         "Client authentication failed: unknown client id or wrong client secret.")
    scopes = parse_scopes(form.get("scope"))
    token = state.identities.issue(doc["id"], scopes=scopes, kind="oauth", ttl_seconds=TOKEN_TTL_SECONDS,
                                   extra={"grant_type": GRANT_CLIENT_CREDENTIALS, "client_id": doc["name"]})
    return _token_response(token, scopes)


def token_exchange(state: EmulatorState, form: dict[str, str]) -> dict[str, Any]:
    """RFC 8693: an OAuth token for the subject token's principal, never wider than the subject's."""
    subject_token = form.get("subject_token", "")
    if not subject_token:
        raise OAuthError(400, "invalid_request", "Missing required parameter: subject_token.")
    subject_type = form.get("subject_token_type") or TOKEN_TYPE_PAT
    if subject_type not in SUBJECT_TOKEN_TYPES:
        raise OAuthError(400, "invalid_request",
                         f"Unsupported subject_token_type '{subject_type}'; "
                         f"supported: {', '.join(SUBJECT_TOKEN_TYPES)}.")
    requested = form.get("requested_token_type") or TOKEN_TYPE_ACCESS
    if requested != TOKEN_TYPE_ACCESS:
        raise OAuthError(400, "invalid_request",
                         f"Unsupported requested_token_type '{requested}'; supported: {TOKEN_TYPE_ACCESS}.")
    subject = state.identities.resolve(subject_token)
    if subject is None:
        raise OAuthError(400, "invalid_request", "The subject_token is invalid, expired or revoked.")
    scopes = parse_scopes(form.get("scope"))
    if subject.scopes is not None and ALL_APIS not in subject.scopes:
        wider = [s for s in scopes if s not in subject.scopes]
        if wider:
            raise OAuthError(400, "invalid_scope",
                             f"Requested scopes {', '.join(wider)} exceed the subject token's scopes "
                             f"({', '.join(subject.scopes) or 'none'}).")
    token = state.identities.issue(subject.id, scopes=scopes, kind="oauth", ttl_seconds=TOKEN_TTL_SECONDS,
                                   extra={"grant_type": GRANT_TOKEN_EXCHANGE,
                                          "subject_token_kind": subject.token_kind})
    return _token_response(token, scopes)


def token_request(state: EmulatorState, form: dict[str, str], authorization: str | None) -> dict[str, Any]:
    """`POST /oidc/v1/token` after the form is parsed; raises `OAuthError`."""
    grant = form.get("grant_type")
    if not grant:
        raise OAuthError(400, "invalid_request", "Missing required parameter: grant_type.")
    if grant == GRANT_CLIENT_CREDENTIALS:
        return client_credentials(state, form, authorization)
    if grant == GRANT_TOKEN_EXCHANGE:
        return token_exchange(state, form)
    raise OAuthError(400, "unsupported_grant_type",
                     f"Unsupported grant_type '{grant}'; supported: {GRANT_CLIENT_CREDENTIALS}, "
                     f"{GRANT_TOKEN_EXCHANGE}.")
