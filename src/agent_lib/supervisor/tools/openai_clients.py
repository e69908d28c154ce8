"""`DatabricksOpenAI` clients for model and agent calls, and the OAuth client `apps/<name>` needs.

Importing databricks_openai takes seconds, so it happens on first use. The openai client's own
retries are off (`max_retries=0`): `RetryPolicy` decides, so 429/503 handling is the same everywhere.
"""

from __future__ import annotations

import threading
import weakref
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient

_lock = threading.Lock()
_clients: weakref.WeakKeyDictionary[Any, dict[tuple[bool, float], Any]] = weakref.WeakKeyDictionary()


def model_client(w: WorkspaceClient, timeout_s: float, *, use_ai_gateway: bool = False) -> Any:
    """A cached `DatabricksOpenAI` for `w`: serving endpoints, or the AI Gateway (Supervisor API)."""
    key = (use_ai_gateway, float(timeout_s))
    with _lock:
        per_client = _clients.setdefault(w, {})
        client = per_client.get(key)
        if client is None:
            from databricks_openai import DatabricksOpenAI

            client = DatabricksOpenAI(workspace_client=w, use_ai_gateway=use_ai_gateway, max_retries=0,
                                      timeout=timeout_s)
            per_client[key] = client
        return client


def oauth_workspace_client(w: WorkspaceClient) -> WorkspaceClient:
    """`w` itself when it authenticates with OAuth; otherwise a client that exchanges `w`'s token
    for an OAuth token at `{host}/oidc/v1/token` (RFC 8693), as `apps/<name>` calls require."""
    try:
        w.config.oauth_token()
        return w
    except Exception:  # noqa: BLE001 - the SDK raises ValueError (and others) for non-OAuth auth
        pass
    from databricks.sdk import WorkspaceClient
    from databricks.sdk.config import Config
    from databricks.sdk.credentials_provider import OAuthCredentialsProvider, OauthCredentialsStrategy
    from databricks.sdk.oauth import PATOAuthTokenExchange

    host = str(w.config.host)

    def subject_token() -> str:
        header = w.config.authenticate().get("Authorization", "")
        return header.split(" ", 1)[1] if " " in header else header

    source = PATOAuthTokenExchange(get_original_token=subject_token, host=host, scopes="all-apis")

    def provider(_: Config) -> OAuthCredentialsProvider:
        def headers() -> dict[str, str]:
            token = source.token()
            return {"Authorization": f"{token.token_type or 'Bearer'} {token.access_token}"}

        return OAuthCredentialsProvider(headers, source.token)

    config = Config(host=host, credentials_strategy=OauthCredentialsStrategy("pat-token-exchange", provider),
                    retry_timeout_seconds=w.config.retry_timeout_seconds or 10,
                    http_timeout_seconds=w.config.http_timeout_seconds or 30)
    return WorkspaceClient(config=config)


__all__ = ["model_client", "oauth_workspace_client"]
