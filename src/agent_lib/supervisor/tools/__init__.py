"""Client-side executors for the five hosted tool types, and the `Toolset` the loop routes calls with.

| hosted tool         | module                | Databricks API                                              |
|---------------------|-----------------------|-------------------------------------------------------------|
| genie_space         | `genie`               | Genie Conversation API (`w.genie`)                          |
| uc_function         | `uc_function`         | managed MCP `/api/2.0/mcp/functions/...`, or SQL statements |
| knowledge_assistant | `knowledge_assistant` | `w.knowledge_assistants` + the assistant's serving endpoint |
| uc_connection       | `uc_connection`       | managed MCP proxy `/api/2.0/mcp/external/{name}`            |
| app                 | `app`                 | `DatabricksOpenAI` with `model="apps/<name>"`               |

Function names are listed in `naming`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import Any

from ...errors import SupervisorError
from ...spec import function_tool_name
from ._mcp import McpHttpError, list_tools, unwrap
from ._mcp_sessions import McpSessions
from .app import AppExecutor
from .base import Executor, FunctionTool, ToolContext, ToolFailure
from .genie import GenieExecutor
from .knowledge_assistant import KnowledgeAssistantExecutor
from .naming import app_tool_name, genie_tool_name, knowledge_assistant_tool_name
from .uc_connection import UcConnectionExecutor
from .uc_function import UcFunctionExecutor

_NAME_LENGTHS = (8, 16, 32, 64)


@dataclass(frozen=True)
class ToolKind:
    """How one hosted tool type becomes its executor, and which function name that executor offers."""

    build: Callable[[Any, ToolContext, int], Executor]
    """Builds the executor; the int is the length of the id prefix in its function name (Genie spaces
    and Knowledge Assistants; the others ignore it)."""
    name: Callable[[Any, int], str] | None = None
    """Its function name at that prefix length; None where the tool's MCP server names the functions."""


EXECUTORS: dict[str, ToolKind] = {
    "genie_space": ToolKind(lambda tool, context, length: GenieExecutor(tool, context, name_length=length),
                            lambda tool, length: genie_tool_name(tool.ref, length)),
    "knowledge_assistant": ToolKind(
        lambda tool, context, length: KnowledgeAssistantExecutor(tool, context, name_length=length),
        lambda tool, length: knowledge_assistant_tool_name(tool.ref, length)),
    "uc_function": ToolKind(lambda tool, context, _: UcFunctionExecutor(tool, context),
                            lambda tool, _: function_tool_name(tool.ref)),
    "uc_connection": ToolKind(lambda tool, context, _: UcConnectionExecutor(tool, context)),
    "app": ToolKind(lambda tool, context, _: AppExecutor(tool, context), lambda tool, _: app_tool_name(tool.ref)),
}
"""The executor of each hosted tool type: a new tool type is one entry here."""


def _name_length(tools: Sequence[Any]) -> int:
    """The shortest id prefix at which no two tools offer the same function name (Genie spaces or
    assistants sharing a prefix get longer ones)."""
    for length in _NAME_LENGTHS:
        names = [kind.name(t, length) for t in tools if (kind := EXECUTORS[t.type]).name is not None]
        if len(names) == len(set(names)):
            return length
    return _NAME_LENGTHS[-1]


def _executors(tools: Sequence[Any], context: ToolContext) -> list[Executor]:
    """One executor per tool, each built once, with names that tell the tools apart."""
    unknown = [t.type for t in tools if t.type not in EXECUTORS]
    if unknown:  # pragma: no cover - AgentSpec admits only the registered types
        raise SupervisorError(f"unknown hosted tool type {unknown[0]!r}", cause="request")
    length = _name_length(tools)
    return [EXECUTORS[t.type].build(t, context, length) for t in tools]


