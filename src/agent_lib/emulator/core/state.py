"""Everything one emulated workspace holds: the store, identities, access rules and live processes.

Routes get this object from `request.app.state.emulator` (see `deps`); service modules keep their
rules in their own `models.py` and their persistent data in `store`. Things that cannot live in a
file (App processes, the MCP server, background runs) go in `runtime`, and register a closer so
`close()` stops them.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .access import Acls, Grants
from .identity import Identities
from .store import Store

log = logging.getLogger("agent_lib.emulator")

ADMIN_USER = "admin@example.com"
DEMO_USERS = ("alice@example.com", "bob@example.com")
WORKSPACE_ID = "1234567890123456"

Seeder = Callable[["EmulatorState"], None]


@dataclass
class EmulatorConfig:
    """Settings of one emulated workspace; all optional, defaults are the offline demo."""

    state_path: Path | None = None  # SQLite file; None = in memory
    seed_demo: bool = True  # load the demo workspace on first start
    model_latency_ms: float = 0.0  # injected per model turn (benchmarks)
    tool_latency_ms: float = 0.0  # injected per tool execution (benchmarks)
    models: dict[str, Any] = field(default_factory=dict)  # endpoint name -> model config override


class EmulatorState:
    """The workspace behind the routes. `host` is set once the server has bound its port.

    What the services bring is handed in (`emulator.services.new_state` does): `seeders`, each
    service's part of the demo story in order; `warehouse`, which builds the SQL database on first
    use; `tool_requests`, the requests that execute a tool (`core.latency`). The core knows no
    service by name."""

    def __init__(self, config: EmulatorConfig | None = None, *, seeders: Sequence[Seeder] = (),
                 warehouse: Callable[[EmulatorState], Any] | None = None,
                 tool_requests: Sequence[Any] = ()) -> None:  # core.latency.ToolRequests
        self.config = config or EmulatorConfig()
        self.seeders = tuple(seeders)
        self.tool_requests = tuple(tool_requests)
        self._make_warehouse = warehouse
        self.store = Store(self.config.state_path)
        self.identities = Identities(self.store)
        self.acls = Acls(self.store)
        self.grants = Grants(self.store)
        self.host = ""
        self._warehouse: Any = None
        self.runtime: dict[str, Any] = {}
        self._closers: list[Callable[[], None]] = []
        self._lock = threading.RLock()

    @property
    def warehouse(self) -> Any:
        """The SQL database (demo data, UC tables): a `warehouse.Warehouse`, built on first use."""
        with self._lock:
            if self._warehouse is None:
                if self._make_warehouse is None:
                    raise RuntimeError("this EmulatorState has no SQL warehouse: build it with "
                                       "agent_lib.emulator.services.new_state(config)")
                self._warehouse = self._make_warehouse(self)
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
                for seed in self.seeders:
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

