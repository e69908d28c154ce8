"""The SQL warehouse behind Genie, statement execution and SQL UC functions: a real SQLite database."""

from .engine import Column, QueryResult, Warehouse, WarehouseError

__all__ = ["Column", "QueryResult", "Warehouse", "WarehouseError"]