class Toolset:
    """The hosted tools as executors: the function tools offered to the model and the route of a call."""

    def __init__(self, tools: Sequence[Any], context: ToolContext, *, auto_approve: Iterable[str] = (),
                 client_functions: Sequence[dict[str, Any]] = ()) -> None:
        self.context = context
        self.executors = _executors(tools, context)
        self.auto_approve = frozenset(auto_approve)
        self.client_functions = [dict(f) for f in client_functions]
        self._functions: list[FunctionTool] | None = None
        self._routes: dict[str, Executor] = {}
        self._lock = threading.Lock()

    @property
    def listed(self) -> bool:
        """Whether the function tools have been listed (and are cached)."""
        return self._functions is not None

    def functions(self) -> list[FunctionTool]:
        """Every function tool on offer (listing MCP servers once, concurrently); cached."""
        with self._lock:
            if self._functions is None:
                self._functions = self._list()
            return self._functions

    def _list(self) -> list[FunctionTool]:
        if not self.executors:
            return []
        pool = ThreadPoolExecutor(max_workers=min(8, len(self.executors)),
                                  thread_name_prefix="agent-lib-list")
        try:
            futures = [pool.submit(e.functions) for e in self.executors]
            deadline = time.monotonic() + self.context.timeout_s  # for all of them, not each
            offered: list[FunctionTool] = []
            owners: dict[str, str] = {f["name"]: "a client function tool" for f in self.client_functions}
            for executor, future in zip(self.executors, futures, strict=True):
                label = executor.tool.label
                try:
                    functions = future.result(timeout=max(0.0, deadline - time.monotonic()))
                except FutureTimeout:
                    raise SupervisorError(f"{label}: listing its tools took longer than "
                                          f"{self.context.timeout_s:g} s", cause="timeout",
                                          dependency=label) from None
                except Exception as exc:
                    from ..retry import retry_after, status_of

                    name = getattr(executor, "name", None)
                    cause = unwrap(exc)
                    # Degrade only what the tool itself found (the managed MCP server serves this caller no
                    # such function, say); HTTP failures (a missing scope: 403, 5xx) still fail the turn, and
                    # an MCP connection's tools are unknown without a listing.
                    if not isinstance(name, str) or not isinstance(cause, ToolFailure) or status_of(cause):
                        raise SupervisorError(f"{label}: could not prepare the tool: {describe_error(exc)}",
                                              cause="tool", status=status_of(unwrap(exc)), dependency=label,
                                              retry_after_s=retry_after(unwrap(exc))) from None
                    # This caller cannot use it (a user without the grant, say): offered anyway, each
                    # call answers why, and the rest of the turn goes on.
                    executor = _Unavailable(executor, describe_error(exc))
                    functions = [FunctionTool(name, executor.tool.description,
                                              {"type": "object", "properties": {}})]
                for function in functions:
                    if function.name in owners:
                        raise SupervisorError(
                            f"{label} offers a tool named {function.name!r}, as {owners[function.name]} "
                            "does; the model could not tell them apart. Remove one of the two tools.",
                            cause="request")
                    owners[function.name] = label
                    self._routes[function.name] = executor
                    offered.append(function)
            return offered
        finally:
            pool.shutdown(wait=False, cancel_futures=True)

    def wire(self) -> list[dict[str, Any]]:
        """The `tools` of the model request: hosted tools as function tools, then client functions."""
        return [f.to_wire() for f in self.functions()] + self.client_functions

    def route(self, name: str) -> Executor | None:
        self.functions()
        return self._routes.get(name)

    def is_client_function(self, name: str) -> bool:
        return any(f.get("name") == name for f in self.client_functions)

    def needs_approval(self, executor: Executor) -> bool:
        return executor.requires_approval and executor.tool.ref not in self.auto_approve

    def close(self) -> None:
        """End the MCP sessions kept for the tools (a later call opens new ones)."""
        self.context.close()

    def names(self) -> list[str]:
        return [f.name for f in self.functions()] + [f["name"] for f in self.client_functions]


class _Unavailable(Executor):
    """A single-function tool whose preparation failed for this caller: every call fails with why."""

    def __init__(self, inner: Executor, reason: str) -> None:
        super().__init__(inner.tool, inner.context)
        self.requires_approval = inner.requires_approval
        self.reason = reason

    def functions(self) -> list[FunctionTool]:
        return []

    def call(self, name: str, arguments: dict[str, Any]) -> str:
        raise ToolFailure(f"{self.tool.label} is not available to this caller: {self.reason}")


def describe_error(exc: BaseException) -> str:
    """A one-line description of a tool's failure, without tracebacks (and never a token)."""
    from .._redact import redact, without_sdk_debug
    from ..retry import status_of

    exc = unwrap(exc)
    if isinstance(exc, ToolFailure):
        return redact(without_sdk_debug(str(exc)))
    if isinstance(exc, TimeoutError) and exc.__cause__ is not None and status_of(exc.__cause__):
        # databricks-sdk's retry budget ran out: the answer it kept getting is the cause
        return f"{describe_error(exc.__cause__)} (still so after the SDK's retries: {exc})"
    status = status_of(exc)
    text = without_sdk_debug(str(exc).strip()) or type(exc).__name__
    kind = type(exc).__name__
    return redact(f"{kind} ({status}): {text}" if status else f"{kind}: {text}")


__all__ = ["EXECUTORS", "Executor", "FunctionTool", "McpHttpError", "McpSessions", "ToolContext", "ToolFailure",
           "ToolKind", "Toolset", "describe_error", "list_tools"]
