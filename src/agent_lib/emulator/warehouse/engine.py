"""A real SQL database that speaks Unity Catalog's three-part names.

Databricks SQL addresses tables as `catalog.schema.table`; SQLite has no catalogs. Each UC table
is stored as the SQLite table `catalog__schema__table`, and statements are rewritten before they
run: a dotted name that resolves to a known table (three-part, or two-part within the statement's
catalog) becomes its SQLite name. Anything else (aliases such as `o.order_id`, string literals) is
left alone, so ordinary SQL runs unchanged.

Two kinds of connection, both to the warehouse's own file (a scratch file when the workspace is in
memory; never the state database): one trusted connection for the workspace's own work (creating
tables, checksums), and a pool of caller connections, sandboxed by `sandbox.py`, on which every
statement of `execute` runs. The database is in WAL mode and each statement takes its own pooled
connection, so one user's slow statement does not hold up another's.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import sqlite3
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from .sandbox import READ_ONLY, Access, Run, open_caller_connection, progress

_NAME = r"[A-Za-z_][A-Za-z0-9_]*|`[^`]+`"
_DOTTED = re.compile(rf"(?<![\w.`])((?:{_NAME})(?:\s*\.\s*(?:{_NAME})){{1,2}})(?![\w`])")
_LITERAL = re.compile(r"'(?:[^']|'')*'")
MAX_CONNECTIONS = 16  # caller connections open at once (statements running in parallel)
MAX_RESULT_ROWS = 250_000  # rows one statement may return (Databricks caps INLINE results too)
DEFAULT_TIMEOUT_S = 120.0  # server-side limit of one statement unless its caller sets another


class WarehouseError(Exception):
    """A statement failed: the database's message (or the sandbox's, in Databricks' words)."""

    def __init__(self, message: str, sql_state: str | None = None) -> None:
        super().__init__(message)
        self.message, self.sql_state = message, sql_state


class StatementStopped(WarehouseError):
    """The statement was stopped before it finished: `reason` is "cancel" or "timeout"."""

    def __init__(self, message: str, sql_state: str | None, reason: str) -> None:
        super().__init__(message, sql_state)
        self.reason = reason


