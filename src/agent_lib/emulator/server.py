"""The emulator's FastAPI application: one router per Databricks service, Databricks' error envelope.

Routers live in `agent_lib.emulator.<service>.routes` (state and rules in that service's
`models.py`), mirroring the SDK's `databricks/sdk/service/*.py` split; `services.SERVICES` lists
them once. `create_app` wires them to one `EmulatorState`; `embedded.start` and the `agent-lib
emulator` command serve it.
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI
from pydantic import BaseModel

from .core.body_guard import BodyGuard
from .core.deps import Caller, State
from .core.errors import install_handlers, permission_denied
from .core.faults import FaultInjection
from .core.faults import router as faults_router
from .core.latency import ToolLatency
from .core.openapi import OPENAPI_PATH, describe
from .core.state import WORKSPACE_ID, EmulatorState
from .services import SERVICES, install

meta = APIRouter()


@meta.get("/.well-known/databricks-config")
def databricks_config(state: State) -> dict[str, str]:
    """What the SDK reads when a client is built; with it, no 404 warning and OAuth discovery works."""
    return {"oidc_endpoint": f"{state.host}/oidc", "workspace_id": WORKSPACE_ID, "cloud": "aws"}


class TokenRequest(BaseModel):
    user_name: str
    scopes: list[str] | None = None


@meta.post("/_emulator/reset")
def reset(state: State, caller: Caller) -> dict[str, str]:
    """Back to the seeded demo workspace (admins only): the tests' clean slate."""
    if not caller.admin:
        raise permission_denied("Only workspace admins can reset the emulated workspace.")
    state.reset()
    return {"status": "reset"}


@meta.post("/_emulator/tokens")
def mint_token(body: TokenRequest, state: State, caller: Caller) -> dict[str, str]:
    """A token for a named user (admins only), e.g. to act as `alice@example.com` in a demo."""
    if not caller.admin:
        raise permission_denied("Only workspace admins can mint tokens for other users.")
    return {"token_value": state.user_token(body.user_name, body.scopes)}


def create_app(state: EmulatorState) -> FastAPI:
    app = FastAPI(title="agent_lib emulated Databricks workspace", docs_url=None, redoc_url=None,
                  openapi_url=OPENAPI_PATH)
    app.openapi = lambda: app.openapi_schema or _described(app)  # type: ignore[method-assign]
    app.state.emulator = state
    install_handlers(app)
    install()
    app.add_middleware(ToolLatency, state=state)
    app.add_middleware(FaultInjection, state=state)
    app.add_middleware(BodyGuard)  # outermost: hostile bodies never reach a route
    app.include_router(meta)
    app.include_router(faults_router)
    for service in SERVICES:
        app.include_router(service.router)
    return app


def _described(app: FastAPI) -> dict:
    app.openapi_schema = describe(app)
    return app.openapi_schema
