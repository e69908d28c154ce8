"""Unity Catalog: catalogs, schemas, functions (and running them), connections and grants.

`models.py` holds the rules of catalogs, schemas and functions; `functions.py` runs functions
(`execute_function`); `connections.py` the connections (`get_connection` for the MCP proxy);
`grants.py` the permissions API; `routes.py` the HTTP routes; `demo.py` the demo's part.
"""
