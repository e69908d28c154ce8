"""What requests of one caller share on the emulated Supervisor route: clients, MCP sessions, loops.

Building a `WorkspaceClient`, a model client and the tool listings costs about 150 ms, which would
dominate a turn; so each token's clients and loops (one per request shape) are kept for
`CACHE_TTL_S` in a bounded LRU keyed by the token's SHA-256 (never the token itself). A request
leases its entry; an entry that expires or is pushed out while leased is closed when the last
lease comes back.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ...clients import client_for
from ...errors import SpecError
from ..core.errors import invalid
from ..core.identity import ALL_APIS, Principal
from .validation import SupervisorRequest

if TYPE_CHECKING:
    from ..core.state import EmulatorState

MODEL_TOKEN_TTL_S = 3600
_lock = threading.Lock()  # guards creating the callers cache only


def is_obo(caller: Principal) -> bool:
    """A narrowed OAuth token: a user's token forwarded by an App (user authorization)."""
    return caller.scopes is not None and ALL_APIS not in caller.scopes


@dataclass
class Session:
    """One request's loop, leased from the caller's cache entry; `close()` gives the lease back."""

    state: EmulatorState
    loop: Any
    entry: _Caller | None = None
    cache: Callers | None = None

    def close(self) -> None:
        entry, self.entry = self.entry, None
        if entry is not None and self.cache is not None:
            self.cache.release(entry)


# -- what requests with one token share --------------------------------------------------------------

CACHE_TTL_S = 30.0
"""How long one token's clients, MCP sessions and tool listings serve new requests (a grant
change shows in the tools offered within this time; every tool call is checked when it runs)."""
CACHE_MAX_CALLERS = 32
LOOPS_PER_CALLER = 8
CACHE_KEY = "supervisor-callers"


class _Caller:
    """One token's workspace clients (tools; model, with a model-serving token for narrowed
    callers) and its loops, one per request shape (model, instructions, tools), least recently
    used first. Never holds the token in its repr; its key is the token's SHA-256."""

    def __init__(self, state: EmulatorState, caller: Principal, token: str, key: str) -> None:
        self.key = key
        self.principal_id = caller.id
        self.created = time.monotonic()
        self.tools_client = client_for(state.host, token)
        self.model_token: str | None = None
        if is_obo(caller) and "model-serving" not in (caller.scopes or ()):
            self.model_token = state.identities.issue(caller.id, scopes=["model-serving"], kind="oauth",
                                                      ttl_seconds=MODEL_TOKEN_TTL_S)
        self.model_client = (client_for(state.host, self.model_token) if self.model_token
                             else self.tools_client)
        self.loops: OrderedDict[str, Any] = OrderedDict()
        self.dropped: list[Any] = []  # loops pushed out while leased: closed once the leases are back
        self.leases = 0
        self.retired = False

    def __repr__(self) -> str:
        return f"_Caller(principal={self.principal_id!r}, loops={len(self.loops)}, leases={self.leases})"

    def loop(self, request: SupervisorRequest) -> tuple[Any, bool]:
        """The loop for this request's shape, and whether it was built now."""
        shape = json.dumps([request.model, request.instructions, request.hosted_tools,
                            request.function_tools], sort_keys=True, separators=(",", ":"))
        loop = self.loops.get(shape)
        if loop is not None:
            self.loops.move_to_end(shape)
            return loop, False
        loop = _build_loop(self, request)
        self.loops[shape] = loop
        while len(self.loops) > LOOPS_PER_CALLER:
            self.dropped.append(self.loops.popitem(last=False)[1])
        return loop, True

    def close(self, state: EmulatorState) -> None:
        """Release everything (no lease is out): pools, MCP sessions, the model token."""
        for loop in [*self.loops.values(), *self.dropped]:
            loop.close()
        self.loops.clear()
        self.dropped.clear()
        if self.model_token:
            state.identities.revoke(self.model_token)
            self.model_token = None


