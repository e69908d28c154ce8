"""Managed MCP servers: the rules behind each kind, gathered where the routes and tests find them.

No HTTP here (`routes.py` speaks the transport). Each kind of server has its own module; the names
the routes, the tests and the hosted Supervisor loop use are re-exported here:

* `uc_functions.py`  `/api/2.0/mcp/functions/{catalog}/{schema}[/{function}]`: UC functions as tools
  (`FunctionsServer`), as the caller may list and execute them.
* `genie_tools.py`   `/api/2.0/mcp/genie/{space_id}`: a Genie space's `query_space_<id>` /
  `poll_response_<id>` tools (`GenieServer`).
* `external.py`      `/api/2.0/mcp/external/{connection}`: where a UC connection's MCP server is
  (`external_target`, `Upstream`), and `connection_tools` / `call_connection_tool` in process.
"""

from __future__ import annotations

from .external import (  # noqa: F401  (re-exported)
    CONNECTION_SCOPES,
    Upstream,
    call_connection_tool,
    connection_tools,
    external_target,
    get_connection,
    is_mcp_connection,
    upstream_of,
)
from .genie_tools import GENIE_MAX_ROWS, GENIE_SCOPES, GenieServer, genie_answer  # noqa: F401
from .uc_functions import (  # noqa: F401  (re-exported)
    FUNCTION_SCOPES,
    FunctionsServer,
    full_name_of,
    function_tool,
    input_schema,
    result_text,
    tool_name,
)
