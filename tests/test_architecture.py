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


def _package_of(module: str) -> str:
    """The package a module of src/ belongs to (a package is its own)."""
    path = ROOT / "src" / Path(*module.split("."))
    return module if (path / "__init__.py").is_file() else module.rpartition(".")[0]


def _is_module(module: str) -> bool:
    path = ROOT / "src" / Path(*module.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def test_no_private_name_crosses_a_package_boundary() -> None:
    """A `_name` is used only inside the package that defines it: not imported (`from agent_lib.x.m
    import _n`) nor read off an imported module (`m._n`) from another package, a test or a benchmark.
    (Private modules are the `private_modules` contract's and the test above's.) Run by hand, the
    assertion lists each crossing."""
    found = []
    for top in ("src", "tests", "bench"):
        for path in (ROOT / top).rglob("*.py"):
            package = None
            if top == "src":
                parts = list(path.relative_to(ROOT / "src").with_suffix("").parts)
                package = ".".join(parts[:-1])  # a module's package; an __init__'s is the package itself
            tree = ast.parse(path.read_text(encoding="utf-8"))
            modules: dict[str, str] = {}  # local name -> the agent_lib module it is bound to
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    modules.update({a.asname: a.name for a in node.names
                                    if a.asname and a.name.startswith("agent_lib.")})
                elif isinstance(node, ast.ImportFrom) and (node.level == 0 or package is not None):
                    base = (package or "").split(".")[: len((package or "").split(".")) - node.level + 1]
                    source = node.module or "" if node.level == 0 else ".".join(
                        [*base, *([node.module] if node.module else [])])
                    if not source.startswith("agent_lib"):
                        continue
                    for alias in node.names:
                        if _is_module(f"{source}.{alias.name}"):
                            modules[alias.asname or alias.name] = f"{source}.{alias.name}"
                        elif _private(alias.name) and package != _package_of(source):
                            found.append(f"{path.relative_to(ROOT)}:{node.lineno}: from {source} import {alias.name}")
            for node in ast.walk(tree):
                if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and _private(node.attr)
                        and node.value.id in modules and package != _package_of(modules[node.value.id])):
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.value.id}.{node.attr}")
    assert not found, found
