"""The agent spec: one declaration (agent.yml) of model, instructions, engine, auth and hosted tools.

    spec = load_spec("agent.yml", overrides={"engine": "hosted"})
    body = supervisor_request(spec, "What is the status of order 1042?")

Invalid specs fail here, before any network call, with `SpecError(field, problem, fix)`.
"""

from agent_lib.spec.derive import (
    Permission,
    app_user_scopes,
    bundle_app_resources,
    function_tool_name,
    ka_endpoint_fallback,
    required_permissions,
    supervisor_request,
    user_scopes,
)
from agent_lib.spec.load import apply_overrides, load_spec, spec_from_dict, spec_to_yaml
from agent_lib.spec.model import AgentSpec, Authorization, Engine
from agent_lib.spec.tools import (
    RETIRED_TOOL_TYPES,
    TOOL_TYPES,
    App,
    AppTool,
    GenieSpace,
    GenieSpaceTool,
    HostedTool,
    KnowledgeAssistant,
    KnowledgeAssistantTool,
    UcConnection,
    UcConnectionTool,
    UcFunction,
    UcFunctionTool,
)

__all__ = [
    "RETIRED_TOOL_TYPES",
    "TOOL_TYPES",
    "AgentSpec",
    "App",
    "AppTool",
    "Authorization",
    "Engine",
    "GenieSpace",
    "GenieSpaceTool",
    "HostedTool",
    "KnowledgeAssistant",
    "KnowledgeAssistantTool",
    "Permission",
    "UcConnection",
    "UcConnectionTool",
    "UcFunction",
    "UcFunctionTool",
    "app_user_scopes",
    "apply_overrides",
    "bundle_app_resources",
    "function_tool_name",
    "ka_endpoint_fallback",
    "load_spec",
    "required_permissions",
    "spec_from_dict",
    "spec_to_yaml",
    "supervisor_request",
    "user_scopes",
]
