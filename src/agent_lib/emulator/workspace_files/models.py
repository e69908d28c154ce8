"""Workspace objects: directories, files and notebooks under `/Users`, `/Shared`, ... (no HTTP here).

Metadata lives in kind `workspace_object` (key: the normalized path), contents in kind
`workspace_content` (key: the object id, base64), so listings stay cheap and a restart keeps
everything. Paths, the implicit folders and access rules are in `paths.py`; notebook formats in
`notebooks.py`.
"""

from __future__ import annotations

import base64
import io
import posixpath
import time
import zipfile
from collections.abc import Iterator
from typing import Any

from ..core.errors import ApiError, already_exists, invalid, not_found, permission_denied
from ..core.identity import Principal
from ..core.state import EmulatorState
from .notebooks import (
    LANGUAGE_EXT,
    LANGUAGES,
    auto_kind,
    ipynb_language,
    notebook_jupyter,
    notebook_source,
)
from .paths import (
    CONTENTS,
    OBJECTS,
    ROOTS,
    can_access,
    implicit_dir,
    implicit_info,
    lookup,
    normalize,
    parent,
    require,
    require_dir,
)

MAX_JSON_CONTENT = 10 * 1024 * 1024  # Databricks' limit for base64 `content` in JSON imports/exports

IMPORT_FORMATS = ("AUTO", "SOURCE", "RAW", "JUPYTER", "DBC", "HTML", "R_MARKDOWN")


def _now_ms() -> int:
    return int(time.time() * 1000)


def _public(doc: dict[str, Any]) -> dict[str, Any]:
    """The object as the API shows it (private fields such as the notebook's `_format` dropped)."""
    return {k: v for k, v in doc.items() if not k.startswith("_")}


def get_status(state: EmulatorState, caller: Principal, path: str) -> dict[str, Any]:
    path = normalize(path)
    require(caller, path)
    doc = lookup(state, path)
    if doc is None:
        raise not_found(f"Path ({path}) doesn't exist.")
    return _public(doc)


def _make_dir(state: EmulatorState, path: str) -> None:
    oid = state.store.next_id("workspace_object", start=1_100_000_000_000_001)
    now = _now_ms()
    state.store.put(OBJECTS, path, {"path": path, "object_type": "DIRECTORY", "object_id": oid,
                                    "resource_id": str(oid), "created_at": now, "modified_at": now})


def mkdirs(state: EmulatorState, caller: Principal | None, path: str) -> None:
    """Create a directory and its parents; an existing directory is fine, a file on the way is not."""
    path = normalize(path)
    if caller is not None:
        require(caller, path, write=True)
    parts = [p for p in path.split("/") if p]
    with state.store.transaction():
        for i in range(1, len(parts) + 1):
            prefix = "/" + "/".join(parts[:i])
            existing = lookup(state, prefix)
            if existing is None:
                _make_dir(state, prefix)
            elif existing["object_type"] != "DIRECTORY":
                raise already_exists(f"Path ({prefix}) already exists and is not a directory.")


