"""`agent-lib app`: serve the agent App locally (chat page, /invocations, /responses)."""

from __future__ import annotations

import argparse

from .options import port, state_folder, workspace_options


def add_parser(commands: argparse._SubParsersAction) -> argparse.ArgumentParser:
    app = commands.add_parser("app", help="serve the agent App locally (chat page, /invocations, /responses)",
                              description="Serve the agent of --spec as its Databricks App would: the chat page "
                                          "at /, POST /invocations and /responses, GET /health. Against the "
                                          "embedded emulated workspace by default, or a real one (--workspace).")
    app.add_argument("--port", type=port, default=8000, help="port on 127.0.0.1 (default 8000; 0 = a free one)")
    app.add_argument("--reload", action="store_true",
                     help="restart when the spec or Python code changes (development): watches the spec file, "
                          "*.py under its folder and agent_lib's own source")
    app.add_argument("--reload-dir", action="append", default=[], metavar="DIR",
                     help="with --reload, also watch *.py under DIR (repeatable)")
    app.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    workspace_options(app)
    app.add_argument("--experiment", default="/Shared/agent-lib", help="MLflow experiment for traces")
    app.add_argument("--dev-user", default="", metavar="USER",
                     help="DEVELOPMENT ONLY: with authorization: user, act as USER when a request has no "
                          "x-forwarded-access-token (refused in a deployed App)")
    return app


def run(args: argparse.Namespace) -> int:
    """Serve the agent App locally until Ctrl-C (which stops it and the workspace it started)."""
    from pathlib import Path

    from ..app import AppConfig
    from ..app.server import serve
    from ..errors import AgentLibError

    config = AppConfig(spec_path=args.spec, workspace=args.workspace, host=args.host,
                       state_dir=state_folder(args.state), experiment_name=args.experiment or None,
                       dev_user=args.dev_user or None)

    def ready(url: str) -> None:
        print(f"agent-lib app: serving {args.spec} at {url}  (chat page /, POST /invocations, "
              "/responses, GET /health; Ctrl-C stops it)", flush=True)

    if args.reload_dir and not args.reload:
        raise AgentLibError("--reload-dir only applies with --reload")
    for folder in args.reload_dir:
        if not Path(folder).is_dir():
            raise AgentLibError(f"--reload-dir {folder!r} is not a folder")
    serve(config, port=args.port, workers=args.workers, reload=args.reload, reload_dirs=args.reload_dir,
          ready=ready)
    return 0
