"""The demo company's ticketing system as a real MCP server (the demo UC connection `ticketing`).

    python -m agent_lib.emulator.mcp.ticketing --port 8765 [--db tickets.db]

serves `create_ticket`, `search_tickets` and `get_ticket` over MCP streamable HTTP at
`http://127.0.0.1:<port>/mcp`. The emulated workspace starts it on first use as a child process
(`agent_lib.emulator.mcp.servers`) and stops it when the workspace stops. Data: `data.py`.
"""
