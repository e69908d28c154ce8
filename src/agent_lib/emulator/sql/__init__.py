"""Databricks SQL: statement execution (`/api/2.0/sql/statements`) and the emulated SQL warehouse.

`models.py` statements as Databricks answers them (responses, chunks, fetches); `request.py` the
request body's checks; `execution.py` running one statement; `errors.py` Databricks' error classes
for failed statements; `warehouses.py` the one warehouse; `routes.py` the HTTP routes.
"""
