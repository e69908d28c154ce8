"""The agent App: the user's agent served as a Databricks App (chat page, `/invocations`, auth).

    from agent_lib.app import AppConfig, build_server

    server = build_server(AppConfig(spec_path="agent.yml"))     # an MLflow AgentServer
    server.app                                                  # its FastAPI app (ASGI)

What Databricks' agent templates produce, on our Supervisor: MLflow's `AgentServer("ResponsesAgent")`
with one `@invoke` and one `@stream` handler (`handlers.py`), serving `POST /invocations` and
`/responses`, `GET /health`, and a self-served chat page at `/` (`static/chat.html`). A guard in front
of the handlers (`guard.py`) answers bad input with 400 and a JSON reason, and a user-authorized App
without `x-forwarded-access-token` with 401. Who calls the tools (`auth.py`): the App's own identity
(`authorization: app`) or, per request, the signed-in user (`authorization: user`).

In a deployed App the command is `python -m agent_lib.app` (`app/app.yaml`); locally,
`agent-lib app` serves the same App against the emulated workspace. Deployment: `agent_lib.deploy`.
"""

from .config import AppConfig

__all__ = ["AppConfig", "build_server"]


def build_server(config: AppConfig, **kwargs):  # -> server.AppServer (imports mlflow)
    """The App's `AgentServer` for `config` (see `server.build_server`)."""
    from .server import build_server as _build

    return _build(config, **kwargs)