class _Pooled:
    """A caller connection and the functions already registered on it."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn, self.functions = conn, set[tuple[str, int]]()


@dataclass(frozen=True)
class Column:
    name: str
    type_text: str  # Databricks SQL type name: STRING, INT, BIGINT, DOUBLE, DATE, BOOLEAN, ...


@dataclass(frozen=True)
class QueryResult:
    columns: tuple[Column, ...]
    rows: tuple[tuple[Any, ...], ...]


def sqlite_name(full_name: str) -> str:
    return "__".join(part.strip("`").lower() for part in full_name.split("."))


class Warehouse:
    """One SQLite database holding every UC table; safe to share between request threads."""

    def __init__(self, path: str | Path | None = None, *,
                 statement_timeout_s: float | None = DEFAULT_TIMEOUT_S) -> None:
        self._scratch = tempfile.mkdtemp(prefix="agent_lib_warehouse_") if path is None else None
        self.path = str(path) if path is not None else str(Path(self._scratch or "") / "warehouse.db")
        self.statement_timeout_s = statement_timeout_s
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=10)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._lock = threading.RLock()  # the trusted connection
        self._types: dict[str, tuple[Column, ...]] = {}
        self._functions: dict[tuple[str, int], Callable[..., Any]] = {}
        self._pool = threading.Condition()
        self._idle: list[_Pooled] = []
        self._open: list[_Pooled] = []
        self._local = threading.local()
        self._closed = False
        self._roots: dict[int, str] = {}  # b-tree root page -> SQLite table (tables and indexes)
        # called with (sql, stopped) before each top-level statement; returns an error or None
        self.before_statement: Callable[[str, Callable[[], bool]], str | None] | None = None
        self._load_catalog()

    # -- tables -------------------------------------------------------------------------------
    def _load_catalog(self) -> None:
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS _uc_columns (tbl TEXT, pos INTEGER, name TEXT, type_text TEXT, "
            "PRIMARY KEY (tbl, pos))"
        )
        cols: dict[str, list[Column]] = {}
        for tbl, _, name, type_text in self._db.execute(
            "SELECT tbl, pos, name, type_text FROM _uc_columns ORDER BY tbl, pos"
        ):
            cols.setdefault(tbl, []).append(Column(name, type_text))
        self._types = {k: tuple(v) for k, v in cols.items()}

    def create_table(self, full_name: str, columns: Sequence[Column],
                     rows: Iterable[Sequence[Any]] = (), *, replace: bool = True) -> None:
        """Create (or replace) a UC table and fill it."""
        name = sqlite_name(full_name)
        if name.count("__") != 2:
            raise WarehouseError(f"table name {full_name!r} must be three-part catalog.schema.table")
        col_sql = ", ".join(f'"{c.name}" {_sqlite_type(c.type_text)}' for c in columns)
        marks = ", ".join("?" for _ in columns)
        with self._lock:
            self._db.execute("BEGIN")
            try:
                if replace:
                    self._db.execute(f'DROP TABLE IF EXISTS "{name}"')
                self._db.execute(f'CREATE TABLE "{name}" ({col_sql})')
                self._db.executemany(f'INSERT INTO "{name}" VALUES ({marks})', rows)
                self._db.execute("DELETE FROM _uc_columns WHERE tbl=?", (name,))
                self._db.executemany(
                    "INSERT INTO _uc_columns VALUES (?,?,?,?)",
                    [(name, i, c.name, c.type_text.upper()) for i, c in enumerate(columns)],
                )
                self._db.execute("COMMIT")
            except Exception:
                self._db.execute("ROLLBACK")
                raise
            self._roots = {}  # a replaced table moved: its old pages may hold another table now
            self._types[name] = tuple(Column(c.name, c.type_text.upper()) for c in columns)

    def tables(self, prefix: str = "") -> list[str]:
        """Full names of the UC tables, optionally within a catalog or schema (`main.sales`)."""
        want = sqlite_name(prefix) + "__" if prefix else ""
        return sorted(t.replace("__", ".") for t in self._types if t.startswith(want))

    def columns(self, full_name: str) -> tuple[Column, ...]:
        try:
            return self._types[sqlite_name(full_name)]
        except KeyError:
            raise WarehouseError(f"[TABLE_OR_VIEW_NOT_FOUND] The table {full_name} cannot be found.") from None

    def has_table(self, full_name: str) -> bool:
        return sqlite_name(full_name) in self._types

    def checksum(self, full_name: str) -> str:
        """A digest of a table's rows in insertion order (reset compares content, not counts)."""
        name = sqlite_name(full_name)
        if name not in self._types:
            raise WarehouseError(f"[TABLE_OR_VIEW_NOT_FOUND] The table {full_name} cannot be found.", "42P01")
        with self._lock:
            return rows_checksum(self._db.execute(f'SELECT * FROM "{name}" ORDER BY rowid'))

    # -- functions ----------------------------------------------------------------------------
    def register_function(self, name: str, nargs: int, fn: Callable[..., Any]) -> None:
        """Expose a Python callable to SQL (SQL UC functions are compiled to these).

        Kept here and added to each caller connection before its next statement (SQLite refuses
        to change a function on a connection while one of its statements runs)."""
        with self._pool:
            self._functions[(name, nargs)] = fn

    # -- statements ---------------------------------------------------------------------------
    def rewrite(self, sql: str, catalog: str = "main", schema: str | None = None) -> str:
        """UC names -> SQLite names, outside string literals; unknown names are left alone."""
        out, last = [], 0
        for lit in _LITERAL.finditer(sql):
            out.append(self._rewrite_names(sql[last:lit.start()], catalog, schema))
            out.append(lit.group(0))
            last = lit.end()
        out.append(self._rewrite_names(sql[last:], catalog, schema))
        return "".join(out)

    def _rewrite_names(self, text: str, catalog: str, schema: str | None) -> str:
        def resolve(m: re.Match[str]) -> str:
            parts = [p.strip().strip("`").lower() for p in m.group(1).split(".")]
            candidates = []
            if len(parts) == 3:
                candidates.append(parts)
            elif len(parts) == 2:
                candidates.append([catalog.lower(), *parts])
            for cand in candidates:
                name = "__".join(cand)
                if name in self._types:
                    return f'"{name}"'
            return m.group(0)

        text = _DOTTED.sub(resolve, text)
        if schema:  # bare table names within the statement's schema
            for name in self._types:
                cat, sch, tbl = name.split("__")
                if cat == catalog.lower() and sch == schema.lower():
                    text = re.sub(rf'(?<![\w."`]){re.escape(tbl)}(?![\w`"])', f'"{name}"', text,
                                  flags=re.IGNORECASE)
        return text

    def execute(self, sql: str, params: Mapping[str, Any] | Sequence[Any] | None = None, *,
                catalog: str = "main", schema: str | None = None, row_limit: int | None = None,
                access: Access | None = None) -> QueryResult:
        """Run one statement of caller SQL, sandboxed, with named (`:name`) or positional parameters.

        `access` says what the caller may write and how long the statement may run (read-only,
        with the warehouse's limit, when absent). Called again from inside a running statement
        (a UC function's body), it runs on the same connection under the same `Access`."""
        statement = self.rewrite(sql, catalog, schema)
        nested = getattr(self._local, "pooled", None) is not None
        with self._session(access) as (conn, run):
            hook = self.before_statement
            if hook is not None and not nested:  # an injected fault (core/faults.py): slow or failing
                error = hook(sql, lambda: progress(run) != 0)
                if run.stopped or error:
                    raise _failure(run, sqlite3.OperationalError(error or "stopped"))
            try:
                if not run.access.reads_everything:
                    self._check_opened_tables(conn, statement, params, run)
                cur = conn.execute(statement, params or ())
                try:
                    rows = cur.fetchmany(min(row_limit or MAX_RESULT_ROWS + 1, MAX_RESULT_ROWS + 1))
                    desc = cur.description or ()
                finally:
                    cur.close()
            except sqlite3.Error as exc:
                raise _failure(run, exc) from None
        if len(rows) > MAX_RESULT_ROWS:
            raise WarehouseError(f"The statement returns more than {MAX_RESULT_ROWS} rows, more than the "
                                 "emulated warehouse returns inline: add a LIMIT or set row_limit.", "54000")
        columns = tuple(Column(d[0], _infer_type(rows, i)) for i, d in enumerate(desc))
        return QueryResult(columns, tuple(tuple(r) for r in rows))

    def _check_opened_tables(self, conn: sqlite3.Connection, statement: str,
                             params: Mapping[str, Any] | Sequence[Any] | None, run: Run) -> None:
        """Check every table the compiled statement opens for reading against the caller's reads.

        SQLite's authorizer is not asked about a column a statement uses only in a `USING` or
        `NATURAL` join (`SELECT 1 FROM mine JOIN theirs USING (id)` reads `theirs` unasked), so
        the statement is compiled once more under `EXPLAIN` and each cursor it opens on a table
        or an index is checked too (compiling runs no user code): a catalog table needs the
        caller's SELECT, anything else (SQLite's schema, the warehouse's bookkeeping) is refused."""
        for op in conn.execute("EXPLAIN " + statement, params or ()).fetchall():
            if op[1] not in ("OpenRead", "ReopenIdx") or op[4] != 0:  # main database only
                continue
            table = self._table_of_page(op[3])
            if table in self._types:
                allowed = run.read(table) == sqlite3.SQLITE_OK
            else:
                allowed = False
                run.deny(f"[TABLE_OR_VIEW_NOT_FOUND] The table or view `{table or 'sqlite_schema'}` "
                         "cannot be found.", "42P01")
            if not allowed:
                raise sqlite3.DatabaseError("not authorized")

    def _table_of_page(self, root: int) -> str | None:
        """The table stored at a b-tree root page (its own, or one of its indexes'); None for
        page 1, SQLite's schema."""
        if root != 1 and root not in self._roots:  # a table created (or moved) since the last look
            with self._lock:
                self._roots = {page: name for page, name in self._db.execute(
                    "SELECT rootpage, tbl_name FROM sqlite_master WHERE rootpage > 0")}
        return self._roots.get(root)

    # -- caller connections -------------------------------------------------------------------
    def _current(self) -> Run | None:
        return getattr(self._local, "run", None)

    def _is_table(self, sqlite_table: str) -> bool:
        return sqlite_table in self._types

    @contextmanager
    def _session(self, access: Access | None) -> Iterator[tuple[sqlite3.Connection, Run]]:
        outer: _Pooled | None = getattr(self._local, "pooled", None)
        if outer is not None:  # a nested statement (a UC function body): same connection, same run
            self._sync(outer)
            run: Run = self._local.run
            if access is None:
                yield outer.conn, run
                return
            with run.as_definer(access):  # the body reads with its owner's rights
                yield outer.conn, run
            return
        access = access or READ_ONLY
        if access.timeout_s is None and self.statement_timeout_s:
            access = replace(access, timeout_s=self.statement_timeout_s)
        pooled = self._acquire()
        self._local.pooled, self._local.run = pooled, Run(access, self._is_table)
        try:
            self._sync(pooled)
            yield pooled.conn, self._local.run
        finally:
            self._local.pooled = self._local.run = None
            self._release(pooled)

    def _acquire(self) -> _Pooled:
        with self._pool:
            while True:
                if self._closed:
                    raise WarehouseError("The emulated warehouse is stopped.")
                if self._idle:
                    return self._idle.pop()
                if len(self._open) < MAX_CONNECTIONS:
                    pooled = _Pooled(open_caller_connection(self.path, self._current))
                    self._open.append(pooled)
                    return pooled
                self._pool.wait(timeout=1.0)

    def _release(self, pooled: _Pooled) -> None:
        with self._pool:
            if self._closed:
                pooled.conn.close()
                return
            self._idle.append(pooled)
            self._pool.notify()

    def _sync(self, pooled: _Pooled) -> None:
        with self._pool:
            missing = [(k, fn) for k, fn in self._functions.items() if k not in pooled.functions]
        for (name, nargs), fn in missing:
            pooled.conn.create_function(name, nargs, fn, deterministic=True)
            pooled.functions.add((name, nargs))

    def close(self) -> None:
        with self._pool:
            self._closed = True
            for pooled in self._idle:
                pooled.conn.close()
            self._idle.clear()
        with self._lock:
            self._db.close()
        if self._scratch:
            shutil.rmtree(self._scratch, ignore_errors=True)


