"""Notebooks in their file formats: which imports are notebooks, and SOURCE / Jupyter exports.

A Databricks SOURCE notebook is a source file whose first line is the header comment
(`# Databricks notebook source`) with cells separated by `COMMAND ----------` comment lines.
Format AUTO imports a `.py`/`.sql`/`.scala`/`.r` file as a notebook only if it starts with that
header (else as a plain workspace file), and an `.ipynb` as a Jupyter notebook.
"""

from __future__ import annotations

import json
import posixpath
from typing import Any

from ..core.errors import invalid

LANGUAGES = ("PYTHON", "SQL", "SCALA", "R")

_EXT_LANGUAGE = {".py": "PYTHON", ".sql": "SQL", ".scala": "SCALA", ".r": "R"}
LANGUAGE_EXT = {"PYTHON": "py", "SQL": "sql", "SCALA": "scala", "R": "r"}
_COMMENT = {"PYTHON": "#", "SQL": "--", "SCALA": "//", "R": "#"}
_HEADER = "Databricks notebook source"
_CELL = "COMMAND ----------"


def auto_kind(path: str, content: bytes) -> tuple[str, str, str | None]:
    """(object type, stored path, language) for format AUTO: a notebook only if it says it is one."""
    root, ext = posixpath.splitext(path)
    if ext.lower() == ".ipynb":
        return "NOTEBOOK", root, ipynb_language(content)
    language = _EXT_LANGUAGE.get(ext.lower())
    if language:
        first = content.lstrip(b"\xef\xbb\xbf").split(b"\n", 1)[0].decode("utf-8", "replace").strip()
        if first == f"{_COMMENT[language]} {_HEADER}":
            return "NOTEBOOK", root, language
    return "FILE", path, None


def ipynb_language(content: bytes) -> str:
    try:
        meta = json.loads(content).get("metadata", {})
    except (ValueError, AttributeError):
        raise invalid("Invalid value for field 'content': not a Jupyter notebook (invalid JSON).") from None
    lang = str((meta.get("language_info") or {}).get("name") or meta.get("kernelspec", {}).get("language")
               or "python").upper()
    return lang if lang in LANGUAGES else "PYTHON"


def notebook_source(doc: dict[str, Any], content: bytes) -> bytes:
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


def notebook_jupyter(doc: dict[str, Any], content: bytes) -> bytes:
    if doc.get("_format") == "JUPYTER":
        return content
    language = doc.get("language") or "PYTHON"
    c = _COMMENT[language]
    text = notebook_source(doc, content).decode()
    text = text.split("\n", 1)[1] if "\n" in text else ""
    cells = [chunk.strip("\n") for chunk in text.split(f"{c} {_CELL}")]
    nb = {"cells": [{"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
                     "source": cell.splitlines(keepends=True)} for cell in cells if cell.strip()],
          "metadata": {"language_info": {"name": language.lower()}}, "nbformat": 4, "nbformat_minor": 5}
    return json.dumps(nb, indent=1).encode()
