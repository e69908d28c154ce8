"""Who is calling: principals (users and service principals) and the tokens that name them.

Databricks identifies every call by its bearer token. The emulator keeps principals as documents
(kind "principal") and tokens by their SHA-256 (kind "token"), so the state file never holds a
usable token except the admin token that the standalone server must print again after a restart.
A token carries scopes: `None` (a PAT) or `["all-apis"]` can call everything; anything narrower
(OAuth user tokens forwarded to an App) is checked per route with `require_scope`.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass, field
from typing import Any, Literal

from .errors import permission_denied, unauthenticated
from .store import Store

PrincipalKind = Literal["user", "service_principal"]
ALL_APIS = "all-apis"


@dataclass(frozen=True)
class Principal:
    """The caller of one request, with the scopes of the token it used."""

    id: str
    kind: PrincipalKind
    name: str  # user name (email) or service principal application id
    display_name: str
    admin: bool = False
    groups: tuple[str, ...] = ("users",)
    scopes: tuple[str, ...] | None = None  # None: unrestricted (PAT)
    token_kind: str = "pat"
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def acl_keys(self) -> tuple[str, ...]:
        """The ACL entry keys that apply to this principal: itself and its groups."""
        own = f"user:{self.name}" if self.kind == "user" else f"service_principal:{self.name}"
        return (own, *(f"group:{g}" for g in self.groups))

    def has_scope(self, *accepted: str) -> bool:
        if self.scopes is None or ALL_APIS in self.scopes:
            return True
        return any(s in self.scopes for s in accepted)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Identities:
    """Principals and tokens over the store; the only place tokens are minted or checked."""

    def __init__(self, store: Store) -> None:
        self.store = store

    # -- principals ---------------------------------------------------------------------------
    def add_user(self, user_name: str, display_name: str = "", *, admin: bool = False) -> dict[str, Any]:
        existing = self.find("user", user_name)
        if existing:
            return existing
        pid = str(self.store.next_id("principal", start=1000001))
        doc = {"id": pid, "kind": "user", "name": user_name, "admin": admin,
               "display_name": display_name or user_name.split("@")[0].title(),
               "groups": ["users", "admins"] if admin else ["users"], "active": True}
        self.store.put("principal", pid, doc)
        return doc

    def add_service_principal(self, display_name: str, application_id: str | None = None) -> dict[str, Any]:
        app_id = application_id or _uuid_like()
        pid = str(self.store.next_id("principal", start=1000001))
        doc = {"id": pid, "kind": "service_principal", "name": app_id, "admin": False,
               "display_name": display_name, "groups": ["users"], "active": True,
               "client_secret_sha": None}
        self.store.put("principal", pid, doc)
        return doc

    def set_client_secret(self, principal_id: str) -> str:
        """Mint an OAuth client secret for a service principal (what an App is given)."""
        secret = "dose" + secrets.token_hex(16)
        with self.store.transaction():
            doc = self.store.get("principal", principal_id)
            if doc is None or doc.get("kind") != "service_principal":
                # Writing a bare {"client_secret_sha"} document would break every later listing.
                raise KeyError(f"no service principal with id {principal_id!r}")
            doc["client_secret_sha"] = _digest(secret)
            self.store.put("principal", principal_id, doc)
        return secret

    def check_client_secret(self, application_id: str, secret: str) -> dict[str, Any] | None:
        doc = self.find("service_principal", application_id)
        if doc and doc.get("client_secret_sha") and secrets.compare_digest(
            doc["client_secret_sha"], _digest(secret)
        ):
            return doc
        return None

    def get(self, principal_id: str) -> dict[str, Any] | None:
        return self.store.get("principal", principal_id)

    def find(self, kind: PrincipalKind, name: str) -> dict[str, Any] | None:
        for doc in self.store.list("principal"):
            if doc["kind"] == kind and doc["name"].lower() == name.lower():
                return doc
        return None

    def all(self) -> list[dict[str, Any]]:
        return self.store.list("principal")

    def named(self, name: str) -> Principal | None:
        """The user or service principal called `name` (an owner, say), as a caller would be."""
        doc = self.find("user", name) or self.find("service_principal", name)
        return _principal(doc, None, "pat", {}) if doc and doc.get("active", True) else None

    # -- tokens -------------------------------------------------------------------------------
    def issue(self, principal_id: str, *, scopes: list[str] | None = None, kind: str = "pat",
              ttl_seconds: int | None = None, token: str | None = None,
              extra: dict[str, Any] | None = None) -> str:
        """Mint a token for a principal; `scopes=None` means unrestricted (a PAT)."""
        prefix = "dapi" if kind == "pat" else "eyJ"
        token = token or prefix + secrets.token_hex(20)
        doc = {"principal_id": principal_id, "scopes": scopes, "kind": kind,
               "expires_at": time.time() + ttl_seconds if ttl_seconds else None,
               "extra": extra or {}}
        self.store.put("token", _digest(token), doc)
        return token

    def revoke(self, token: str) -> None:
        self.store.delete("token", _digest(token))

    def resolve(self, token: str) -> Principal | None:
        doc = self.store.get("token", _digest(token))
        if doc is None or (doc["expires_at"] is not None and doc["expires_at"] < time.time()):
            return None
        p = self.get(doc["principal_id"])
        if p is None or not p.get("active", True):
            return None
        scopes = tuple(doc["scopes"]) if doc["scopes"] is not None else None
        return _principal(p, scopes, doc["kind"], doc.get("extra", {}))

    def authenticate(self, authorization: str | None) -> Principal:
        """Resolve an `Authorization` header or fail with Databricks' 401 envelope."""
        if not authorization:
            raise unauthenticated("Unable to load OAuth Config: credentials were not provided.")
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise unauthenticated("Authorization header must be 'Bearer <token>'.")
        principal = self.resolve(token.strip())
        if principal is None:
            raise unauthenticated("Invalid access token.")
        return principal


def _principal(p: dict[str, Any], scopes: tuple[str, ...] | None, token_kind: str,
               extra: dict[str, Any]) -> Principal:
    return Principal(id=p["id"], kind=p["kind"], name=p["name"], display_name=p["display_name"],
                     admin=p.get("admin", False), groups=tuple(p.get("groups", ["users"])),
                     scopes=scopes, token_kind=token_kind, extra=extra)


def require_scope(principal: Principal, *accepted: str) -> None:
    """Refuse a call outside the token's scopes, as Databricks does for narrowed OAuth tokens."""
    if not principal.has_scope(*accepted):
        have = ", ".join(principal.scopes or ()) or "none"
        raise permission_denied(
            f"Provided OAuth token does not have required scopes: {' or '.join(accepted)} "
            f"(token scopes: {have})"
        )


def _uuid_like() -> str:
    h = secrets.token_hex(16)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
