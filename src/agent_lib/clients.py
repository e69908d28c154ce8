"""`client_for`: a real `databricks.sdk.WorkspaceClient` for a host and token, profile or default auth.

Clients are built with a short retry budget: the SDK's default (300 s) turns a mistyped host into a
five-minute hang at construction time, because the host-metadata probe retries refused connections.
A module of its own so that everything that builds a client (`workspace.connect`, the emulated
workspace's `client()`, the served agent loop) shares one way of doing it without importing
`workspace`, which starts the emulated workspace.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import WorkspaceError

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient

RETRY_TIMEOUT_SECONDS = 10
HTTP_TIMEOUT_SECONDS = 30


def client_for(host: str | None = None, token: str | None = None, *, profile: str | None = None,
               retry_timeout_seconds: int = RETRY_TIMEOUT_SECONDS, **config: Any) -> WorkspaceClient:
    """A `WorkspaceClient` with a short retry budget; errors name the host and the fix."""
    from databricks.sdk import WorkspaceClient
    from databricks.sdk.config import Config

    if host and "://" not in host:
        raise WorkspaceError(
            f"workspace host {host!r} has no scheme; write it as https://<workspace-host> "
            "(or http://127.0.0.1:<port> for an emulated workspace)"
        )
    kwargs: dict[str, Any] = {"retry_timeout_seconds": retry_timeout_seconds,
                              "http_timeout_seconds": HTTP_TIMEOUT_SECONDS, **config}
    if host:
        kwargs["host"] = host
    if token:
        kwargs["token"] = token
        kwargs["auth_type"] = "pat"
    if profile:
        kwargs["profile"] = profile
    try:
        return WorkspaceClient(config=Config(**kwargs))
    except Exception as exc:  # the SDK raises ValueError for auth/config problems
        where = f"profile {profile!r}" if profile else f"host {host!r}" if host else "default auth"
        raise WorkspaceError(
            f"could not configure a workspace client from {where}: {scrub(str(exc), token)}. "
            "Check the host/profile, or use workspace='emulated' to run offline."
        ) from None


def scrub(text: str, token: str | None) -> str:
    """`text` with the token masked (error messages must never carry it)."""
    return text.replace(token, "***") if token else text


__all__ = ["HTTP_TIMEOUT_SECONDS", "RETRY_TIMEOUT_SECONDS", "client_for", "scrub"]
