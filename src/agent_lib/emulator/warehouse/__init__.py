"""The SQL warehouse behind Genie, statement execution and SQL UC functions: a real SQLite database.

`engine.py` the database and its UC names; `sandbox.py` what caller SQL may do there.
"""

from .engine import Column, QueryResult, StatementStopped, Warehouse, WarehouseError
from .sandbox import READ_ONLY, Access

__all__ = ["READ_ONLY", "Access", "Column", "QueryResult", "StatementStopped", "Warehouse",
           "WarehouseError"]
