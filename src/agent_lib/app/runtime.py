"""`AppRuntime`: what one App process holds while it serves (spec, workspace, identity, Supervisor).

Built once at start-up by `server.build_server`. Under `authorization: app` it keeps one Supervisor on
the App's own identity for every request; under `authorization: user` it keeps none: each request
gets a Supervisor on a client built from that request's forwarded token, closed when the request
ends (`auth.user_client`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import AgentLibError
from .auth import DevIdentity, user_client, warn_dev_user
from .config import AppConfig, AppConfigError

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient

    from ..spec import AgentSpec
    from ..supervisor import Supervisor
    from ..tracking import ExperimentInfo
    from ..workspace import Workspace

log = logging.getLogger("agent_lib.app")

SupervisorFactory = Callable[["AgentSpec", "WorkspaceClient"], "Supervisor"]
"""How a Supervisor is made for a spec and a client (benchmarks swap in a fixed-answer engine)."""


def default_supervisor(spec: AgentSpec, client: WorkspaceClient) -> Supervisor:
    from ..supervisor import Supervisor

    return Supervisor(spec, client)


@dataclass
class AppRuntime:
    config: AppConfig
    spec: AgentSpec
    workspace: Workspace
    make_supervisor: SupervisorFactory = default_supervisor
    experiment: ExperimentInfo | None = None
    dev: DevIdentity | None = None
    owns_workspace: bool = True
    _shared: Supervisor | None = field(default=None, repr=False)

    @classmethod
    def start(cls, config: AppConfig, make_supervisor: SupervisorFactory | None = None, *,
              workspace: Workspace | None = None) -> AppRuntime:
        """Load the spec, connect (or use `workspace`, which then stays open after `close`), point
        MLflow at the experiment and, under app authorization, make the App's Supervisor."""
        from ..spec import load_spec
        from ..workspace import connect

        spec = load_spec(config.spec_path)
        if config.dev_user and spec.authorization != "user":
            raise AppConfigError(f"dev_user is set ({config.dev_user}) but the spec's authorization is "
                                 f"{spec.authorization!r}: the development user only stands in for "
                                 "forwarded user tokens (authorization: user). Remove the setting.")
        owns = workspace is None
        if workspace is None:
            workspace = connect(config.workspace, host=config.host, state_dir=config.state_dir)
        runtime = cls(config, spec, workspace, make_supervisor or default_supervisor, owns_workspace=owns)
        try:
            runtime.experiment = _experiment(config, workspace)
            if config.dev_user:
                runtime.dev = _dev_identity(config.dev_user, spec, workspace)
                warn_dev_user(config.dev_user)
            if spec.authorization == "app":
                runtime._shared = runtime.make_supervisor(spec, workspace.client)
        except BaseException:
            if owns:
                workspace.close()
            raise
        return runtime

    @property
    def host(self) -> str:
        return self.workspace.host

    @contextmanager
    def supervisor(self, headers: Mapping[str, str]) -> Iterator[Supervisor]:
        """The Supervisor for one request: the App's own, or a new one acting as the request's user."""
        if self._shared is not None:
            yield self._shared
            return
        sup = self.make_supervisor(self.spec, user_client(self.host, headers, self.dev))
        try:
            yield sup
        finally:
            sup.close()

    def trace_url(self) -> str:
        """Where a trace of this App's experiment is shown ({trace_id} to fill in); "" without one."""
        if self.experiment is None:
            return ""
        return (f"{self.host.rstrip('/')}/ml/experiments/{self.experiment.experiment_id}/traces"
                "?selectedEvaluationId={trace_id}")

    def describe(self) -> dict[str, Any]:
        """What the chat page shows about the agent (never a token)."""
        return {"name": self.spec.name, "engine": self.spec.engine,
                "authorization": self.spec.authorization, "tools": [t.label for t in self.spec.tools],
                "trace_url": self.trace_url(), "dev_user": self.dev.user if self.dev else None}

    def close(self) -> None:
        if self._shared is not None:
            self._shared.close()
            self._shared = None
        if self.owns_workspace:
            owned = self.workspace
            owned.close()


def _experiment(config: AppConfig, workspace: Workspace) -> ExperimentInfo | None:
    """Traces go to the configured experiment; if it cannot be set, the App serves untraced (loudly)."""
    if not config.experiment_name:
        return None
    from ..tracking import use_experiment

    try:
        return use_experiment(workspace, config.experiment_name, state_dir=config.state_dir)
    except Exception as exc:  # noqa: BLE001 - the App must still serve; the log says why
        import mlflow

        mlflow.tracing.disable()
        log.warning("MLflow experiment %r is not available (%s: %s); the App serves without traces",
                    config.experiment_name, type(exc).__name__, str(exc).splitlines()[0][:300])
        return None


def _dev_identity(user: str, spec: AgentSpec, workspace: Workspace) -> DevIdentity:
    from .auth import user_api_scopes

    emulator = workspace.emulator
    if emulator is not None:
        scopes = user_api_scopes(spec)
        return DevIdentity(user, lambda: emulator.token_for(user, scopes))
    me = workspace.client.current_user.me().user_name
    if me != user:
        raise AppConfigError(
            f"dev_user {user!r} is not the workspace's current user ({me}); outside the embedded emulated "
            "workspace the development user must be the one your credentials belong to")
    config = workspace.client.config

    def mint() -> str:
        header = config.authenticate().get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise AgentLibError("the development user's credentials give no bearer token")
        return token

    return DevIdentity(user, mint)


__all__ = ["AppRuntime", "SupervisorFactory", "default_supervisor"]
