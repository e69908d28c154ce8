"""Who calls the tools: the App's own identity, or the signed-in user on whose behalf it acts.

* `authorization: app`: the App's identity (in a deployed App its service principal, from
  `DATABRICKS_CLIENT_ID` / `DATABRICKS_CLIENT_SECRET`), one client for the App's life.
* `authorization: user`: a new `WorkspaceClient` inside each request from the request's own
  `x-forwarded-access-token` (the front proxy's narrowed user token). It is never built at start-up
  and never kept after the request, so no token can serve another request. A request without the
  header is refused (`Unauthorized`, 401): there is no silent fallback to the App's identity.
* Development only (`AppConfig.dev_user`): with no front proxy, a token for the named user stands in
  for the missing header (minted by the embedded emulated workspace, per request).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..errors import AgentLibError
from ..workspace import client_for

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient

    from ..spec import AgentSpec

log = logging.getLogger("agent_lib.app")

FORWARDED_TOKEN = "x-forwarded-access-token"


class Unauthorized(AgentLibError):
    """The request cannot be authorized; the message says why (never the token)."""


@dataclass(frozen=True)
class DevIdentity:
    """The development setting's stand-in user: `mint()` returns a fresh token for them."""

    user: str
    mint: Callable[[], str]

    def __repr__(self) -> str:
        return f"DevIdentity(user={self.user!r})"


def user_api_scopes(spec: AgentSpec) -> list[str]:
    """The scopes a user-authorized App asks for (`user_api_scopes`): the spec's (`spec.user_scopes`),
    plus `model-serving` under engine `client`, whose loop calls the model endpoint with the user's token."""
    from ..spec import user_scopes

    scopes = set(user_scopes(spec))
    if spec.engine == "client":
        scopes.add("model-serving")
    return sorted(scopes)


def forwarded_token(headers: Mapping[str, str]) -> str | None:
    token = (headers.get(FORWARDED_TOKEN) or "").strip()
    return token or None


def missing_token_reason() -> str:
    return ("this App uses user authorization (authorization: user) and the request has no "
            f"{FORWARDED_TOKEN} header. Call it through the Databricks Apps front proxy with an OAuth "
            "token (a PAT is redirected to login), or, in local development only, start it with a "
            "development user (agent-lib app --dev-user <user>).")


def user_client(host: str, headers: Mapping[str, str], dev: DevIdentity | None) -> WorkspaceClient:
    """A client acting as the request's user, built now, for this request only."""
    token = forwarded_token(headers)
    if token is None:
        if dev is None:
            raise Unauthorized(missing_token_reason())
        token = dev.mint()
    return client_for(host, token)


def warn_dev_user(user: str) -> None:
    """The development setting is on: say so, loudly, once at start-up."""
    line = "!" * 78
    log.warning("\n%s\n!! DEVELOPMENT SETTING ON: requests without %s act as %s.\n"
                "!! Never use this in a deployed App (it is refused there).\n%s",
                line, FORWARDED_TOKEN, user, line)


__all__ = ["FORWARDED_TOKEN", "DevIdentity", "Unauthorized", "forwarded_token", "missing_token_reason",
           "user_api_scopes", "user_client", "warn_dev_user"]
