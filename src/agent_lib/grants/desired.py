"""The desired state: which principal needs which level on which workspace object, resolved to ids.

`agent_lib.spec.required_permissions` says what the tools need in the spec's own terms (a model
name, a Knowledge Assistant id); this module turns each need into the object the permissions API
takes (a serving endpoint's **id**, the assistant's endpoint, the SQL warehouse) for one principal.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from databricks.sdk.errors import DatabricksError

from ..access import LEVELS, Principal
from ..errors import ResourceError
from ..spec import required_permissions

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient

    from ..spec import AgentSpec

UC_PRIVILEGES = {"catalog": ("USE_CATALOG",), "schema": ("USE_SCHEMA",), "function": ("EXECUTE",),
                 "connection": ("USE_CONNECTION",)}
"""The UC privileges agent_lib grants, per securable type."""

APP_SP = "app"
"""`Grant.who` of the agent App's service principal (known once the App exists)."""


@dataclass(frozen=True)
class Grant:
    """`level` on one object for one principal; `who` is `app` (the App's SP) or a principal name."""

    who: str
    system: Literal["acl", "uc"]
    object_type: str
    """acl: `genie`, `serving-endpoints`, `apps`, `warehouses`, `experiments`; uc: `catalog`, ..."""
    object_id: str
    label: str
    level: str
    reason: str

    def __post_init__(self) -> None:
        valid = LEVELS.get(self.object_type, ()) if self.system == "acl" else \
            UC_PRIVILEGES.get(self.object_type, ())
        if self.level not in valid:
            raise ResourceError(self.label, f"{self.level} is not a permission a {self.object_type} has",
                                f"use one of: {', '.join(valid) or '(none: the type is not supported)'}")

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.who, self.label, self.level)


@dataclass(frozen=True)
class Resolved:
    """Workspace ids the grants and the App's resources need, looked up once per plan."""

    endpoint_ids: dict[str, str]
    """serving endpoint name -> id (the permissions API takes the id)."""
    ka_endpoints: dict[str, str]
    """Knowledge Assistant id -> its serving endpoint's name."""
    warehouse_id: str | None
    problems: tuple[tuple[str, str, str], ...]
    """(resource, problem, fix) of what could not be resolved: shown in the plan, never half-applied."""


def resolve(w: WorkspaceClient, spec: AgentSpec, warehouse_id: str = "") -> Resolved:
    """Look up endpoint ids, assistants' endpoints and the SQL warehouse the tools run on."""
    problems: list[tuple[str, str, str]] = []
    ka_endpoints: dict[str, str] = {}
    names = [spec.model]
    for tool in spec.tools:
        if tool.type != "knowledge_assistant":
            continue
        try:
            ka = w.knowledge_assistants.get_knowledge_assistant(f"knowledge-assistants/{tool.ref}")
        except DatabricksError as exc:
            problems.append((tool.label, f"cannot be read ({type(exc).__name__})",
                             "check knowledge_assistant_id and run notebook 01 first"))
            continue
        ka_endpoints[tool.ref] = ka.endpoint_name or ""
        names.append(ka.endpoint_name or "")
    endpoint_ids: dict[str, str] = {}
    for name in names:
        try:
            endpoint_ids[name] = w.serving_endpoints.get(name).id or ""
        except DatabricksError as exc:
            problems.append((f"serving endpoint {name}", f"cannot be read ({type(exc).__name__})",
                             "check the model / assistant in agent.yml and run notebook 01 first"))
    return Resolved(endpoint_ids, ka_endpoints, _warehouse(w, spec, warehouse_id, problems), tuple(problems))


def _warehouse(w: WorkspaceClient, spec: AgentSpec, chosen: str,
               problems: list[tuple[str, str, str]]) -> str | None:
    """The warehouse Genie spaces and UC functions run on: the chosen one, the space's, or the first."""
    if chosen or not any(t.type in ("genie_space", "uc_function") for t in spec.tools):
        return chosen or None
    for tool in spec.tools:
        if tool.type == "genie_space":
            try:
                found = w.genie.get_space(tool.ref).warehouse_id
            except DatabricksError:
                continue
            if found:
                return found
    first = next(iter(w.warehouses.list()), None)
    if first is None or not first.id:
        problems.append(("SQL warehouse", "no SQL warehouse is visible to you",
                         "pass warehouse_id, the warehouse the UC functions run on"))
        return None
    return first.id


def desired_grants(spec: AgentSpec, who: str, resolved: Resolved, *,
                   experiment_id: str | None = None) -> list[Grant]:
    """Every grant `who` needs for the spec's tools and model (and the experiment, for the App)."""
    out: list[Grant] = []
    for need in required_permissions(spec):
        kind, ref, level = need.resource_type, need.resource, need.level
        if kind == "serving_endpoint":
            if ref in resolved.endpoint_ids:
                out.append(Grant(who, "acl", "serving-endpoints", resolved.endpoint_ids[ref],
                                 f"serving endpoint {ref}", level, need.reason))
        elif kind == "knowledge_assistant":
            endpoint = resolved.ka_endpoints.get(ref)
            if endpoint and endpoint in resolved.endpoint_ids:
                out.append(Grant(who, "acl", "serving-endpoints", resolved.endpoint_ids[endpoint],
                                 f"serving endpoint {endpoint}", "CAN_QUERY", need.reason))
        elif kind == "genie_space":
            out.append(Grant(who, "acl", "genie", ref, f"Genie space {ref}", level, need.reason))
        elif kind == "app":
            out.append(Grant(who, "acl", "apps", ref, f"App {ref}", level, need.reason))
        else:  # catalog, schema, function, connection: Unity Catalog privileges
            out.append(Grant(who, "uc", kind, ref, f"{kind} {ref}", level, need.reason))
    if resolved.warehouse_id:
        users = [t.label for t in spec.tools if t.type in ("genie_space", "uc_function")]
        out.append(Grant(who, "acl", "warehouses", resolved.warehouse_id,
                         f"SQL warehouse {resolved.warehouse_id}", "CAN_USE", "; ".join(users)))
    if experiment_id and who == APP_SP:
        out.append(Grant(who, "acl", "experiments", experiment_id, f"MLflow experiment {experiment_id}",
                         "CAN_EDIT", "the App logs traces and evaluation runs"))
    return out


def principal_for(who: str, app_sp: Principal | None, users: dict[str, Principal]) -> Principal | None:
    return app_sp if who == APP_SP else users.get(who)
