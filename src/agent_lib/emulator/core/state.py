"""Everything one emulated workspace holds: the store, identities, access rules and live processes.

Routes get this object from `request.app.state.emulator` (see `deps`); service modules keep their
rules in their own `models.py` and their persistent data in `store`. Things that cannot live in a
file (App processes, the MCP server, background runs) go in `runtime`, and register a closer so
`close()` stops them.
"""

from __future__ import annotations

import importlib
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .access import Acls, Grants
from .identity import Identities
from .store import Store
from ..warehouse import Warehouse

log = logging.getLogger("agent_lib.emulator")

ADMIN_USER = "admin@example.com"
DEMO_USERS = ("alice@example.com", "bob@example.com")
WORKSPACE_ID = "1234567890123456"

# Services whose `demo.py` seeds part of the demo story, in dependency order.
DEMO_SEEDERS = ("iam", "catalog", "sql", "serving", "genie", "knowledge", "mcp", "apps")


@dataclass
class EmulatorConfig:
    """Settings of one emulated workspace; all optional, defaults are the offline demo."""

    state_path: Path | None = None  # SQLite file; None = in memory
    seed_demo: bool = True  # load the demo workspace on first start
    model_latency_ms: float = 0.0  # injected per model turn (benchmarks)
    tool_latency_ms: float = 0.0  # injected per tool execution (benchmarks)
    models: dict[str, Any] = field(default_factory=dict)  # endpoint name -> model config override


class EmulatorState:
    """The workspace behind the routes. `host` is set once the server has bound its port."""

    def __init__(self, config: EmulatorConfig | None = None) -> None:
        self.config = config or EmulatorConfig()
        self.store = Store(self.config.state_path)
        self.identities = Identities(self.store)
        self.acls = Acls(self.store)
        self.grants = Grants(self.store)
        self.host = ""
        self._warehouse: Warehouse | None = None
        self.runtime: dict[str, Any] = {}
        self._closers: list[Callable[[], None]] = []
        self._lock = threading.RLock()

    @property
    def warehouse(self) -> Warehouse:
        """The SQL database (demo data, UC tables); a file beside the state file when persistent."""
        with self._lock:
            if self._warehouse is None:
                path = self.config.state_path
                self._warehouse = Warehouse(path.with_name("warehouse.db") if path else None)
            return self._warehouse

    # -- identity shortcuts -------------------------------------------------------------------
    @property
    def admin_token(self) -> str:
        meta = self.store.get("meta", "admin") or {}
        return meta["token"]

    def user_token(self, user_name: str, scopes: list[str] | None = None) -> str:
        """A fresh token for a demo user (tests and the standalone server's `/_emulator/tokens`)."""
        doc = self.identities.find("user", user_name) or self.identities.add_user(user_name)
        kind = "pat" if scopes is None else "oauth"
        return self.identities.issue(doc["id"], scopes=scopes, kind=kind)

    # -- lifecycle ----------------------------------------------------------------------------
    def bootstrap(self, admin_token: str | None = None) -> None:
        """Create the admin (with `admin_token` if given) and demo users, then seed the demo, once each."""
        with self._lock:
            if self.store.get("meta", "admin") is None:
                admin = self.identities.add_user(ADMIN_USER, "Workspace Admin", admin=True)
                token = self.identities.issue(admin["id"], token=admin_token)
                self.store.put("meta", "admin", {"token": token, "principal_id": admin["id"]})
            for user in DEMO_USERS:
                self.identities.add_user(user)
            if self.config.seed_demo and self.store.get("meta", "demo") is None:
                for service in DEMO_SEEDERS:
                    seed = _seeder(service)
                    if seed is not None:
                        seed(self)
                self.store.put("meta", "demo", {"seeded": True})

    def reset(self) -> None:
        """Back to a freshly seeded workspace: stops live processes, keeps the admin token."""
        meta = self.store.get("meta", "admin")
        self.stop_runtime()
        self.store.reset()
        self.bootstrap(admin_token=meta["token"] if meta else None)

    def on_close(self, closer: Callable[[], None]) -> None:
        self._closers.append(closer)

    def stop_runtime(self) -> None:
        while self._closers:
            closer = self._closers.pop()
            try:
                closer()
            except Exception:  # a failing closer must not keep the others from running
                log.exception("emulator closer failed")
        self.runtime.clear()

    def close(self) -> None:
        self.stop_runtime()
        self.store.close()
        if self._warehouse is not None:
            self._warehouse.close()


def _seeder(service: str) -> Callable[[EmulatorState], None] | None:
    try:
        module = importlib.import_module(f"agent_lib.emulator.{service}.demo")
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.startswith(f"agent_lib.emulator.{service}"):
            return None
        raise
    return getattr(module, "seed", None)
