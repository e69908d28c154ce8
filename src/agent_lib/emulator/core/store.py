"""The emulator's state: JSON documents in one SQLite file.

Every service keeps its objects here as (kind, key) -> JSON document, so state survives a restart
(the file) and a test can start from a clean slate (`reset`). One connection guarded by one
re-entrant lock keeps concurrent requests consistent: FastAPI runs sync routes on a thread pool,
and a read-modify-write inside `transaction()` is atomic with respect to every other request.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

Doc = dict[str, Any]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    kind TEXT NOT NULL,
    key  TEXT NOT NULL,
    body TEXT NOT NULL,
    seq  INTEGER NOT NULL,
    PRIMARY KEY (kind, key)
);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""


class Store:
    """Thread-safe document store. `path=None` keeps everything in memory (tests, benchmarks)."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path is not None else None
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        target = str(self.path) if self.path is not None else ":memory:"
        self._lock = threading.RLock()
        self._depth = 0
        self._db = sqlite3.connect(target, check_same_thread=False, isolation_level=None)
        if self.path is not None:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)

    # -- transactions -------------------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[Store]:
        """Hold the lock and one SQLite transaction for a read-modify-write; nests safely."""
        with self._lock:
            outer = self._depth == 0
            if outer:
                self._db.execute("BEGIN IMMEDIATE")
            self._depth += 1
            try:
                yield self
            except BaseException:
                self._depth -= 1
                if outer:
                    self._db.execute("ROLLBACK")
                raise
            else:
                self._depth -= 1
                if outer:
                    self._db.execute("COMMIT")

    # -- documents ----------------------------------------------------------------------------
    def get(self, kind: str, key: str) -> Doc | None:
        with self._lock:
            row = self._db.execute(
                "SELECT body FROM documents WHERE kind=? AND key=?", (kind, key)
            ).fetchone()
        return json.loads(row[0]) if row else None

    def put(self, kind: str, key: str, doc: Doc) -> Doc:
        """Insert or replace; keeps the original insertion order for listings."""
        body = json.dumps(doc, separators=(",", ":"))
        with self.transaction():
            row = self._db.execute(
                "SELECT seq FROM documents WHERE kind=? AND key=?", (kind, key)
            ).fetchone()
            seq = row[0] if row else self._next("seq")
            self._db.execute(
                "INSERT OR REPLACE INTO documents(kind, key, body, seq) VALUES (?,?,?,?)",
                (kind, key, body, seq),
            )
        return doc

    def insert(self, kind: str, key: str, doc: Doc) -> bool:
        """Insert only if absent; returns False when the key already exists."""
        with self.transaction():
            if self.get(kind, key) is not None:
                return False
            self.put(kind, key, doc)
            return True

    def delete(self, kind: str, key: str) -> bool:
        with self.transaction():
            cur = self._db.execute("DELETE FROM documents WHERE kind=? AND key=?", (kind, key))
            return cur.rowcount > 0

    def list(self, kind: str, prefix: str = "") -> list[Doc]:
        """Documents of one kind in insertion order, optionally only keys starting with prefix."""
        with self._lock:
            rows = self._db.execute(
                "SELECT body FROM documents WHERE kind=? AND substr(key, 1, ?)=? ORDER BY seq",
                (kind, len(prefix), prefix),
            ).fetchall()
        return [json.loads(r[0]) for r in rows]

    def keys(self, kind: str, prefix: str = "") -> list[str]:
        with self._lock:
            rows = self._db.execute(
                "SELECT key FROM documents WHERE kind=? AND substr(key, 1, ?)=? ORDER BY seq",
                (kind, len(prefix), prefix),
            ).fetchall()
        return [r[0] for r in rows]

    def next_id(self, name: str, start: int = 1) -> int:
        """A persistent counter (object ids, statement ids) that survives restarts."""
        with self.transaction():
            return self._next(name, start)

    def _next(self, name: str, start: int = 1) -> int:
        row = self._db.execute("SELECT value FROM counters WHERE name=?", (name,)).fetchone()
        value = (row[0] + 1) if row else start
        self._db.execute("INSERT OR REPLACE INTO counters(name, value) VALUES (?,?)", (name, value))
        return value

    # -- lifecycle ----------------------------------------------------------------------------
    def reset(self) -> None:
        """Forget every document and counter (tests); the caller re-seeds the demo content."""
        with self.transaction():
            self._db.execute("DELETE FROM documents")
            self._db.execute("DELETE FROM counters")

    def close(self) -> None:
        with self._lock:
            self._db.close()
