"""Choose the workspace a notebook, job or test talks to: a real one or the embedded emulated one.

Every path returns a real `databricks.sdk.WorkspaceClient` (built by `agent_lib.clients.client_for`,
with a short retry budget); only the host differs.

    ws = connect("emulated")                       # starts the embedded emulated workspace
    ws = connect("profile:DEFAULT")                # ~/.databrickscfg profile
    ws = connect("host", host="https://...")       # token from DATABRICKS_TOKEN / default auth
    ws = connect("notebook")                       # inside a Databricks notebook
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .clients import HTTP_TIMEOUT_SECONDS, RETRY_TIMEOUT_SECONDS, client_for, scrub
from .errors import WorkspaceError

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient

    from .emulator.embedded import EmulatedWorkspace

PROBE_TIMEOUT_SECONDS = 3
KINDS = ("emulated", "profile:<name>", "host", "notebook")


@dataclass
class Workspace:
    """A selected workspace: the SDK client, and the emulator behind it when there is one."""

    client: WorkspaceClient
    kind: str
    emulator: EmulatedWorkspace | None = field(default=None, repr=False)

    @property
    def host(self) -> str:
        return str(self.client.config.host)

    @property
    def is_emulated(self) -> bool:
        return self.emulator is not None

    def close(self) -> None:
        """Stop the embedded emulator if this workspace started one; a no-op otherwise."""
        if self.emulator is not None:
            self.emulator.stop()
            self.emulator = None

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def describe(self) -> dict[str, str]:
        """What a notebook displays: never the token."""
        return {"workspace": self.kind, "host": self.host,
                "user": self.client.current_user.me().user_name or ""}


def connect(kind: str = "emulated", *, host: str = "", state_dir: str | Path | None = ".agent_lib",
            token: str | None = None, verify: bool = True,
            retry_timeout_seconds: int = RETRY_TIMEOUT_SECONDS) -> Workspace:
    """Return the workspace named by `kind` (see the module docstring for the forms).

    With `verify` (the default) one cheap call (`current_user.me()`) proves the host and the
    credentials work, so a notebook fails at its first step with the host named, not later.
    """
    workspace = _select(kind, host=host, state_dir=state_dir, token=token,
                        retry=retry_timeout_seconds)
    if verify:
        try:
            workspace.client.current_user.me()
        except Exception as exc:
            workspace.close()
            raise WorkspaceError(
                f"workspace {workspace.kind!r} at {workspace.host} did not answer: "
                f"{scrub(str(exc), token)}. Check the host and credentials (DATABRICKS_TOKEN, "
                "profile), or use workspace='emulated' to run offline."
            ) from None
    return workspace


def _select(kind: str, *, host: str, state_dir: str | Path | None, token: str | None,
            retry: int) -> Workspace:
    if kind == "emulated":
        if host:  # an emulator already running (the pipeline runner's): token from the environment
            return Workspace(client_for(host, token, retry_timeout_seconds=retry), "emulated")
        from .emulator.embedded import start

        emulator = start(state_dir)
        return Workspace(client_for(emulator.host, emulator.token), "emulated", emulator)
    if kind.startswith("profile:"):
        name = kind.split(":", 1)[1].strip()
        if not name:
            raise WorkspaceError("workspace 'profile:' needs a profile name, e.g. 'profile:DEFAULT'")
        profile_host = _profile_host(name)
        if profile_host:
            probe(profile_host)
        return Workspace(client_for(profile=name, retry_timeout_seconds=retry), kind)
    if kind == "host":
        if not host:
            raise WorkspaceError("workspace 'host' needs the host parameter, e.g. https://<workspace-host>")
        probe(host)
        return Workspace(client_for(host, token, retry_timeout_seconds=retry), kind)
    if kind == "notebook":
        return Workspace(client_for(retry_timeout_seconds=retry), kind)
    raise WorkspaceError(f"unknown workspace {kind!r}: expected one of {', '.join(KINDS)}")


def probe(host: str, timeout: float = PROBE_TIMEOUT_SECONDS) -> None:
    """Fail within `timeout` seconds when nothing listens at `host`.

    Without it a wrong host costs about 25 s: the SDK's host-metadata probe and the first call each
    spend their whole retry budget on a connection that can never succeed.
    """
    import requests  # the SDK's own HTTP stack, so certificate trust (REQUESTS_CA_BUNDLE) is the same

    if "://" not in host:
        host = f"https://{host}"
    try:  # any HTTP answer, even 401 or 404, proves something listens; only silence fails
        requests.get(host.rstrip("/") + "/.well-known/databricks-config", timeout=timeout,
                     allow_redirects=False)
    except requests.exceptions.SSLError:
        raise WorkspaceError(
            f"workspace host {host} answered with a TLS certificate that is not valid for it. Check the "
            "host; behind a TLS-inspecting proxy set REQUESTS_CA_BUNDLE to its CA bundle."
        ) from None
    except requests.RequestException as exc:
        reason = f"no answer within {timeout:g} s" if isinstance(exc, requests.Timeout) else (
            "connection refused" if "refused" in str(exc).lower() else "cannot connect; is the name right?")
        raise WorkspaceError(
            f"workspace host {host} is not reachable ({reason}). Check the host "
            "(https://<workspace-host>) and your network, or use workspace='emulated' to run offline."
        ) from None


def _profile_host(name: str) -> str:
    """The `host` of a ~/.databrickscfg profile (or DATABRICKS_CONFIG_FILE), '' when not found."""
    import configparser
    import os

    path = Path(os.environ.get("DATABRICKS_CONFIG_FILE", "~/.databrickscfg")).expanduser()
    parser = configparser.ConfigParser()
    try:
        parser.read(path)
    except configparser.Error:
        return ""  # the SDK reports a malformed file in its own words
    return parser.get(name, "host", fallback="") if parser.has_section(name) else ""


__all__ = ["HTTP_TIMEOUT_SECONDS", "KINDS", "PROBE_TIMEOUT_SECONDS", "RETRY_TIMEOUT_SECONDS", "Workspace",
           "client_for", "connect", "probe"]
