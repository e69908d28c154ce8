"""Unity Catalog connections (`ConnectionInfo`): how an external MCP server is reached.

An HTTP connection holds `host`, `port`, `base_path` and credentials in `options`; an MCP
connection also says `is_mcp_connection: "true"`. Credentials (`bearer_token`, `client_secret`, ...)
are write-only: the API never returns them, but the MCP proxy reads them with `get_connection`.
"""

from __future__ import annotations

import re
import uuid
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from ..core.errors import already_exists, invalid, not_found, permission_denied
from ..core.identity import Principal
from ..core.state import EmulatorState
from .securables import METASTORE_ID, audit, check_name, clean, insert_owned, set_owner

CONNECTION = "uc_connection"

CONNECTION_TYPES = frozenset(
    "AWS_SECRETS_MANAGER AZURE_KEY_VAULT BIGQUERY CONFLUENCE DATABRICKS DYNAMICS365 GA4_RAW_DATA "
    "GITHUB GLUE HIVE_METASTORE HTTP HUBSPOT JDBC META_MARKETING MYSQL NETSUITE ORACLE OUTLOOK "
    "POSTGRESQL POWER_BI REDSHIFT SALESFORCE SALESFORCE_DATA_CLOUD SERVICENOW SMARTSHEET SNOWFLAKE "
    "SQLDW SQLSERVER TERADATA TIKTOK_ADS WORKDAY_RAAS ZENDESK".split()
)
SECRET_OPTIONS = frozenset({
    "bearer_token", "client_secret", "password", "pem_private_key", "private_key",
    "private_key_password", "access_token", "refresh_token", "personal_access_token", "api_key",
    "secret", "token", "oauth_token", "sas_token",
})


_SECRET_WORDS = ("secret", "password", "privatekey", "token", "apikey", "accesskey", "credential",
                 "credentials")


def is_secret(option: str) -> bool:
    """Whether an option holds a credential, however it is spelt (`bearer_token`,
    `personalAccessToken`, `Client-Secret`): such options are stored but never served."""
    o = re.sub(r"[^a-z0-9]", "", option.lower())
    return (option.lower() in SECRET_OPTIONS or o.endswith(_SECRET_WORDS)
            or "secret" in o or "password" in o)


def _credential_type(options: dict[str, str]) -> str | None:
    if "bearer_token" in options:
        return "BEARER_TOKEN"
    if "client_secret" in options and "refresh_token" not in options:
        return "OAUTH_M2M"
    if "refresh_token" in options:
        return "OAUTH_REFRESH_TOKEN"
    if "password" in options:
        return "USERNAME_PASSWORD"
    return None


def _url(options: dict[str, str]) -> str | None:
    """The server's URL from host, port and base_path (ConnectionInfo.url)."""
    host = (options.get("host") or "").rstrip("/")
    if not host:
        return None
    parts = urlsplit(host if "://" in host else f"https://{host}")
    netloc = parts.netloc
    if options.get("port") and parts.port is None:
        netloc = f"{netloc}:{options['port']}"
    return urlunsplit((parts.scheme, netloc, parts.path, "", "")) + (options.get("base_path") or "")


def _check_options(connection_type: str, options: Any) -> dict[str, str]:
    if options is None:
        raise invalid("Missing required field: options")
    if not isinstance(options, dict) or not all(isinstance(v, str) for v in options.values()):
        raise invalid("Invalid value for field 'options': expected a map of strings to strings.")
    if connection_type == "HTTP":
        host = options.get("host")
        if not host:
            raise invalid("Missing required field: options.host (an HTTP connection needs the "
                          "server's host, e.g. https://mcp.example.com).")
        if not host.startswith(("https://", "http://")):
            raise invalid(f"Invalid value for field 'options.host': '{host}' must start with "
                          "https:// (or http:// for a local server).")
        base = options.get("base_path")
        if base is not None and base and not base.startswith("/"):
            raise invalid(f"Invalid value for field 'options.base_path': '{base}' must start with '/'.")
        if options.get("port") and not options["port"].isdigit():
            raise invalid(f"Invalid value for field 'options.port': '{options['port']}' is not a number.")
        mcp = options.get("is_mcp_connection")
        if mcp is not None and mcp.lower() not in ("true", "false"):
            raise invalid("Invalid value for field 'options.is_mcp_connection': expected \"true\" "
                          "or \"false\".")
    return dict(options)


def public_view(state: EmulatorState, doc: dict[str, Any]) -> dict[str, Any]:
    """`ConnectionInfo` as served: secret options removed, owner from the grants."""
    options = {k: v for k, v in doc.get("options", {}).items() if not is_secret(k)}
    owner = state.grants.get("connection", doc["name"]).get("owner")
    out = {k: v for k, v in doc.items() if k != "options"}
    out["options"] = options
    out["owner"] = owner
    out["url"] = _url(doc.get("options", {}))
    return clean(out)


