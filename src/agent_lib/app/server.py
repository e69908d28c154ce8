"""Building and running the App: `build_server` (an MLflow AgentServer), `serve`, and the App's command.

    server = build_server(AppConfig(spec_path="agent.yml"))   # AppServer: .app (ASGI), .close()
    serve(AppConfig(...), port=8000)                          # what `agent-lib app` runs
    python -m agent_lib.app [--port N]                        # a deployed App's command (app.yaml)
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import socket
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING, Any

from .config import ENV, AppConfig, AppConfigError
from .runtime import AppRuntime, SupervisorFactory

if TYPE_CHECKING:
    from ..workspace import Workspace

log = logging.getLogger("agent_lib.app")


@dataclass
class AppServer:
    """A built App: the MLflow `AgentServer`, its runtime, and the ASGI app to serve."""

    agent_server: Any
    runtime: AppRuntime

    @property
    def app(self) -> Any:
        return self.agent_server.app

    def close(self) -> None:
        self.runtime.close()


def chat_page(runtime: AppRuntime) -> str:
    """The chat page, with what it needs to know about the agent filled in."""
    page = resources.files("agent_lib.app").joinpath("static/chat.html").read_text(encoding="utf-8")
    agent = json.dumps(runtime.describe()).replace("</", "<\\/")
    return page.replace("/*AGENT*/null", agent).replace("{{TITLE}}", runtime.spec.name)


def build_server(config: AppConfig, *, make_supervisor: SupervisorFactory | None = None,
                 workspace: Workspace | None = None) -> AppServer:
    """An `AgentServer("ResponsesAgent")` serving the spec of `config`, with its chat page and guard.

    `workspace`: an already connected workspace to use (it stays open after `close()`); by default
    the App connects as `config` says."""
    from fastapi.responses import HTMLResponse
    from mlflow.genai.agent_server import AgentServer
    from starlette.exceptions import HTTPException

    from . import handlers  # noqa: F401 - registers the @invoke and @stream handlers
    from .failures import answer_failed_turn
    from .guard import Guard

    runtime = AppRuntime.start(config, make_supervisor, workspace=workspace)
    try:
        server = AgentServer("ResponsesAgent")
        html = chat_page(runtime)

        @server.app.get("/", response_class=HTMLResponse, include_in_schema=False)
        async def index() -> HTMLResponse:
            return HTMLResponse(html, headers={"cache-control": "no-store"})

        server.app.add_exception_handler(HTTPException, answer_failed_turn)  # a failed turn: not a 500
        server.app.add_middleware(_Current, runtime=runtime)
        server.app.add_middleware(Guard, max_body_bytes=config.max_body_bytes,
                                  require_user_token=runtime.spec.authorization == "user"
                                  and runtime.dev is None)
    except BaseException:
        runtime.close()
        raise
    return AppServer(server, runtime)


class _Current:
    """ASGI middleware: the handlers of this request belong to this App (`handlers.CURRENT`)."""

    def __init__(self, app: Any, runtime: AppRuntime) -> None:
        self.app = app
        self.runtime = runtime

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        from .handlers import CURRENT

        CURRENT.set(self.runtime)
        await self.app(scope, receive, send)


def listen(host: str, port: int) -> socket.socket:
    """A listening socket with TCP_NODELAY (without it small SSE frames wait for delayed ACKs)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    sock.listen(256)
    return sock


def config_env(config: AppConfig) -> dict[str, str]:
    """`config` as the environment variables `AppConfig.from_env` reads (for worker processes)."""
    env = {}
    for field, var in ENV.items():
        value = getattr(config, field)
        env[var] = "" if value is None else str(value)
    return env


def app_from_env() -> Any:
    """uvicorn factory (workers, reload): the App's ASGI app from this process's environment. Each
    worker says when it is built (after a reload: the new code and spec answer from here on)."""
    config = AppConfig.from_env(os.environ)
    app = build_server(config).app
    print(f"agent-lib app: worker {os.getpid()} ready ({config.spec_path})", file=sys.stderr, flush=True)
    return app


