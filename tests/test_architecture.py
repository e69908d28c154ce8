"""The structure the README describes, kept true: import contracts (`.importlinter`) and the lint rules.

The contracts are import-linter's (it reads every import, function-level ones too): the library
starts the emulated workspace only through `agent_lib.workspace`, the emulator reaches the library
only through its public API, and no package's modules import each other in a circle. Run them by
hand with `uv run --frozen lint-imports`.
"""

from __future__ import annotations

import ast
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


def test_tests_and_benchmarks_import_no_private_module() -> None:
    """Tests and benchmarks go through public modules (`agent_lib.supervisor.tools`, not `_mcp`)."""
    found = []
    for path in [*(ROOT / "tests").rglob("*.py"), *(ROOT / "bench").rglob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) and node.level == 0 else [])
            for name in names:
                parts = name.split(".")
                if parts[0] == "agent_lib" and any(p.startswith("_") and not p.startswith("__") for p in parts):
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {name}")
    assert not found, found


def test_no_import_guards_or_importlib_dodges_in_the_package() -> None:
    """The package's own modules are imported plainly: a renamed module fails loudly at import,
    instead of silently dropping a service, its seed data or a way of issuing credentials."""
    found = []
    for path in (ROOT / "src" / "agent_lib").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            caught = node.type if isinstance(node, ast.ExceptHandler) else None
            names = {n.id if isinstance(n, ast.Name) else getattr(n, "attr", "")
                     for n in ast.walk(caught)} if caught is not None else set()
            dodge = isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) in (
                "import_module", "__import__")
            if names & {"ImportError", "ModuleNotFoundError"} or dodge:
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not found, found
