"""The reference model's hand-written knowledge lives in data files that say where each part came from.

Each word group, verb list, hint list and named exception carries `source` (the commit that wrote it)
and `motivated_by` (the demo tool, dataset or benchmark category it was written for); exceptions also
say what they do and what removing them changes. The files are read on first use, not at import.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from agent_lib.emulator.models.ref import data


def _entries() -> list[tuple[str, dict]]:
    related = data.load("related_words.json")
    verbs = data.load("verbs.json")
    hints = data.load("hints.json")
    out = [(f"related_words.json group {g['words'][:30]!r}", g) for g in related["groups"]]
    out += [(f"verbs.json {k}", v) for k, v in verbs.items() if isinstance(v, dict)]
    out += [(f"hints.json {k}", v) for k, v in hints.items() if isinstance(v, dict) and k != "exceptions"]
    out += [(f"hints.json exception {k}", v) for k, v in hints["exceptions"].items()]
    return out


@pytest.mark.parametrize("where,entry", _entries(), ids=[w for w, _ in _entries()])
def test_every_entry_says_where_it_came_from(where: str, entry: dict) -> None:
    assert entry.get("source"), f"{where}: no 'source' (the commit that wrote it)"
    assert entry.get("motivated_by"), f"{where}: no 'motivated_by' (the tool, dataset or category)"


def test_every_exception_says_what_it_does_and_what_it_buys() -> None:
    for name, entry in data.load("hints.json")["exceptions"].items():
        assert entry.get("does") and entry.get("measured"), f"hints.json exception {name}: 'does' or 'measured' missing"


def test_importing_the_model_reads_no_data_file() -> None:
    code = (
        "from agent_lib.emulator.models.reference import ReferenceModel\n"
        "from agent_lib.emulator.models.ref import data\n"
        "print(data.load.cache_info().currsize)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "0"
