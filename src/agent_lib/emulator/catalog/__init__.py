"""Unity Catalog: catalogs, schemas, functions (and running them), connections and grants.

* `models.py`        the rules of catalogs, schemas and functions (create, get, list, update, delete)
* `securables.py`    what every securable shares: names, audit fields, ownership, pagination
* `function_info.py` the checks of a `FunctionInfo` at create
* `functions.py`     running functions (`execute_function`), their SQL bodies and calls inside SQL
  statements, over: `function_args.py` (types, coercion, binding arguments), `function_sql.py`
  (binding a SQL body's parameters), `function_python.py` (Python bodies, run by
  `python_runner.py`), `function_result.py` (the result and error types)
* `sqltext.py`       SQL text helpers (masking literals, names, literals)
* `tables.py`        the warehouse's tables as read-only `TableInfo`
* `connections.py`   the connections (`get_connection` for the MCP proxy)
* `grants.py`        the permissions API; `routes.py` the HTTP routes; `demo.py` the demo's part
"""