def _failure(run: Run, exc: sqlite3.Error) -> WarehouseError:
    """The error of a failed statement: stopped, denied by the sandbox, or SQLite's own."""
    if run.stopped == "cancel":
        return StatementStopped("[OPERATION_CANCELED] The statement was cancelled.", "HY008", "cancel")
    if run.stopped == "timeout":
        return StatementStopped(
            f"[QUERY_EXECUTION_TIMEOUT_EXCEEDED] Query execution was cancelled due to exceeding the "
            f"timeout ({run.access.timeout_s:g}s).", "57KD0", "timeout")
    if run.denial is not None:
        return WarehouseError(run.denial.message, run.denial.sql_state)
    return WarehouseError(str(exc).replace('"', ""))


def rows_checksum(rows: Iterable[Sequence[Any]]) -> str:
    """sha256 over rows as JSON, the same for rows as generated and as read back from SQLite."""
    h = hashlib.sha256()
    for row in rows:
        h.update(json.dumps([_canonical(v) for v in row]).encode())
        h.update(b"\n")
    return h.hexdigest()


def _canonical(value: Any) -> Any:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value if isinstance(value, (int, float, str)) or value is None else str(value)


def _sqlite_type(type_text: str) -> str:
    t = type_text.upper()
    if t in ("INT", "BIGINT", "SMALLINT", "TINYINT", "BOOLEAN", "LONG"):
        return "INTEGER"
    if t in ("DOUBLE", "FLOAT", "REAL") or t.startswith("DECIMAL"):
        return "REAL"
    return "TEXT"


def _infer_type(rows: Sequence[Sequence[Any]], index: int) -> str:
    for row in rows:
        value = row[index]
        if value is None:
            continue
        if isinstance(value, bool):
            return "BOOLEAN"
        if isinstance(value, int):
            return "BIGINT"
        if isinstance(value, float):
            return "DOUBLE"
        return "STRING"
    return "STRING"