def _build_loop(entry: _Caller, request: SupervisorRequest) -> Any:
    from ...supervisor.service import serving_loop  # openai and the loop: on first use, not at start

    try:
        return serving_loop(entry.tools_client, entry.model_client, model=request.model,
                            instructions=request.instructions, tools=request.hosted_tools,
                            function_tools=request.function_tools)
    except SpecError as exc:
        raise invalid(str(exc)) from None


class Callers:
    """The cache of `_Caller` entries of one workspace (bounded LRU by token, `CACHE_TTL_S`).

    A request leases its entry; an entry that expired or was pushed out serves no new request
    and is closed when its last lease comes back. `stats` counts entries and loops built and
    requests served from the cache (tests assert reuse with it)."""

    def __init__(self, state: EmulatorState) -> None:
        self.state = state
        self.entries: OrderedDict[str, _Caller] = OrderedDict()
        self.stats = {"callers_built": 0, "loops_built": 0, "loops_reused": 0}
        self._lock = threading.Lock()

    def lease(self, caller: Principal, token: str, request: SupervisorRequest) -> tuple[_Caller, Any]:
        key = hashlib.sha256(f"{self.state.host}\0{token}".encode()).hexdigest()
        closing: list[_Caller] = []
        try:
            with self._lock:
                entry = self.entries.get(key)
                if entry is not None and (time.monotonic() - entry.created > CACHE_TTL_S
                                          or entry.principal_id != caller.id):
                    closing += self._retire(key)
                    entry = None
                if entry is None:
                    entry = _Caller(self.state, caller, token, key)
                    self.stats["callers_built"] += 1
                    self.entries[key] = entry
                    while len(self.entries) > CACHE_MAX_CALLERS:
                        closing += self._retire(next(iter(self.entries)))
                else:
                    self.entries.move_to_end(key)
                loop, built = entry.loop(request)
                self.stats["loops_built" if built else "loops_reused"] += 1
                entry.leases += 1
                return entry, loop
        finally:
            for old in closing:
                old.close(self.state)

    def _retire(self, key: str) -> list[_Caller]:
        entry = self.entries.pop(key)
        entry.retired = True
        return [entry] if entry.leases == 0 else []

    def release(self, entry: _Caller) -> None:
        with self._lock:
            entry.leases -= 1
            idle = entry.leases == 0
            close_entry = idle and entry.retired
            dropped = entry.dropped[:] if idle and not entry.retired else []
            if dropped:
                entry.dropped.clear()
        if close_entry:
            entry.close(self.state)
        for loop in dropped:
            loop.close()

    def clear(self) -> None:
        """Retire every entry (the workspace stops or resets): idle ones are closed now, the ones a
        run still holds when that run gives its lease back."""
        with self._lock:
            closing = [entry for key in list(self.entries) for entry in self._retire(key)]
        for entry in closing:
            entry.close(self.state)


def callers_of(state: EmulatorState) -> Callers:
    """The workspace's cache of callers (created on first use, cleared when the workspace closes)."""
    with _lock:
        cache = state.runtime.get(CACHE_KEY)
        if cache is None:
            cache = state.runtime[CACHE_KEY] = Callers(state)
            state.on_close(cache.clear)
        return cache


def cache_stats(state: EmulatorState) -> dict[str, int]:
    """How often the route built or reused callers' clients and loops (see `Callers`)."""
    cache = callers_of(state)
    with cache._lock:
        return {**cache.stats, "callers": len(cache.entries)}


def forget_callers(state: EmulatorState) -> None:
    """Drop every cached caller and zero the counters: the next request builds its clients and
    lists its tools afresh."""
    cache = callers_of(state)
    cache.clear()
    with cache._lock:
        cache.stats = dict.fromkeys(cache.stats, 0)


def open_session(state: EmulatorState, caller: Principal, token: str, request: SupervisorRequest) -> Session:
    """The client engine's loop for `request`, acting as `caller`: the caller's cached clients and
    MCP sessions, and the loop (tool listings included) of an earlier request of the same shape."""
    cache = callers_of(state)
    entry, loop = cache.lease(caller, token, request)
    return Session(state, loop, entry, cache)
