"""Kept MCP sessions: one per server URL, opened on first use and reused for every listing and call.

`DatabricksMCPClient` opens a new session (and a new httpx client, whose SSL context alone costs
~50 ms) for every operation; keeping the session makes a call one `tools/call` request. The sessions
live on one background event loop (a daemon thread shared by the process); the calls block the
calling thread, so they belong in worker threads, never inside a running event loop. Every request
carries the workspace client's current `Authorization` (`w.config.authenticate()`, refreshed by the
SDK), as databricks-mcp sends it.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import threading
import weakref
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from ._mcp import (
    CONNECT_TIMEOUT_S,
    SSE_READ_TIMEOUT_S,
    _answered,
    _closed,
    _diagnose,
    _terminated,
    _text_or_failure,
    server_url,
    ssl_context,
    unwrap,
)

if TYPE_CHECKING:
    from databricks.sdk import WorkspaceClient


class _LoopThread:
    """The process's event loop for MCP sessions, on a daemon thread started on first use."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._pid = 0

    def get(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            alive = self._thread is not None and self._thread.is_alive() and self._pid == os.getpid()
            if not alive or self._loop is None:
                loop = asyncio.new_event_loop()
                thread = threading.Thread(target=loop.run_forever, name="agent-lib-mcp", daemon=True)
                thread.start()
                self._loop, self._thread, self._pid = loop, thread, os.getpid()
            return self._loop


_LOOP = _LoopThread()


def _auth(w: WorkspaceClient) -> Any:
    import httpx

    class WorkspaceAuth(httpx.Auth):
        """The workspace client's current credentials on every request (the SDK refreshes them)."""

        def auth_flow(self, request: httpx.Request) -> Any:
            request.headers.update(w.config.authenticate())
            yield request

    return WorkspaceAuth()


class _Session:
    """One MCP session, held open by a task on the shared loop until `close()`.

    Operations run inside that task, one at a time: when the transport fails (an HTTP error answer
    ends mcp's task group), the operation in progress is cancelled with the session and its caller
    gets the transport's error. (Run from another task, it would wait forever: mcp's session tells
    waiting requests that the connection closed only when it is not itself cancelled.)
    """

    def __init__(self, url: str, w: WorkspaceClient) -> None:
        self.url = url
        self.ready: concurrent.futures.Future[None] = concurrent.futures.Future()
        self.error: BaseException | None = None
        self.session_id: str | None = None
        self.used = False
        self._queue: asyncio.Queue[Any] | None = None
        self._current: concurrent.futures.Future[Any] | None = None
        self._finished = False
        self._pid = os.getpid()  # a forked child has no loop thread: its sessions are not alive there
        self._loop = _LOOP.get()
        self.holder = asyncio.run_coroutine_threadsafe(self._hold(w), self._loop)
        self.holder.add_done_callback(self._ended)

    def _ended(self, _: Any) -> None:
        """Whatever way the holder ended (even cancelled before it ran), `ready` is settled."""
        if not self.ready.done():
            try:
                self.ready.set_exception(self.error or ConnectionError(f"the MCP session to {self.url} "
                                                                       "was closed"))
            except concurrent.futures.InvalidStateError:  # settled meanwhile by the holder
                pass

    @property
    def alive(self) -> bool:
        return self.error is None and not self.holder.done() and self._pid == os.getpid()

    async def _hold(self, w: WorkspaceClient) -> None:
        import httpx
        from mcp.client.session import ClientSession
        from mcp.client.streamable_http import streamable_http_client

        queue: asyncio.Queue[Any] = asyncio.Queue()
        self._queue = queue
        try:
            http = httpx.AsyncClient(auth=_auth(w), verify=ssl_context(),
                                     timeout=httpx.Timeout(CONNECT_TIMEOUT_S, read=SSE_READ_TIMEOUT_S))
            async with http, streamable_http_client(self.url, http_client=http) as (read, write, get_id):
                async with ClientSession(read, write) as session:
                    await session.initialize()
                    self.session_id = get_id()
                    self.ready.set_result(None)
                    while (item := await queue.get()) is not None:
                        operation, future = item
                        if not future.set_running_or_notify_cancel():
                            continue
                        self._current = future
                        try:
                            result = await operation(session)
                        except Exception as exc:  # the server's MCP error answer: the session goes on
                            future.set_exception(exc)
                        else:
                            future.set_result(result)
                        self._current = None
        except BaseException as exc:  # noqa: BLE001 - handed to the callers; the task just ends
            self.error = unwrap(exc)
        finally:
            self._finished = True
            failure = self.error or ConnectionError(f"the MCP session to {self.url} was closed")
            if not self.ready.done():
                try:
                    self.ready.set_exception(failure)
                except concurrent.futures.InvalidStateError:
                    pass
            pending = [self._current] if self._current is not None else []
            while not queue.empty():
                item = queue.get_nowait()
                if item is not None:
                    pending.append(item[1])
            for future in pending:
                if not future.done() and (future.running() or future.set_running_or_notify_cancel()):
                    future.set_exception(failure)

    def run(self, operation: Any, timeout_s: float) -> Any:
        """`await operation(session)` in the session's task, waited for here (at most `timeout_s`)."""
        try:
            self.ready.result(timeout=timeout_s)
        except concurrent.futures.TimeoutError:
            if self.ready.done():  # the session's own failure, which happens to be a timeout
                raise
            self.holder.cancel()
            raise TimeoutError(f"the MCP server {self.url} did not open a session within "
                               f"{timeout_s:g} s") from None
        future: concurrent.futures.Future[Any] = concurrent.futures.Future()

        def submit() -> None:  # on the loop, so it cannot pass the holder's final clean-up unseen
            if self._finished:
                if future.set_running_or_notify_cancel():
                    future.set_exception(self.error or ConnectionError(f"the MCP session to {self.url} "
                                                                       "was closed"))
            else:
                self._queue.put_nowait((operation, future))  # type: ignore[union-attr]

        try:
            self._loop.call_soon_threadsafe(submit)
        except RuntimeError:  # the loop is gone (interpreter exit)
            raise ConnectionError(f"the MCP session to {self.url} was closed") from None
        try:
            result = future.result(timeout=timeout_s)
        except concurrent.futures.TimeoutError:
            if future.done():  # the operation's own failure, which happens to be a timeout
                raise
            self.holder.cancel()  # the operation ends with its session
            raise TimeoutError(f"the MCP server {self.url} did not answer within {timeout_s:g} s") from None
        self.used = True
        return result

    def close(self) -> None:
        """End the session once its operation (if any) is done."""
        try:
            if self._queue is not None:
                self._loop.call_soon_threadsafe(self._queue.put_nowait, None)
            else:
                self.holder.cancel()
        except RuntimeError:  # the loop is gone (interpreter exit): nothing is open anymore
            pass


def _close_idle(idle: dict[str, list[_Session]]) -> None:
    for sessions in idle.values():
        for session in sessions:
            session.close()
    idle.clear()


class McpSessions:
    """The MCP sessions of one owner (a Supervisor's tools), kept between operations.

    An operation takes an idle session to its server (or opens one) and gives it back when done,
    so parallel calls to one server run on sessions of their own, as they did with a session per
    call. A session that fails (an HTTP error, a broken connection, a timeout) is closed and the
    error reported as before (`McpHttpError` with the server's status); the next operation opens a
    new one. When a server ended a session it had served (a stateful server's 404 `Session
    terminated`), the operation runs once more on a new session. `close()` ends the sessions; a
    later operation opens new ones.
    """

    MAX_IDLE = 4
    """Idle sessions kept per server."""

    def __init__(self, w: WorkspaceClient, timeout_s: float = 120.0) -> None:
        self.workspace_client = w
        self.timeout_s = timeout_s
        self.opened = 0
        """Sessions opened so far (instrumentation: tests assert reuse with it)."""
        self._idle: dict[str, list[_Session]] = {}
        self._generation = 0
        self._lock = threading.Lock()
        self._finalizer = weakref.finalize(self, _close_idle, self._idle)

    def _checkout(self, url: str) -> tuple[_Session, int]:
        with self._lock:
            idle = self._idle.get(url, [])
            while idle:
                session = idle.pop()
                if session.alive:
                    return session, self._generation
                session.close()
            self.opened += 1
            generation = self._generation
        return _Session(url, self.workspace_client), generation

    def _checkin(self, session: _Session, generation: int) -> None:
        with self._lock:
            idle = self._idle.setdefault(session.url, [])
            if session.alive and generation == self._generation and len(idle) < self.MAX_IDLE:
                idle.append(session)
                return
        session.close()

    def _run(self, path: str, operation: Any) -> Any:
        w = self.workspace_client
        url = server_url(w, path)
        for attempt in (1, 2):
            session, generation = self._checkout(url)
            was_used = session.used
            try:
                result = session.run(operation, self.timeout_s)
            except Exception as exc:
                if session.alive and _answered(exc):
                    self._checkin(session, generation)  # the server's JSON-RPC error: the session is fine
                    raise
                session.close()
                try:
                    session.holder.result(timeout=2)  # the session's own error, once it has ended
                except BaseException:  # noqa: BLE001 - only waiting for it to end
                    pass
                if attempt == 1 and was_used and _terminated(exc):
                    continue  # a stateful server forgot the session: a new one, the operation again
                cause = session.error if session.error is not None and _closed(exc) else unwrap(exc)
                if isinstance(cause, TimeoutError):  # nothing to ask the server: it is not answering
                    raise cause from None
                raise _diagnose(w, path, cause) from None
            self._checkin(session, generation)
            return result
        raise AssertionError("unreachable")  # pragma: no cover

    def list_tools(self, path: str) -> list[Any]:
        """The server's `mcp.types.Tool`s (name, description, inputSchema)."""

        async def listing(session: Any) -> list[Any]:
            return list((await session.list_tools()).tools)

        return self._run(path, listing)

    def call_tool(self, path: str, name: str, arguments: dict[str, Any]) -> str:
        """The tool's result as text; an MCP error result raises `ToolFailure` with the server's words."""
        timeout = timedelta(seconds=self.timeout_s)

        async def calling(session: Any) -> Any:
            from mcp.shared.exceptions import McpError

            try:
                return await session.call_tool(name, arguments, read_timeout_seconds=timeout)
            except McpError as exc:  # mcp's own read timeout: it does not say who did not answer
                if not str(exc).startswith("Timed out while waiting"):
                    raise
                raise TimeoutError(f"the MCP server {path} did not answer {name} within "
                                   f"{self.timeout_s:g} s") from None

        return _text_or_failure(self._run(path, calling), name)

    def idle(self) -> int:
        """Open sessions waiting for an operation."""
        with self._lock:
            return sum(1 for sessions in self._idle.values() for s in sessions if s.alive)

    def close(self) -> None:
        """End the idle sessions now and the busy ones when their operation is done."""
        with self._lock:
            self._generation += 1
            _close_idle(self._idle)


__all__ = ["McpSessions"]
