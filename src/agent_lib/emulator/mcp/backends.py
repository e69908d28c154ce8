"""The services the managed MCP servers sit on (Unity Catalog, Genie), imported on first use.

The emulator can be built without a service; then its MCP server answers 501 NOT_IMPLEMENTED
instead of failing at import time, and importing this package stays cheap.
"""

from __future__ import annotations

import importlib
from typing import Any

from ..core.errors import ApiError


def service_modules(package: str, label: str, *modules: str) -> list[Any]:
    """`agent_lib.emulator.<package>.<module>` for each module; 501 if the service is not built."""
    try:
        return [importlib.import_module(f"agent_lib.emulator.{package}.{m}") for m in modules]
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.startswith(f"agent_lib.emulator.{package}"):
            raise ApiError(501, "NOT_IMPLEMENTED",
                           f"{label} is not available in this emulated workspace.") from None
        raise


def catalog_attr(name: str) -> Any:
    """One of the catalog service's rules (`catalog.models.<name>`): functions, execution, connections."""
    try:
        return getattr(service_modules("catalog", "Unity Catalog", "models")[0], name)
    except (AttributeError, ModuleNotFoundError):
        raise ApiError(501, "NOT_IMPLEMENTED",
                       f"Unity Catalog's {name} is not available in this emulated workspace.") from None


def genie() -> tuple[Any, Any]:
    """The Genie service's space rules and conversations."""
    space_models, conversations = service_modules("genie", "Genie", "models", "conversations")
    return space_models, conversations
