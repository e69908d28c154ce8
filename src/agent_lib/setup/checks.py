"""One check per hosted tool type (and the model): does the resource exist and can the caller use it?

Each check returns a `Row` and never raises for a workspace answer: a missing resource, a denied
call or a stopped App is a row with the fix, so the whole table is shown before anything fails.
`CHECKS` names the check of each hosted tool type; inside a check `_get` ends it early with the
problem row when the resource is missing or not visible.
Only UC functions are created or replaced here (from their definition files); the others cannot be
created from a spec and are reported.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from databricks.sdk.errors import DatabricksError, NotFound, PermissionDenied

from ..access import acl_level, implies, me
from ..errors import ResourceError
from .definitions import differences, read_definition

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient

    from ..spec import AgentSpec, HostedTool

OK, CREATED, REPLACED, PROBLEM = "ok", "created", "replaced", "problem"

CHAT_TASKS = ("llm/v1/chat",)
"""Serving endpoint tasks both engines can drive as the agent's model (chat / Responses)."""


@dataclass(frozen=True)
class Row:
    tool: str
    resource: str
    status: str
    action: str = ""
    fix: str = ""


def _problem(tool: str, resource: str, what: str, fix: str) -> Row:
    return Row(tool, resource, PROBLEM, what, fix)


def _error(exc: DatabricksError) -> str:
    return f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"


T = TypeVar("T")


class _Stop(Exception):
    """Ends a check early with its problem row (`check_model` and `check_tool` return it)."""

    def __init__(self, row: Row) -> None:
        super().__init__(row.action)
        self.row = row


def _get(get: Callable[[], T], tool: str, resource: str, what: str, fix: str) -> T:
    """What `get()` returns; a missing or denied resource ends the check: `what` (with the error), `fix`."""
    try:
        return get()
    except (NotFound, PermissionDenied) as exc:  # Databricks answers 403 for some missing resources
        raise _Stop(_problem(tool, resource, f"{what} ({_error(exc)})", fix)) from None


def _ready(endpoint: Any) -> str:
    """A serving endpoint's readiness (READY, NOT_READY, or unknown)."""
    return endpoint.state.ready.value if endpoint.state and endpoint.state.ready else "unknown"


def check_model(w: WorkspaceClient, spec: AgentSpec) -> Row:
    """The model's serving endpoint exists, is READY and serves a chat task."""
    try:
        return _check_model(w, spec)
    except _Stop as stop:
        return stop.row


def _check_model(w: WorkspaceClient, spec: AgentSpec) -> Row:
    tool, resource = "model", f"serving endpoint {spec.model}"
    ep = _get(lambda: w.serving_endpoints.get(spec.model), tool, resource, "not found or not visible",
              "set model in agent.yml to a serving endpoint of this workspace "
              "(see its Serving page), e.g. databricks-claude-sonnet-4-5")
    ready = _ready(ep)
    if ready != "READY":
        return _problem(tool, resource, f"endpoint state is {ready}, not READY",
                        "wait until the endpoint is READY (Serving page) or choose another model")
    if ep.task not in CHAT_TASKS:
        return _problem(tool, resource, f"task {ep.task!r} is not a chat task the {spec.engine} engine can use",
                        "choose a chat foundation model endpoint (task llm/v1/chat)")
    return Row(tool, resource, OK, f"READY, task {ep.task}")


def check_genie(w: WorkspaceClient, tool: HostedTool) -> Row:
    """The space exists, the caller can run it, and its warehouse is usable."""
    resource = f"Genie space {tool.ref}"
    space = _get(lambda: w.genie.get_space(tool.ref), tool.label, resource, "missing or not shared with you",
                 "check genie_space.id (the 32-hex id in the space's URL) and ask its owner for CAN_RUN")
    resource = f"Genie space {space.title or tool.ref} ({tool.ref})"
    try:
        level, _ = acl_level(w, "genie", tool.ref, me(w))
    except PermissionDenied:  # reading a space's ACL may need CAN_MANAGE; seeing the space proves CAN_VIEW
        level = "CAN_VIEW or higher (its permissions are not readable to you)"
    else:
        if not implies("genie", level, "CAN_RUN"):
            return _problem(tool.label, resource, f"you hold {level or 'no permission'}, not CAN_RUN",
                            "ask the space's owner for CAN_RUN (Share in the Genie space)")
    if space.warehouse_id:
        wh = _get(lambda: w.warehouses.get(space.warehouse_id), tool.label, resource,
                  f"its SQL warehouse {space.warehouse_id} is not usable", "ask for CAN_USE on the space's SQL warehouse")
        state = wh.state.value if wh.state else "unknown"
        if state in ("DELETED", "DELETING"):
            return _problem(tool.label, resource, f"its SQL warehouse {wh.name} is {state}",
                            "attach a running SQL warehouse to the space (space settings)")
        return Row(tool.label, resource, OK, f"you hold {level}; warehouse {wh.name} is {state}")
    return Row(tool.label, resource, OK, f"you hold {level}")