def connection_doc(state: EmulatorState, name: str) -> dict[str, Any]:
    doc = state.store.get(CONNECTION, name.lower())
    if doc is None:
        raise not_found(f"Connection '{name}' does not exist.")
    return doc


def get_connection(state: EmulatorState, name: str) -> dict[str, Any]:
    """The stored connection INCLUDING secret options (for the MCP proxy; never serve this).

    Shape: {name, full_name, connection_type, options{host, port?, base_path?, bearer_token?, ...},
    owner, comment?, properties?, read_only, ...}. Raises the 404 ApiError when absent. Callers
    check `state.grants.require(caller, "connection", name, "USE_CONNECTION")` themselves.
    """
    doc = connection_doc(state, name)
    return {**doc, "options": dict(doc.get("options", {})),
            "owner": state.grants.get("connection", doc["name"]).get("owner")}


def create_connection(state: EmulatorState, caller: Principal, body: dict[str, Any]) -> dict[str, Any]:
    name = check_name("name", body.get("name"))
    ctype = body.get("connection_type")
    if not ctype:
        raise invalid("Missing required field: connection_type")
    if ctype not in CONNECTION_TYPES:
        raise invalid(f"Invalid value for field 'connection_type': '{ctype}' (e.g. HTTP, MYSQL, "
                      "POSTGRESQL, SNOWFLAKE).")
    options = _check_options(ctype, body.get("options"))
    if body.get("secrets"):
        if not isinstance(body["secrets"], dict):
            raise invalid("Invalid value for field 'secrets': expected a map of strings to strings.")
        options.update(body["secrets"])
    if not state.grants.has(caller, "metastore", METASTORE_ID, "CREATE_CONNECTION"):
        raise permission_denied(f"User does not have CREATE CONNECTION on Metastore '{METASTORE_ID}'.")
    doc = clean({"name": name, "full_name": name, "connection_type": ctype, "options": options,
                 "comment": body.get("comment"), "properties": body.get("properties"),
                 "read_only": bool(body.get("read_only", ctype != "HTTP")),
                 "connection_id": str(uuid.uuid4()), "metastore_id": METASTORE_ID,
                 "securable_type": "CONNECTION", "credential_type": _credential_type(options)})
    insert_owned(state, caller, CONNECTION, "connection", name, doc, "Connection")
    return public_view(state, doc)


def _sees(state: EmulatorState, caller: Principal, name: str) -> bool:
    grants = state.grants
    return caller.admin or any(grants.has(caller, "connection", name, p)
                               for p in ("USE_CONNECTION", "MANAGE", "CREATE_FOREIGN_CATALOG"))


def get(state: EmulatorState, caller: Principal, name: str) -> dict[str, Any]:
    doc = connection_doc(state, name)
    if not _sees(state, caller, doc["name"]):
        raise permission_denied(f"User does not have USE CONNECTION on Connection '{doc['name']}'.")
    return public_view(state, doc)


def list_all(state: EmulatorState, caller: Principal) -> list[dict[str, Any]]:
    return [public_view(state, d) for d in state.store.list(CONNECTION) if _sees(state, caller, d["name"])]


def update_connection(state: EmulatorState, caller: Principal | None, name: str, *,
                      options: dict[str, str] | None = None, new_name: str | None = None,
                      owner: str | None = None) -> dict[str, Any]:
    """PATCH a connection; `caller=None` is the emulator itself (e.g. pointing the demo connection
    at the ticketing server's real port once it has started). `options` replaces the options,
    keeping stored secrets that are not given again."""
    with state.store.transaction():
        doc = connection_doc(state, name)
        old = doc["name"]
        if caller is not None and not state.grants.has(caller, "connection", old, "MANAGE"):
            raise permission_denied(f"User is not an owner of Connection '{old}'.")
        if options is not None:
            checked = _check_options(doc["connection_type"], options)
            kept = {k: v for k, v in doc.get("options", {}).items() if is_secret(k) and k not in checked}
            doc["options"] = {**checked, **kept}
            doc["credential_type"] = _credential_type(doc["options"])
        if owner:
            set_owner(state, "connection", old, owner)
        if caller is not None:
            audit(caller, doc, created=False)
        if new_name and new_name.lower() != old:
            new = check_name("new_name", new_name)
            if state.store.get(CONNECTION, new) is not None:
                raise already_exists(f"Connection '{new}' already exists.")
            grant_doc = state.grants.get("connection", old)
            state.store.delete(CONNECTION, old)
            state.grants.drop("connection", old)
            doc["name"] = doc["full_name"] = new
            state.grants.put("connection", new, grant_doc)
        state.store.put(CONNECTION, doc["name"], clean(doc))
    return public_view(state, doc)


def delete(state: EmulatorState, caller: Principal, name: str) -> None:
    doc = connection_doc(state, name)
    if not state.grants.has(caller, "connection", doc["name"], "MANAGE"):
        raise permission_denied(f"User is not an owner of Connection '{doc['name']}'.")
    with state.store.transaction():
        state.store.delete(CONNECTION, doc["name"])
        state.grants.drop("connection", doc["name"])
