"""Databricks SQL: statement execution (`/api/2.0/sql/statements`) and the emulated SQL warehouse."""