def check_function(w: WorkspaceClient, tool: HostedTool, spec_dir: Path, *, create: bool = True) -> Row:
    """The function exists; created or replaced from its definition file when it is given.

    With `create=False` (a read-only check, as `agent-lib doctor` runs) a function that would be
    created or replaced is reported as a problem whose fix is to run notebook 01.
    """
    from databricks.sdk.service.catalog import CreateFunction

    name = tool.ref
    definition = getattr(tool.config, "definition", None)
    resource = f"function {name}" + (f" ({definition})" if definition else "")
    desired: dict[str, Any] | None = None
    if definition:
        try:
            desired = read_definition(spec_dir / definition, name, f"{tool.label} definition {definition}")
        except ResourceError as exc:
            return _problem(tool.label, resource, exc.problem, exc.fix)
    try:
        current = w.functions.get(name).as_dict()
    except NotFound:
        current = None
    except PermissionDenied as exc:
        return _problem(tool.label, resource, f"exists but you cannot use it ({_error(exc)})",
                        f"ask its owner for EXECUTE on {name} (and USE CATALOG / USE SCHEMA)")
    if current is None and desired is None:
        return _problem(tool.label, resource, "the function does not exist",
                        "create it in the workspace, or add a definition file next to agent.yml and "
                        "set uc_function.definition to it so notebook 01 creates it")
    changed = differences(desired, current) if desired is not None and current is not None else []
    if current is not None and not changed:
        return Row(tool.label, resource, OK, "exists" + (", definition unchanged" if desired else ""))
    if not create:
        what = f"its definition changed ({', '.join(changed)})" if changed else "the function does not exist"
        return _problem(tool.label, resource, what,
                        f"run notebook 01_setup_tools (or agent-lib setup) to {'replace' if changed else 'create'} "
                        "it from its definition file")
    try:
        if changed:
            w.functions.delete(name)
        w.functions.create(CreateFunction.from_dict(desired))  # type: ignore[arg-type]
    except DatabricksError as exc:
        return _problem(tool.label, resource, f"could not {'replace' if changed else 'create'} it "
                        f"({_error(exc)})", f"you need USE CATALOG, USE SCHEMA and CREATE FUNCTION on "
                        f"{'.'.join(name.split('.')[:2])} (and MANAGE on the function to replace it)")
    if changed:
        return Row(tool.label, resource, REPLACED,
                   f"replaced: {', '.join(changed)} changed (run 02 again: grants on it were reset)")
    return Row(tool.label, resource, CREATED, "created from its definition")


def check_knowledge_assistant(w: WorkspaceClient, tool: HostedTool) -> Row:
    """The assistant exists and is ACTIVE, and its serving endpoint is READY."""
    resource = f"Knowledge Assistant {tool.ref}"
    ka = _get(lambda: w.knowledge_assistants.get_knowledge_assistant(f"knowledge-assistants/{tool.ref}"),
              tool.label, resource, "missing or not shared with you",
              "check knowledge_assistant_id (the assistant's id, not its endpoint name) and ask its owner "
              "for CAN_QUERY")
    resource = f"Knowledge Assistant {ka.display_name or tool.ref} (endpoint {ka.endpoint_name})"
    state = ka.state.value if ka.state else "unknown"
    if state != "ACTIVE":
        return _problem(tool.label, resource, f"state is {state}, not ACTIVE",
                        "wait until the assistant is ACTIVE (Agent Bricks page), or fix its knowledge sources")
    ep = _get(lambda: w.serving_endpoints.get(ka.endpoint_name or ""), tool.label, resource,
              "its endpoint is not usable", "ask for CAN_QUERY on the assistant's serving endpoint")
    ready = _ready(ep)
    if ready != "READY":
        return _problem(tool.label, resource, f"endpoint state is {ready}, not READY",
                        "wait until the endpoint is READY")
    return Row(tool.label, resource, OK, "ACTIVE, endpoint READY")


def check_connection(w: WorkspaceClient, tool: HostedTool) -> Row:
    """The connection exists and is an MCP connection."""
    resource = f"UC connection {tool.ref}"
    conn = _get(lambda: w.connections.get(tool.ref), tool.label, resource, "missing or not visible",
                "check uc_connection.name, and ask its owner for USE CONNECTION")
    if str((conn.options or {}).get("is_mcp_connection", "")).lower() != "true":
        return _problem(tool.label, resource, "is not an MCP connection (options.is_mcp_connection is not true)",
                        "point uc_connection at an HTTP connection created as an MCP server connection")
    return Row(tool.label, resource, OK, "MCP connection")


def check_app(w: WorkspaceClient, tool: HostedTool) -> Row:
    """The App exists and is running."""
    resource = f"App {tool.ref}"
    app = _get(lambda: w.apps.get(tool.ref), tool.label, resource, "missing or not shared with you",
               "check app.name, and ask the App's owner for CAN_USE")
    state = app.app_status.state.value if app.app_status and app.app_status.state else "unknown"
    if state != "RUNNING":
        return _problem(tool.label, resource, f"App status is {state}, not RUNNING",
                        f"start and deploy it (databricks apps start {tool.ref}; databricks apps deploy)")
    return Row(tool.label, resource, OK, "RUNNING")


CHECKS: dict[str, Callable[[WorkspaceClient, HostedTool, Path, bool], Row]] = {
    "genie_space": lambda w, tool, _, __: check_genie(w, tool),
    "uc_function": lambda w, tool, spec_dir, create: check_function(w, tool, spec_dir, create=create),
    "knowledge_assistant": lambda w, tool, _, __: check_knowledge_assistant(w, tool),
    "uc_connection": lambda w, tool, _, __: check_connection(w, tool),
    "app": lambda w, tool, _, __: check_app(w, tool),
}
"""The check of each hosted tool type: a new tool type is one entry here."""


def check_tool(w: WorkspaceClient, tool: HostedTool, spec_dir: Path, *, create: bool = True) -> Row:
    """The row of one tool (its type's check; a missing or denied resource is a problem row)."""
    try:
        return CHECKS[tool.type](w, tool, spec_dir, create)
    except _Stop as stop:
        return stop.row
