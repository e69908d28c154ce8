"""`AppConfig`: everything the App needs to know, read once from the App's environment.

In a deployed App the values come from `app.yaml`'s `env` (or the bundle's `config.env`); locally
from `agent-lib app`'s options. The library below this module never reads the environment.

The development setting `dev_user` makes a user-authorized App act as the named user when a request
carries no `x-forwarded-access-token` (no front proxy in local development). It is off by default,
logged loudly when on, and refused in a deployed App.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ..errors import AgentLibError

DEFAULT_MAX_BODY_BYTES = 1_000_000

ENV = {
    "spec_path": "AGENT_LIB_SPEC",
    "workspace": "AGENT_LIB_WORKSPACE",
    "host": "AGENT_LIB_HOST",
    "state_dir": "AGENT_LIB_STATE_DIR",
    "experiment_name": "AGENT_LIB_EXPERIMENT",
    "dev_user": "AGENT_LIB_DEV_USER",
    "max_body_bytes": "AGENT_LIB_MAX_BODY_BYTES",
}
"""The environment variable behind each field (what `app.yaml`'s `env` sets)."""


class AppConfigError(AgentLibError, ValueError):
    """The App's configuration is invalid; the message names the setting and the fix."""


class AppConfig(BaseModel):
    """How one App process serves the agent."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    spec_path: Path = Path("agent.yml")
    """The agent spec the App serves (in a deployed App: the copy beside `app.yaml`)."""
    workspace: str = "emulated"
    """`emulated` | `profile:<name>` | `host` | `notebook` (see `agent_lib.workspace.connect`)."""
    host: str = ""
    """The workspace host (for `host`, or an emulated workspace that already runs)."""
    state_dir: str = ".agent_lib"
    """State of the embedded emulated workspace and its local MLflow store."""
    experiment_name: str | None = "/Shared/agent-lib"
    """Where traces go (`agent_lib.tracking.use_experiment`); None: no experiment is set."""
    dev_user: str | None = None
    """Development only: the user a user-authorized App acts as when no forwarded token arrives."""
    deployed: bool = False
    """True inside a Databricks App (`DATABRICKS_APP_NAME` is set); development settings are refused."""
    max_body_bytes: int = Field(DEFAULT_MAX_BODY_BYTES, gt=0)
    """Larger request bodies get 400 before they are parsed."""

    @field_validator("dev_user")
    @classmethod
    def _dev_user(cls, value: str | None) -> str | None:
        value = (value or "").strip() or None
        if value is not None and "@" not in value:
            raise ValueError(f"dev_user {value!r} must be a user name such as alice@example.com")
        return value

    def model_post_init(self, _context: object) -> None:
        if self.deployed and self.dev_user:
            raise AppConfigError(
                f"{ENV['dev_user']} (act as {self.dev_user}) is a local development setting and is refused "
                "in a deployed App: there the front proxy forwards each user's own token. Remove it from "
                "app.yaml / the bundle's config.env.")

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> AppConfig:
        """The App's settings from its environment (`app.yaml` `env`); unset ones keep their defaults."""
        deployed = bool(env.get("DATABRICKS_APP_NAME"))
        values: dict[str, object] = {"deployed": deployed}
        if deployed:  # the App's own identity: DATABRICKS_HOST + its client id/secret
            values["workspace"] = "host"
            values["host"] = env.get("DATABRICKS_HOST", "")
        for field, var in ENV.items():
            raw = env.get(var)
            if raw is not None and raw != "":
                values[field] = raw
        if env.get(ENV["experiment_name"]) == "":
            values["experiment_name"] = None
        try:
            return cls(**values)
        except AppConfigError:
            raise
        except ValueError as exc:
            raise AppConfigError(f"invalid App setting: {_first_error(exc)}") from None


def _first_error(exc: ValueError) -> str:
    errors = getattr(exc, "errors", None)
    if callable(errors):
        first = errors()[0]
        field = ".".join(str(p) for p in first.get("loc", ()))
        return f"{ENV.get(field, field)}: {first.get('msg')}"
    return str(exc)


__all__ = ["DEFAULT_MAX_BODY_BYTES", "ENV", "AppConfig", "AppConfigError"]