def import_object(state: EmulatorState, caller: Principal | None, path: str, content: bytes, *,
                  format: str | None = None, language: str | None = None,
                  overwrite: bool = False) -> dict[str, Any]:
    """`/api/2.0/workspace/import`: a file or notebook at `path` (JSON base64 or multipart bytes)."""
    path = normalize(path)
    fmt = (format or "SOURCE").upper()
    if fmt not in IMPORT_FORMATS:
        raise invalid(f"Invalid value for field 'format': {format!r} (one of {', '.join(IMPORT_FORMATS)}).")
    if language is not None and language.upper() not in LANGUAGES:
        raise invalid(f"Invalid value for field 'language': {language!r} (one of {', '.join(LANGUAGES)}).")
    language = language.upper() if language else None
    nb_format = "SOURCE"
    if fmt == "AUTO":
        was_ipynb = path.lower().endswith(".ipynb")
        object_type, path, language = auto_kind(path, content)
        nb_format = "JUPYTER" if was_ipynb else "SOURCE"
    elif fmt == "RAW":
        object_type = "FILE"
    elif fmt == "SOURCE":
        if language is None:
            raise invalid("Invalid value for field 'language': a language is required to import a single "
                          "file as SOURCE (or use format AUTO to import it as a workspace file).")
        object_type = "NOTEBOOK"
    elif fmt == "JUPYTER":
        object_type, language, nb_format = "NOTEBOOK", language or ipynb_language(content), "JUPYTER"
        if path.lower().endswith(".ipynb"):
            path = path[: -len(".ipynb")]
    else:
        raise invalid(f"Invalid value for field 'format': {fmt} imports are not supported by the emulated "
                      "workspace; use AUTO, SOURCE, RAW or JUPYTER.")
    if caller is not None:
        require(caller, path, write=True)
    if path == "/" or path in ROOTS:
        raise already_exists(f"Path ({path}) already exists.")
    with state.store.transaction():
        require_dir(state, parent(path))
        existing = lookup(state, path)
        if existing is not None:
            if existing["object_type"] == "DIRECTORY":
                raise already_exists(f"Path ({path}) already exists and is a directory.")
            if not overwrite:
                raise already_exists(f"Path ({path}) already exists.")
        now = _now_ms()
        oid = existing["object_id"] if existing else state.store.next_id(
            "workspace_object", start=1_100_000_000_000_001)
        doc: dict[str, Any] = {"path": path, "object_type": object_type, "object_id": oid,
                               "resource_id": str(oid),
                               "created_at": existing.get("created_at", now) if existing else now,
                               "modified_at": now, "size": len(content)}
        if object_type == "NOTEBOOK":
            doc["language"] = language
            doc["_format"] = nb_format
        state.store.put(OBJECTS, path, doc)
        state.store.put(CONTENTS, str(oid), {"b64": base64.b64encode(content).decode()})
    return _public(doc)


def write_file(state: EmulatorState, path: str, content: bytes) -> dict[str, Any]:
    """Seeds and tests: a workspace FILE at `path`, parents created, replaced if present."""
    mkdirs(state, None, parent(normalize(path)))
    return import_object(state, None, path, content, format="RAW", overwrite=True)


def _content(state: EmulatorState, doc: dict[str, Any]) -> bytes:
    raw = state.store.get(CONTENTS, str(doc["object_id"])) or {"b64": ""}
    return base64.b64decode(raw["b64"])


def export(state: EmulatorState, caller: Principal, path: str, format: str | None = None,
           *, direct: bool = False) -> tuple[bytes, str]:
    """`/api/2.0/workspace/export`: (content, file_type)."""
    path = normalize(path)
    require(caller, path)
    doc = lookup(state, path)
    if doc is None:
        raise not_found(f"Path ({path}) doesn't exist.")
    fmt = (format or "SOURCE").upper()
    if fmt not in IMPORT_FORMATS:
        raise invalid(f"Invalid value for field 'format': {format!r} (one of {', '.join(IMPORT_FORMATS)}).")
    kind = doc["object_type"]
    if kind == "DIRECTORY":
        if fmt not in ("SOURCE", "AUTO"):
            raise invalid(f"Invalid value for field 'format': directories export as SOURCE or AUTO, "
                          f"not {fmt}.")
        data, file_type = _zip_tree(state, caller, path, include_files=fmt == "AUTO"), "zip"
    elif kind == "FILE":
        if fmt not in ("SOURCE", "AUTO", "RAW"):
            raise invalid(f"Invalid value for field 'format': files export as SOURCE, AUTO or RAW, "
                          f"not {fmt}.")
        data = _content(state, doc)
        file_type = posixpath.splitext(path)[1].lstrip(".")
    else:
        content = _content(state, doc)
        if fmt in ("SOURCE", "AUTO"):
            data, file_type = notebook_source(doc, content), LANGUAGE_EXT[doc.get("language") or "PYTHON"]
        elif fmt == "JUPYTER":
            data, file_type = notebook_jupyter(doc, content), "ipynb"
        else:
            raise invalid(f"Invalid value for field 'format': {fmt} exports are not supported by the "
                          "emulated workspace; use SOURCE, AUTO or JUPYTER.")
    if not direct and len(data) > MAX_JSON_CONTENT:
        raise ApiError(400, "MAX_NOTEBOOK_SIZE_EXCEEDED",
                       f"File ({path}) exceeds the 10 MB export limit; use direct_download.")
    return data, file_type