def serve(config: AppConfig, *, port: int = 8000, bind: str = "127.0.0.1", workers: int = 1,
          reload: bool = False, reload_dirs: Sequence[str] = (), ready: Any = None) -> None:
    """Serve the App until interrupted. One worker runs in this process; more workers, or reload,
    run uvicorn's process manager over `app_from_env` with `config` passed in the environment.
    The socket is bound before `ready(url)` is called, so a request sent from then on waits for
    the server instead of being refused."""
    import uvicorn

    if workers < 1:
        raise AppConfigError(f"workers must be 1 or more, got {workers}")
    if workers > 1 or reload:
        _serve_processes(config, port=port, bind=bind, workers=workers, reload=reload,
                         reload_dirs=reload_dirs, ready=ready)
        return
    built = build_server(config)
    sock = listen(bind, port)
    try:
        server = uvicorn.Server(uvicorn.Config(built.app, log_level="warning", access_log=False,
                                               timeout_graceful_shutdown=3))
        if ready is not None:
            ready(f"http://{bind}:{sock.getsockname()[1]}")
        server.run(sockets=[sock])
    finally:
        sock.close()
        built.close()


def _serve_processes(config: AppConfig, *, port: int, bind: str, workers: int, reload: bool,
                     reload_dirs: Sequence[str], ready: Any) -> None:
    """uvicorn's worker processes (or the reloader, `reload.SourceReload`) over `app_from_env`, on a
    socket bound here. An embedded emulated workspace is started here, once, and the workers connect
    to it; it stops when they have."""
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    from ..workspace import connect

    if config.dev_user:
        raise AppConfigError("dev_user needs the single-process App (it mints tokens in the embedded "
                             "emulated workspace): drop --workers/--reload, or the development user")
    emulated = None
    if config.workspace == "emulated" and not config.host:
        emulated = connect("emulated", state_dir=config.state_dir)
        config = config.model_copy(update={"host": emulated.host})
        assert emulated.emulator is not None
        os.environ["DATABRICKS_TOKEN"] = emulated.emulator.token  # the workers' identity; never printed
        if config.experiment_name:  # created once here: workers racing to create the local store collide
            from ..tracking import use_experiment

            use_experiment(emulated, config.experiment_name, state_dir=config.state_dir)
    os.environ.update(config_env(config))
    sock = None
    try:
        sock = listen(bind, port)
        settings = uvicorn.Config("agent_lib.app.server:app_from_env", factory=True, log_level="warning",
                                  access_log=False, timeout_graceful_shutdown=3, reload=reload,
                                  workers=1 if reload else workers)
        if ready is not None:
            ready(f"http://{bind}:{sock.getsockname()[1]}")
        if reload:
            from .reload import SourceReload, watched_dirs

            SourceReload(settings, target=uvicorn.Server(settings).run, sockets=[sock], spec_path=config.spec_path,
                         dirs=watched_dirs(config.spec_path, reload_dirs)).run()
        else:
            Multiprocess(settings, sockets=[sock]).run()
    finally:
        if sock is not None:
            sock.close()
        if emulated is not None:
            emulated.close()


def main(argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    """The App's command (`python -m agent_lib.app`): settings from the environment (`app.yaml`)."""
    env = os.environ if env is None else env
    parser = argparse.ArgumentParser(prog="python -m agent_lib.app", description="Serve the agent App.")
    parser.add_argument("--port", type=int, default=int(env.get("DATABRICKS_APP_PORT") or 8000))
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("mlflow", "httpx", "databricks", "mcp"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    config = AppConfig.from_env(env)
    bind = env.get("HOST") or ("0.0.0.0" if config.deployed else "127.0.0.1")
    serve(config, port=args.port, bind=bind, workers=args.workers,
          ready=lambda url: log.info("agent App %s serving on %s", config.spec_path, url))
    return 0


if __name__ == "__main__":
    sys.exit(main())
