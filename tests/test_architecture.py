"""The structure the README describes, kept true: import contracts (`.importlinter`) and the lint rules.

The contracts are import-linter's (it reads every import, function-level ones too): the library
starts the emulated workspace only through `agent_lib.workspace`, the emulator reaches the library
only through its public API, and no package's modules import each other in a circle. Run them by
hand with `uv run --frozen lint-imports`.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def _run(tool: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / tool), *args], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          check=False)


def test_import_contracts_are_kept() -> None:
    done = _run("lint-imports", "--config", ".importlinter", "--no-cache", "--no-logo")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout, done.stdout


def test_ruff_finds_nothing() -> None:
    """pyflakes, import order and bugbear (the rule set in pyproject's `[tool.ruff.lint]`)."""
    done = _run("ruff", "check", "--no-cache", "src", "tests", "bench")
    assert done.returncode == 0, done.stdout + done.stderr
