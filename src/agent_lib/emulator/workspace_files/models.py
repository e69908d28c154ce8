"""Workspace objects: directories, files and notebooks under `/Users`, `/Shared`, ... (no HTTP here).

Databricks stores workspace paths without the `/Workspace` prefix (the FUSE mount name) and
accepts both spellings on input; `normalize` does the same. Metadata lives in kind
`workspace_object` (key: the normalized path), contents in kind `workspace_content` (key: the
object id, base64), so listings stay cheap and a restart keeps everything.

`/`, `/Users`, `/Shared`, `/Repos` and every principal's home folder `/Users/<name>` exist
implicitly, as they do on Databricks. Non-admins may read and write their own home folder and
`/Shared`; admins everything.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import posixpath
import time
import zipfile
from typing import Any

from ..core.errors import ApiError, already_exists, invalid, not_found, permission_denied
from ..core.identity import Principal
from ..core.state import EmulatorState

OBJECTS = "workspace_object"
CONTENTS = "workspace_content"

ROOTS = ("/Users", "/Shared", "/Repos")
MAX_JSON_CONTENT = 10 * 1024 * 1024  # Databricks' limit for base64 `content` in JSON imports/exports

IMPORT_FORMATS = ("AUTO", "SOURCE", "RAW", "JUPYTER", "DBC", "HTML", "R_MARKDOWN")
LANGUAGES = ("PYTHON", "SQL", "SCALA", "R")

_EXT_LANGUAGE = {".py": "PYTHON", ".sql": "SQL", ".scala": "SCALA", ".r": "R"}
_LANGUAGE_EXT = {"PYTHON": "py", "SQL": "sql", "SCALA": "scala", "R": "r"}
_COMMENT = {"PYTHON": "#", "SQL": "--", "SCALA": "//", "R": "#"}
_HEADER = "Databricks notebook source"
_CELL = "COMMAND ----------"


# -- paths ----------------------------------------------------------------------------------------
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


def _parent(path: str) -> str:
    return posixpath.dirname(path) or "/"


def _now_ms() -> int:
    return int(time.time() * 1000)


def _stable_id(path: str) -> int:
    return int(hashlib.sha256(path.encode()).hexdigest()[:13], 16)


def _implicit_dir(state: EmulatorState, path: str) -> bool:
    if path == "/" or path in ROOTS:
        return True
    parts = path.split("/")
    if len(parts) == 3 and parts[1] == "Users":
        name = parts[2]
        return bool(state.identities.find("user", name) or state.identities.find("service_principal", name))
    return False


def _implicit_info(path: str) -> dict[str, Any]:
    oid = _stable_id(path)
    return {"path": path, "object_type": "DIRECTORY", "object_id": oid, "resource_id": str(oid)}


def _lookup(state: EmulatorState, path: str) -> dict[str, Any] | None:
    doc = state.store.get(OBJECTS, path)
    if doc is not None:
        return doc
    if _implicit_dir(state, path):
        return _implicit_info(path)
    return None


def _public(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if not k.startswith("_")}


# -- access ---------------------------------------------------------------------------------------
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


def _require(principal: Principal, path: str, *, write: bool = False) -> None:
    if not can_access(principal, path, write=write):
        what = "Edit" if write else "Read"
        raise permission_denied(f"User {principal.name} does not have {what} permission on path ({path}).")


def _require_dir(state: EmulatorState, path: str) -> None:
    parent = _lookup(state, path)
    if parent is None:
        raise not_found(f"The parent folder ({path}) does not exist.")
    if parent["object_type"] != "DIRECTORY":
        raise invalid(f"The parent path ({path}) is not a directory.")


# -- operations -----------------------------------------------------------------------------------
def get_status(state: EmulatorState, caller: Principal, path: str) -> dict[str, Any]:
    path = normalize(path)
    _require(caller, path)
    doc = _lookup(state, path)
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
        _require(caller, path, write=True)
    parts = [p for p in path.split("/") if p]
    with state.store.transaction():
        for i in range(1, len(parts) + 1):
            prefix = "/" + "/".join(parts[:i])
            existing = _lookup(state, prefix)
            if existing is None:
                _make_dir(state, prefix)
            elif existing["object_type"] != "DIRECTORY":
                raise already_exists(f"Path ({prefix}) already exists and is not a directory.")


def _auto_kind(path: str, content: bytes) -> tuple[str, str, str | None]:
    """(object type, stored path, language) for format AUTO: a notebook only if it says it is one."""
    root, ext = posixpath.splitext(path)
    if ext.lower() == ".ipynb":
        return "NOTEBOOK", root, _ipynb_language(content)
    language = _EXT_LANGUAGE.get(ext.lower())
    if language:
        first = content.lstrip(b"\xef\xbb\xbf").split(b"\n", 1)[0].decode("utf-8", "replace").strip()
        if first == f"{_COMMENT[language]} {_HEADER}":
            return "NOTEBOOK", root, language
    return "FILE", path, None


def _ipynb_language(content: bytes) -> str:
    try:
        meta = json.loads(content).get("metadata", {})
    except (ValueError, AttributeError):
        raise invalid("Invalid value for field 'content': not a Jupyter notebook (invalid JSON).") from None
    lang = str((meta.get("language_info") or {}).get("name") or meta.get("kernelspec", {}).get("language")
               or "python").upper()
    return lang if lang in LANGUAGES else "PYTHON"


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
        object_type, path, language = _auto_kind(path, content)
        nb_format = "JUPYTER" if was_ipynb else "SOURCE"
    elif fmt == "RAW":
        object_type = "FILE"
    elif fmt == "SOURCE":
        if language is None:
            raise invalid("Invalid value for field 'language': a language is required to import a single "
                          "file as SOURCE (or use format AUTO to import it as a workspace file).")
        object_type = "NOTEBOOK"
    elif fmt == "JUPYTER":
        object_type, language, nb_format = "NOTEBOOK", language or _ipynb_language(content), "JUPYTER"
        if path.lower().endswith(".ipynb"):
            path = path[: -len(".ipynb")]
    else:
        raise invalid(f"Invalid value for field 'format': {fmt} imports are not supported by the emulated "
                      "workspace; use AUTO, SOURCE, RAW or JUPYTER.")
    if caller is not None:
        _require(caller, path, write=True)
    if path == "/" or path in ROOTS:
        raise already_exists(f"Path ({path}) already exists.")
    with state.store.transaction():
        _require_dir(state, _parent(path))
        existing = _lookup(state, path)
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
    mkdirs(state, None, _parent(normalize(path)))
    return import_object(state, None, path, content, format="RAW", overwrite=True)


def _content(state: EmulatorState, doc: dict[str, Any]) -> bytes:
    raw = state.store.get(CONTENTS, str(doc["object_id"])) or {"b64": ""}
    return base64.b64decode(raw["b64"])


def _notebook_source(doc: dict[str, Any], content: bytes) -> bytes:
    """A notebook as Databricks SOURCE: the header line, cells separated by COMMAND lines."""
    language = doc.get("language") or "PYTHON"
    c = _COMMENT[language]
    if doc.get("_format") == "JUPYTER":
        try:
            cells = json.loads(content).get("cells", [])
        except ValueError:
            cells = []
        bodies = ["".join(cell.get("source", "")) if isinstance(cell.get("source"), list)
                  else str(cell.get("source", "")) for cell in cells if cell.get("cell_type") == "code"]
        return (f"{c} {_HEADER}\n" + f"\n\n{c} {_CELL}\n\n".join(bodies) + "\n").encode()
    text = content.decode("utf-8", "replace")
    if not text.lstrip().startswith(f"{c} {_HEADER}"):
        text = f"{c} {_HEADER}\n" + text
    return text.encode()


def _notebook_jupyter(doc: dict[str, Any], content: bytes) -> bytes:
    if doc.get("_format") == "JUPYTER":
        return content
    language = doc.get("language") or "PYTHON"
    c = _COMMENT[language]
    text = _notebook_source(doc, content).decode()
    text = text.split("\n", 1)[1] if "\n" in text else ""
    cells = [chunk.strip("\n") for chunk in text.split(f"{c} {_CELL}")]
    nb = {"cells": [{"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
                     "source": cell.splitlines(keepends=True)} for cell in cells if cell.strip()],
          "metadata": {"language_info": {"name": language.lower()}}, "nbformat": 4, "nbformat_minor": 5}
    return json.dumps(nb, indent=1).encode()


def export(state: EmulatorState, caller: Principal, path: str, format: str | None = None,
           *, direct: bool = False) -> tuple[bytes, str]:
    """`/api/2.0/workspace/export`: (content, file_type)."""
    path = normalize(path)
    _require(caller, path)
    doc = _lookup(state, path)
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
            data, file_type = _notebook_source(doc, content), _LANGUAGE_EXT[doc.get("language") or "PYTHON"]
        elif fmt == "JUPYTER":
            data, file_type = _notebook_jupyter(doc, content), "ipynb"
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
            found.setdefault(root, _implicit_info(root))
    elif path == "/Users":
        for p in state.identities.all():
            home = f"/Users/{p['name']}"
            if p.get("active", True) and p["kind"] == "user":
                found.setdefault(home, _implicit_info(home))
    return [found[k] for k in sorted(found)]


def list_objects(state: EmulatorState, caller: Principal, path: str,
                 modified_after: int | None = None) -> list[dict[str, Any]]:
    """`/api/2.0/workspace/list`: a directory's entries, or the object itself for a file."""
    path = normalize(path)
    _require(caller, path)
    doc = _lookup(state, path)
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
    _require(caller, path, write=True)
    with state.store.transaction():
        doc = state.store.get(OBJECTS, path)
        if doc is None:
            if _implicit_dir(state, path):
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


