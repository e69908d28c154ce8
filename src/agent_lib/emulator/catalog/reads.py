"""Who may read which table in the warehouse: Unity Catalog's SELECT, as the sandbox asks it.

A statement reads a table only with SELECT on it and USE_CATALOG / USE_SCHEMA on its parents
(inherited from the schema or catalog as usual; admins and owners read everything). The caller's
own rights apply to statements and to Genie's answers (Genie runs its SQL as the asking user);
a SQL UC function's body reads with its owner's rights, as Databricks changes the authorized user
when execution enters a SQL function's body, so EXECUTE alone lets a user run a function over
tables they may not read themselves (which is why only an admin may hand a function to another
owner: `catalog.models.update_function`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..core.identity import Principal
from ..core.state import EmulatorState
from ..warehouse import Access


def _no_table(table: str) -> str:
    return f"SELECT on Table '{table}'"


NO_READS = Access(cannot_read=_no_table)  # constants only (a table function's arguments)


def reader(state: EmulatorState, principal: Principal | None) -> Callable[[str], str | None]:
    """`Access.cannot_read` for `principal`: what it lacks to read a table, None when nothing."""
    def cannot_read(table: str) -> str | None:
        if principal is None:
            return f"SELECT on Table '{table}'"
        return state.grants.missing(principal, "table", table, "SELECT")
    return cannot_read


def reads_of(state: EmulatorState, principal: Principal) -> Access:
    """Read-only access with `principal`'s own SELECT grants (Genie's answers)."""
    return Access(cannot_read=reader(state, principal))


def definer(state: EmulatorState, function_doc: dict[str, Any]) -> Access:
    """The rights a SQL function's body runs with: its owner's reads, no writes (a body is a query)."""
    owner = state.grants.get("function", function_doc["full_name"]).get("owner")
    return Access(cannot_read=reader(state, state.identities.named(owner) if owner else None))
