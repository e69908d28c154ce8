"""Managed MCP: UC functions and Genie spaces as MCP servers, and the external MCP proxy.

`routes.py` serves `/api/2.0/mcp/functions/...`, `/api/2.0/mcp/genie/...` and
`/api/2.0/mcp/external/{connection}` over MCP streamable HTTP; the rules of each kind of server
live in `uc_functions.py`, `genie_tools.py` and `external.py` (over the catalog and Genie
services); `protocol.py` is the stateless JSON-RPC
server, `servers.py` the built-in MCP servers the emulator starts on first use (the demo's
`ticketing` server, package `ticketing/`), `demo.py` the demo's part: the `ticketing` connection
points at that server.
"""
