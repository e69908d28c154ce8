"""Every emulated service, declared once: what it serves, seeds, owns and executes.

`SERVICES` is the one static list the workspace is built from, in the order the demo is seeded:
`server.create_app` includes each router and registers the permission object types and
serving-endpoint kinds (`install`); `new_state` hands the state each service's `seed`, its tool
requests (what the injected tool latency delays) and the SQL warehouse. A service renamed or removed fails here,
at import, instead of silently dropping out of the workspace.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter

from .apps import demo as apps_demo
from .apps import records as apps_records
from .apps import routes as apps_routes
from .catalog import demo as catalog_demo
from .catalog import functions as uc_functions
from .catalog import routes as catalog_routes
from .core.latency import ToolRequests
from .core.state import EmulatorConfig, EmulatorState
from .genie import demo as genie_demo
from .genie import models as genie_models
from .genie import routes as genie_routes
from .iam import demo as iam_demo
from .iam import routes as iam_routes
from .knowledge import demo as knowledge_demo
from .knowledge import models as knowledge_models
from .knowledge import routes as knowledge_routes
from .mcp import demo as mcp_demo
from .mcp import routes as mcp_routes
from .mlflow_tracking import models as mlflow_models
from .mlflow_tracking import routes as mlflow_routes
from .mlflow_tracking import upstream as mlflow_upstream
from .oauth import routes as oauth_routes
from .permissions import models as permissions
from .permissions import routes as permissions_routes
from .serving import demo as serving_demo
from .serving import judge as serving_judge
from .serving import models as serving_models
from .serving import routes as serving_routes
from .sql import demo as sql_demo
from .sql import routes as sql_routes
from .sql import warehouses
from .supervisor import routes as supervisor_routes
from .warehouse import Warehouse
from .workspace_files import routes as workspace_files_routes

ExistsFn = Callable[[EmulatorState, str], bool]


@dataclass(frozen=True)
class Service:
    """One Databricks service of the emulated workspace."""

    name: str
    router: APIRouter
    seed: Callable[[EmulatorState], None] | None = None
    """Its part of the demo story, run once at first start (in list order)."""
    object_types: Mapping[str, ExistsFn] = field(default_factory=dict)
    """Workspace object types it owns in `/api/2.0/permissions/{type}/{id}`, with `exists(state, id)`."""
    endpoint_kinds: Mapping[str, serving_models.Answerer] = field(default_factory=dict)
    """Serving-endpoint kinds it answers (other kinds are answered by the endpoint's model)."""
    tool_requests: tuple[ToolRequests, ...] = ()
    """The requests that execute one of its tools (delayed once by the injected tool latency)."""


_GENIE_ASK = re.compile(r"^/api/2\.0/genie/spaces/[^/]+/(start-conversation|conversations/[^/]+/messages)/?$")
_STATEMENTS = "/api/2.0/sql/statements"
_MCP = "/api/2.0/mcp/"
_SERVING_BODY = ("/serving-endpoints/responses", "/serving-endpoints/chat/completions")
_INVOCATIONS = re.compile(r"^/serving-endpoints/([^/]+)/invocations/?$")


def _mcp_tools_call(state: EmulatorState, path: str, body: Any) -> bool:
    messages = body if isinstance(body, list) else [body]
    return any(isinstance(m, dict) and m.get("method") == "tools/call" for m in messages)


def _ka_named_in_body(state: EmulatorState, path: str, body: Any) -> bool:
    return isinstance(body, dict) and knowledge_models.is_endpoint(state, body.get("model"))


def _ka_named_in_path(state: EmulatorState, path: str, body: Any) -> bool:
    match = _INVOCATIONS.match(path)
    return match is not None and knowledge_models.is_endpoint(state, match.group(1))


SERVICES: tuple[Service, ...] = (
    Service("iam", iam_routes.router, seed=iam_demo.seed),
    Service("oauth", oauth_routes.router),
    Service("catalog", catalog_routes.router, seed=catalog_demo.seed),
    Service("sql", sql_routes.router, seed=sql_demo.seed,
            object_types={"warehouses": warehouses.exists},
            tool_requests=(ToolRequests("uc_function", lambda path: path == _STATEMENTS, body=True,
                                        executes=uc_functions.statement_calls_function),)),
    Service("permissions", permissions_routes.router),
    Service("serving", serving_routes.router, seed=serving_demo.seed,
            object_types={serving_models.OBJECT_TYPE: serving_models.exists_id},
            endpoint_kinds={serving_models.JUDGE: serving_judge.endpoint_answer}),
    Service("genie", genie_routes.router, seed=genie_demo.seed,
            object_types={genie_models.OBJECT_TYPE: genie_models.exists},
            tool_requests=(ToolRequests("genie", lambda path: _GENIE_ASK.match(path) is not None),)),
    Service("knowledge", knowledge_routes.router, seed=knowledge_demo.seed,
            object_types={knowledge_models.OBJECT_TYPE: knowledge_models.exists},
            endpoint_kinds={serving_models.KNOWLEDGE_ASSISTANT: knowledge_models.endpoint_answer},
            tool_requests=(ToolRequests("knowledge_assistant", lambda path: path in _SERVING_BODY, body=True,
                                        executes=_ka_named_in_body),
                           ToolRequests("knowledge_assistant", lambda path: _INVOCATIONS.match(path) is not None,
                                        executes=_ka_named_in_path))),
    Service("mcp", mcp_routes.router, seed=mcp_demo.seed,
            tool_requests=(ToolRequests("mcp", lambda path: path.startswith(_MCP), body=True,
                                        executes=_mcp_tools_call),)),
    Service("apps", apps_routes.router, seed=apps_demo.seed, object_types={"apps": apps_records.exists}),
    Service("workspace_files", workspace_files_routes.router),
    Service("supervisor", supervisor_routes.router),
    Service("mlflow_tracking", mlflow_routes.router,
            object_types={mlflow_models.OBJECT_TYPE: mlflow_upstream.experiment_exists}),
)


def install() -> None:
    """Register every service's permission object types and serving-endpoint kinds (idempotent)."""
    for service in SERVICES:
        for object_type, exists in service.object_types.items():
            permissions.register_object_type(object_type, exists)
        for kind, answerer in service.endpoint_kinds.items():
            serving_models.register_endpoint_kind(kind, answerer)


def _warehouse(state: EmulatorState) -> Warehouse:
    """The SQL database (demo data, UC tables); a file beside the state file when persistent."""
    path = state.config.state_path
    return Warehouse(path.with_name("warehouse.db") if path else None)


def new_state(config: EmulatorConfig | None = None) -> EmulatorState:
    """A workspace's state with every service's seed and the SQL warehouse."""
    return EmulatorState(config, seeders=[s.seed for s in SERVICES if s.seed is not None],
                         warehouse=_warehouse, tool_requests=[r for s in SERVICES for r in s.tool_requests])


__all__ = ["SERVICES", "Service", "install", "new_state"]
