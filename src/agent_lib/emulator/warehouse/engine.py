"""A real SQL database that speaks Unity Catalog's three-part names.

Databricks SQL addresses tables as `catalog.schema.table`; SQLite has no catalogs. Each UC table
is stored as the SQLite table `catalog__schema__table`, and statements are rewritten before they
run: a dotted name that resolves to a known table (three-part, or two-part within the statement's
catalog) becomes its SQLite name. Anything else (aliases such as `o.order_id`, string literals) is
left alone, so ordinary SQL runs unchanged.
"""

from __future__ import annotations

import re
import sqlite3
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_NAME = r"[A-Za-z_][A-Za-z0-9_]*|`[^`]+`"
_DOTTED = re.compile(rf"(?<![\w.`])((?:{_NAME})(?:\s*\.\s*(?:{_NAME})){{1,2}})(?![\w`])")
_LITERAL = re.compile(r"'(?:[^']|'')*'")


class WarehouseError(Exception):
    """A statement failed; the message is the database's, with the statement's table names."""


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

    def __init__(self, path: str | Path | None = None) -> None:
        target = str(path) if path is not None else ":memory:"
        self._db = sqlite3.connect(target, check_same_thread=False, isolation_level=None)
        self._lock = threading.RLock()
        self._types: dict[str, tuple[Column, ...]] = {}
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

    # -- functions ----------------------------------------------------------------------------
    def register_function(self, name: str, nargs: int, fn: Callable[..., Any]) -> None:
        """Expose a Python callable to SQL (SQL UC functions are compiled to these)."""
        with self._lock:
            self._db.create_function(name, nargs, fn, deterministic=True)

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
                catalog: str = "main", schema: str | None = None,
                row_limit: int | None = None) -> QueryResult:
        """Run one statement with named (`:name`) or positional parameters."""
        statement = self.rewrite(sql, catalog, schema)
        with self._lock:
            try:
                cur = self._db.execute(statement, params or ())
                rows = cur.fetchmany(row_limit) if row_limit else cur.fetchall()
            except sqlite3.Error as exc:
                raise WarehouseError(str(exc).replace('"', "")) from None
            desc = cur.description or ()
        columns = tuple(Column(d[0], _infer_type(rows, i)) for i, d in enumerate(desc))
        return QueryResult(columns, tuple(tuple(r) for r in rows))

    def close(self) -> None:
        with self._lock:
            self._db.close()


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