# -- trees (App deployments) ----------------------------------------------------------------------
def read_tree(state: EmulatorState, path: str) -> dict[str, bytes] | None:
    """Every file below a directory as {relative path: bytes}; notebooks get their extension back.

    No permission check (callers check `can_access` first). None if `path` is not a directory.
    """
    path = normalize(path)
    doc = _lookup(state, path)
    if doc is None or doc["object_type"] != "DIRECTORY":
        return None
    prefix = "/" if path == "/" else path + "/"
    out: dict[str, bytes] = {}
    for obj in state.store.list(OBJECTS, prefix):
        rel = obj["path"][len(prefix):]
        if obj["object_type"] == "FILE":
            out[rel] = _content(state, obj)
        elif obj["object_type"] == "NOTEBOOK":
            lang = obj.get("language") or "PYTHON"
            out[f"{rel}.{_LANGUAGE_EXT[lang]}"] = _notebook_source(obj, _content(state, obj))
    return out


def _zip_tree(state: EmulatorState, caller: Principal, path: str, *, include_files: bool) -> bytes:
    buf = io.BytesIO()
    prefix = path.rstrip("/") + "/"
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for obj in state.store.list(OBJECTS, prefix if path != "/" else "/"):
            if not can_access(caller, obj["path"]):
                continue
            rel = obj["path"][len(prefix):] if path != "/" else obj["path"].lstrip("/")
            if obj["object_type"] == "FILE" and include_files:
                zf.writestr(rel, _content(state, obj))
            elif obj["object_type"] == "NOTEBOOK":
                lang = obj.get("language") or "PYTHON"
                zf.writestr(f"{rel}.{_LANGUAGE_EXT[lang]}", _notebook_source(obj, _content(state, obj)))
    return buf.getvalue()
