"""What caller SQL may do, decided where SQLite decides: its authorizer, progress handler and limits.

Statement text cannot be made safe by matching keywords (a leading comment, `WITH ... UPDATE` or a
table-valued `pragma_database_list` slips past any pattern), so every connection that runs SQL a
user wrote (statement execution, SQL UC function bodies, Genie's answers and example SQL) is
opened by `open_caller_connection` with SQLite's own authorizer on it. Its rules:

- **reads**: a table of the catalog (the UC tables the warehouse holds) only when
  `Access.cannot_read` finds nothing missing: SELECT on the table with USE_CATALOG and USE_SCHEMA
  on its parents, as Unity Catalog requires (each SQLITE_READ of a table's column asks). SQLite
  does not ask about a column a statement uses only in a `USING` or `NATURAL` join, so the engine
  also checks every table the compiled statement opens (`EXPLAIN`). The JSON table functions are
  open to all; not SQLite's schema tables, not the warehouse's own bookkeeping (`_uc_columns`),
  no `pragma_*` functions.
- **writes**: `INSERT`, `UPDATE` and `DELETE` of a catalog table, only when `Access.can_write`
  says so: a workspace admin, or a user holding MODIFY on that table, as Unity Catalog requires.
  No DDL (CREATE/DROP/ALTER of tables, views, indexes, triggers): tables are made by the
  workspace, not through the emulated warehouse.
- **denied** to everyone: ATTACH and DETACH (so no other file, the state database included, can be
  reached), VACUUM (plain or INTO a file), PRAGMA (but `table_info` / `table_xinfo` of a catalog
  table), transactions and savepoints, `load_extension` and the file functions.

Belt and braces: the connection may attach no database at all (`SQLITE_LIMIT_ATTACHED` 0), has no
statement cache (a statement prepared for an admin is never reused for another user unchecked),
bounds string and SQL length, and a progress handler stops a statement at its deadline or when it
is cancelled. A denial is answered in Databricks' words (`[ERROR_CLASS] message`, SQLSTATE).
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace

MAX_STRING_BYTES = 16 * 1024 * 1024  # longest string or blob a statement may build
MAX_SQL_BYTES = 1024 * 1024  # longest statement text
PROGRESS_OPS = 2000  # VM instructions between deadline / cancel checks
SAFE_PRAGMAS = frozenset({"table_info", "table_xinfo"})
DENIED_FUNCTIONS = frozenset({"load_extension", "readfile", "writefile", "edit", "fts3_tokenizer",
                              "zipfile", "sqlar_compress", "sqlar_uncompress"})
TABLE_FUNCTIONS = frozenset({"json_each", "json_tree"})
SCHEMA_TABLES = frozenset({"sqlite_master", "sqlite_schema", "sqlite_temp_master", "sqlite_temp_schema"})
BOOKKEEPING = "_uc_columns"  # the warehouse's own table of declared column types

_DDL = {
    sqlite3.SQLITE_CREATE_INDEX: "CREATE INDEX", sqlite3.SQLITE_CREATE_TABLE: "CREATE TABLE",
    sqlite3.SQLITE_CREATE_TEMP_INDEX: "CREATE INDEX", sqlite3.SQLITE_CREATE_TEMP_TABLE: "CREATE TABLE",
    sqlite3.SQLITE_CREATE_TEMP_TRIGGER: "CREATE TRIGGER", sqlite3.SQLITE_CREATE_TEMP_VIEW: "CREATE VIEW",
    sqlite3.SQLITE_CREATE_TRIGGER: "CREATE TRIGGER", sqlite3.SQLITE_CREATE_VIEW: "CREATE VIEW",
    sqlite3.SQLITE_DROP_INDEX: "DROP INDEX", sqlite3.SQLITE_DROP_TABLE: "DROP TABLE",
    sqlite3.SQLITE_DROP_TEMP_INDEX: "DROP INDEX", sqlite3.SQLITE_DROP_TEMP_TABLE: "DROP TABLE",
    sqlite3.SQLITE_DROP_TEMP_TRIGGER: "DROP TRIGGER", sqlite3.SQLITE_DROP_TEMP_VIEW: "DROP VIEW",
    sqlite3.SQLITE_DROP_TRIGGER: "DROP TRIGGER", sqlite3.SQLITE_DROP_VIEW: "DROP VIEW",
    sqlite3.SQLITE_ALTER_TABLE: "ALTER TABLE", sqlite3.SQLITE_REINDEX: "REINDEX",
    sqlite3.SQLITE_ANALYZE: "ANALYZE", sqlite3.SQLITE_CREATE_VTABLE: "CREATE VIRTUAL TABLE",
    sqlite3.SQLITE_DROP_VTABLE: "DROP VIRTUAL TABLE",
}
_WRITES = {sqlite3.SQLITE_INSERT: "INSERT", sqlite3.SQLITE_UPDATE: "UPDATE", sqlite3.SQLITE_DELETE: "DELETE"}


def _nobody(_table: str) -> bool:
    return False


def _nothing_missing(_table: str) -> str | None:
    return None


@dataclass(frozen=True)
class Access:
    """Who is running a statement, as the sandbox needs it.

    `cannot_read(full_name)` says what the caller lacks to read one catalog table
    (`main.sales.orders`), in Databricks' words ("SELECT on Table 'main.sales.orders'"), or None
    when it may; the default reads every table (the workspace's own reads). `can_write(full_name)`
    answers for a write; `timeout_s` is the server-side limit of the statement; `cancel`, when
    set, stops it at the next progress check."""

    can_write: Callable[[str], bool] = _nobody
    timeout_s: float | None = None
    cancel: threading.Event | None = None
    cannot_read: Callable[[str], str | None] = _nothing_missing

    @property
    def reads_everything(self) -> bool:
        return self.cannot_read is _nothing_missing


READ_ONLY = Access()  # reads every catalog table, writes none: the workspace's own reads


@dataclass(frozen=True)
class Denial:
    """Why SQLite was told no: Databricks' message and SQLSTATE."""

    message: str
    sql_state: str


@dataclass
class Run:
    """The statement running on a caller connection (one per thread; nested UDF calls share it)."""

    access: Access
    is_catalog_table: Callable[[str], bool]
    deadline: float | None = None
    denial: Denial | None = None
    stopped: str | None = None  # "timeout" or "cancel" once the progress handler stopped it
    reads: dict[str, str | None] = field(default_factory=dict)  # cannot_read, asked once a table

    def __post_init__(self) -> None:
        if self.access.timeout_s:
            self.deadline = time.monotonic() + self.access.timeout_s

    def deny(self, message: str, sql_state: str) -> int:
        if self.denial is None:
            self.denial = Denial(message, sql_state)
        return sqlite3.SQLITE_DENY

    def read(self, sqlite_table: str) -> int:
        """May the statement read this catalog table? (SQLITE_OK, or a denial in Databricks' words.)"""
        if sqlite_table not in self.reads:
            self.reads[sqlite_table] = self.access.cannot_read(uc_name(sqlite_table))
        lacking = self.reads[sqlite_table]
        if lacking is None:
            return sqlite3.SQLITE_OK
        return self.deny(f"[INSUFFICIENT_PERMISSIONS] Insufficient privileges: User does not have "
                         f"{lacking}.", "42501")

    @contextmanager
    def as_definer(self, access: Access) -> Iterator[None]:
        """Read and write with `access`'s rights for a while (a UC function's body runs with its
        owner's), keeping this statement's deadline and cancel event."""
        saved, saved_reads = self.access, self.reads
        self.access = replace(saved, cannot_read=access.cannot_read, can_write=access.can_write)
        self.reads = {}
        try:
            yield
        finally:
            self.access, self.reads = saved, saved_reads


def uc_name(sqlite_table: str) -> str:
    return sqlite_table.replace("__", ".")


def _not_found(run: Run, table: str) -> int:
    return run.deny(f"[TABLE_OR_VIEW_NOT_FOUND] The table or view `{uc_name(table)}` cannot be found. "
                    "Verify the spelling and correctness of the schema and catalog.", "42P01")


def _ddl(run: Run, what: str) -> int:
    return run.deny(f"[UNSUPPORTED_FEATURE] {what} is not supported on the emulated warehouse: its tables "
                    "are the workspace's; read them, or INSERT/UPDATE/DELETE rows with MODIFY.", "0A000")


def _internal(table: str) -> bool:
    return table in SCHEMA_TABLES or table == BOOKKEEPING or table.startswith("pragma_")


def authorize(run: Run | None, action: int, arg1: str | None, arg2: str | None,
              db: str | None) -> int:
    """SQLite's authorizer callback for caller SQL (see the module docstring for the rules)."""
    if run is None:  # no statement of ours is running on this connection: nothing is allowed
        return sqlite3.SQLITE_DENY
    table = (arg1 or "").lower()
    if action in _WRITES and table in SCHEMA_TABLES:
        if action == sqlite3.SQLITE_UPDATE and db == "main":
            return sqlite3.SQLITE_OK  # the first-use step again; SQLite itself refuses a user's UPDATE
        return _ddl(run, "CREATE or DROP")  # DDL writes the schema table before naming itself
    if db not in (None, "main"):
        return run.deny(f"[TABLE_OR_VIEW_NOT_FOUND] The table or view `{db}.{arg1}` cannot be found.",
                        "42P01")
    if action in (sqlite3.SQLITE_SELECT, sqlite3.SQLITE_RECURSIVE):
        return sqlite3.SQLITE_OK
    if action == sqlite3.SQLITE_READ:
        if run.is_catalog_table(table):
            return run.read(table)
        if table in TABLE_FUNCTIONS:
            return sqlite3.SQLITE_OK
        if table in SCHEMA_TABLES and (arg2 or "").upper() == "ROWID":
            return sqlite3.SQLITE_OK  # SQLite's own step when a table function is first used
        if db is None and arg2 == "" and not _internal(table):
            return sqlite3.SQLITE_OK  # count(*) over a CTE or subquery (SQLite names no database)
        return _not_found(run, table)
    if action == sqlite3.SQLITE_FUNCTION:
        name = (arg2 or "").lower()
        if name in DENIED_FUNCTIONS:
            return run.deny(f"[UNRESOLVED_ROUTINE] Cannot resolve routine `{name}` on search path "
                            "[`system`.`builtin`, `system`.`session`].", "42883")
        return sqlite3.SQLITE_OK
    if action in _WRITES:
        if not run.is_catalog_table(table):
            return _not_found(run, table)
        if run.access.can_write(uc_name(table)):
            return sqlite3.SQLITE_OK
        return run.deny(f"[INSUFFICIENT_PERMISSIONS] Insufficient privileges: User does not have MODIFY "
                        f"on Table '{uc_name(table)}' ({_WRITES[action]} needs it).", "42501")
    if action == sqlite3.SQLITE_PRAGMA:
        pragma = table
        if pragma in SAFE_PRAGMAS and arg2 and run.is_catalog_table(arg2.strip("'\"").lower()):
            return sqlite3.SQLITE_OK
        return run.deny(f"[PARSE_SYNTAX_ERROR] Syntax error at or near 'PRAGMA {pragma}': PRAGMA is not a "
                        "Databricks SQL statement (DESCRIBE a catalog table instead).", "42601")
    if action in (sqlite3.SQLITE_ATTACH, sqlite3.SQLITE_DETACH):
        return run.deny("[PARSE_SYNTAX_ERROR] Syntax error at or near 'ATTACH': ATTACH, DETACH and VACUUM "
                        "are not Databricks SQL statements; a statement reads and writes only the "
                        "catalog's tables.", "42601")
    if action in (sqlite3.SQLITE_TRANSACTION, sqlite3.SQLITE_SAVEPOINT):
        return run.deny("[UNSUPPORTED_FEATURE] Transaction statements (BEGIN, COMMIT, ROLLBACK, "
                        "SAVEPOINT) are not supported: each statement commits on its own.", "0A000")
    if action in _DDL:
        return _ddl(run, _DDL[action])
    return run.deny(f"[UNSUPPORTED_FEATURE] This statement is not supported on the emulated warehouse "
                    f"(SQLite action {action}).", "0A000")


def progress(run: Run | None) -> int:
    """Non-zero stops the statement: past its deadline, or cancelled."""
    if run is None:
        return 0
    if run.access.cancel is not None and run.access.cancel.is_set():
        run.stopped = "cancel"
        return 1
    if run.deadline is not None and time.monotonic() > run.deadline:
        run.stopped = "timeout"
        return 1
    return 0


def open_caller_connection(path: str, current: Callable[[], Run | None]) -> sqlite3.Connection:
    """A connection for caller SQL on the warehouse file (never the state file), sandboxed."""
    conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None, cached_statements=0,
                           timeout=10)
    conn.setlimit(sqlite3.SQLITE_LIMIT_ATTACHED, 0)
    conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, MAX_STRING_BYTES)
    conn.setlimit(sqlite3.SQLITE_LIMIT_SQL_LENGTH, MAX_SQL_BYTES)
    conn.set_authorizer(lambda action, a1, a2, db, _trigger: authorize(current(), action, a1, a2, db))
    conn.set_progress_handler(lambda: progress(current()), PROGRESS_OPS)
    return conn
