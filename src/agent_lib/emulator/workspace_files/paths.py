"""Workspace paths: how they are spelled, the folders that exist implicitly, lookup, and access.

Databricks stores workspace paths without the `/Workspace` prefix (the FUSE mount name) and
accepts both spellings on input; `normalize` does the same. `/`, `/Users`, `/Shared`, `/Repos`
and every principal's home folder `/Users/<name>` exist implicitly, as they do on Databricks.
Non-admins may read and write their own home folder and `/Shared`; admins everything.
"""

from __future__ import annotations

import hashlib
import posixpath
from typing import Any

from ..core.errors import invalid, not_found, permission_denied
from ..core.identity import Principal
from ..core.state import EmulatorState

OBJECTS = "workspace_object"
CONTENTS = "workspace_content"

ROOTS = ("/Users", "/Shared", "/Repos")


def normalize(path: str | None, field: str = "path") -> str:
    """`/Workspace/Users/a/b/` -> `/Users/a/b`; refuses relative paths and `..`, naming the field."""
    if path is None or not str(path).strip():
        raise invalid(f"Missing required field: {field}")
    path = str(path).strip()
    if not path.startswith("/"):
        raise invalid(f"Invalid value for field '{field}': path ({path}) must be absolute (start with '/').")
    parts = [p for p in path.split("/") if p]
    if any(p in (".", "..") for p in parts):
        raise invalid(f"Invalid value for field '{field}': path ({path}) must not contain '.' or '..'.")
    if parts and parts[0] == "Workspace":
        parts = parts[1:]
    return "/" + "/".join(parts)


def parent(path: str) -> str:
    return posixpath.dirname(path) or "/"


def _stable_id(path: str) -> int:
    return int(hashlib.sha256(path.encode()).hexdigest()[:13], 16)


def implicit_dir(state: EmulatorState, path: str) -> bool:
    if path == "/" or path in ROOTS:
        return True
    parts = path.split("/")
    if len(parts) == 3 and parts[1] == "Users":
        name = parts[2]
        return bool(state.identities.find("user", name) or state.identities.find("service_principal", name))
    return False


def implicit_info(path: str) -> dict[str, Any]:
    oid = _stable_id(path)
    return {"path": path, "object_type": "DIRECTORY", "object_id": oid, "resource_id": str(oid)}


def lookup(state: EmulatorState, path: str) -> dict[str, Any] | None:
    doc = state.store.get(OBJECTS, path)
    if doc is not None:
        return doc
    if implicit_dir(state, path):
        return implicit_info(path)
    return None


def can_access(principal: Principal, path: str, *, write: bool = False) -> bool:
    """Home folder and /Shared for everyone, everything for admins; `/`, `/Users` readable by all."""
    if principal.admin:
        return True
    if not write and path in ("/", "/Users", "/Repos"):
        return True
    if path == "/Shared" or path.startswith("/Shared/"):
        return True
    home = f"/Users/{principal.name}".lower()
    low = path.lower()
    return low == home or low.startswith(home + "/")


def require(principal: Principal, path: str, *, write: bool = False) -> None:
    if not can_access(principal, path, write=write):
        what = "Edit" if write else "Read"
        raise permission_denied(f"User {principal.name} does not have {what} permission on path ({path}).")


def require_dir(state: EmulatorState, path: str) -> None:
    found = lookup(state, path)
    if found is None:
        raise not_found(f"The parent folder ({path}) does not exist.")
    if found["object_type"] != "DIRECTORY":
        raise invalid(f"The parent path ({path}) is not a directory.")