def _children(state: EmulatorState, path: str) -> list[dict[str, Any]]:
    prefix = "/" if path == "/" else path + "/"
    found: dict[str, dict[str, Any]] = {}
    for doc in state.store.list(OBJECTS, prefix):
        rest = doc["path"][len(prefix):]
        if rest and "/" not in rest:
            found[doc["path"]] = doc
    if path == "/":
        for root in ROOTS:
            found.setdefault(root, implicit_info(root))
    elif path == "/Users":
        for p in state.identities.all():
            home = f"/Users/{p['name']}"
            if p.get("active", True) and p["kind"] == "user":
                found.setdefault(home, implicit_info(home))
    return [found[k] for k in sorted(found)]


def list_objects(state: EmulatorState, caller: Principal, path: str,
                 modified_after: int | None = None) -> list[dict[str, Any]]:
    """`/api/2.0/workspace/list`: a directory's entries, or the object itself for a file."""
    path = normalize(path)
    require(caller, path)
    doc = lookup(state, path)
    if doc is None:
        raise not_found(f"Path ({path}) doesn't exist.")
    if doc["object_type"] != "DIRECTORY":
        return [_public(doc)]
    out = []
    for child in _children(state, path):
        if not can_access(caller, child["path"]):
            continue
        if (modified_after is not None and child["object_type"] == "NOTEBOOK"
                and child.get("modified_at", 0) <= modified_after):
            continue
        out.append(_public(child))
    return out


def delete(state: EmulatorState, caller: Principal, path: str, recursive: bool = False) -> None:
    path = normalize(path)
    require(caller, path, write=True)
    with state.store.transaction():
        doc = state.store.get(OBJECTS, path)
        if doc is None:
            if implicit_dir(state, path):
                raise permission_denied(f"Path ({path}) is a system folder and cannot be deleted.")
            raise not_found(f"Path ({path}) doesn't exist.")
        if doc["object_type"] == "DIRECTORY":
            below = state.store.list(OBJECTS, path + "/")
            if below and not recursive:
                raise ApiError(400, "DIRECTORY_NOT_EMPTY", f"Folder ({path}) is not empty.")
            for child in below:
                state.store.delete(OBJECTS, child["path"])
                state.store.delete(CONTENTS, str(child["object_id"]))
        state.store.delete(OBJECTS, path)
        state.store.delete(CONTENTS, str(doc["object_id"]))


# -- trees (App deployments, directory exports) -------------------------------------------------
def _tree(state: EmulatorState, path: str, *, caller: Principal | None = None,
          include_files: bool = True) -> Iterator[tuple[str, bytes]]:
    """(path relative to the folder, bytes) for everything below it; notebooks as SOURCE with
    their extension back. With `caller`, only what it may read; FILEs only if `include_files`."""
    prefix = "/" if path == "/" else path + "/"
    for obj in state.store.list(OBJECTS, prefix):
        if caller is not None and not can_access(caller, obj["path"]):
            continue
        rel = obj["path"][len(prefix):]
        if obj["object_type"] == "FILE" and include_files:
            yield rel, _content(state, obj)
        elif obj["object_type"] == "NOTEBOOK":
            lang = obj.get("language") or "PYTHON"
            yield f"{rel}.{LANGUAGE_EXT[lang]}", notebook_source(obj, _content(state, obj))


def read_tree(state: EmulatorState, path: str) -> dict[str, bytes] | None:
    """Every file below a directory as {relative path: bytes}; notebooks get their extension back.

    No permission check (callers check `can_access` first). None if `path` is not a directory.
    """
    path = normalize(path)
    doc = lookup(state, path)
    if doc is None or doc["object_type"] != "DIRECTORY":
        return None
    return dict(_tree(state, path))


def _zip_tree(state: EmulatorState, caller: Principal, path: str, *, include_files: bool) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for rel, data in _tree(state, path, caller=caller, include_files=include_files):
            zf.writestr(rel, data)
    return buf.getvalue()
