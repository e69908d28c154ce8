"""Jupyter kernels for notebook tasks, started ahead of time so the next task does not wait for one.

Starting a kernel and importing a notebook's libraries (mlflow, the SDK, agent_lib) costs seconds
per notebook; that is the floor of any pipeline of notebooks. `Kernel.start()` launches the kernel
in the task's folder with the task's environment and, in a background thread, waits for it and
imports the modules the notebook imports and the libraries agent_lib imports lazily (silently,
outside its history), so the runner can prepare task N+1 while task N executes. Papermill then
runs the notebook on that kernel.

    kernel = Kernel.start(notebook, cwd=notebook.parent, env=env)   # returns at once
    kernel.ready()                                                  # waits for start + imports
    kernel.shutdown()
"""

from __future__ import annotations

import ast
import json
import shutil
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = ["KERNEL_NAME", "Kernel", "notebook_imports"]

KERNEL_NAME = "python3"
START_TIMEOUT_SECONDS = 60
# agent_lib modules import these heavy libraries inside the functions that need them (no work at
# import time), so a notebook's own import lines do not show them; yet they are the bulk of its
# import time. Warm-up imports them for notebooks that import the module (a stale entry only
# costs a useless import).
LAZY_IMPORTS: dict[str, tuple[str, ...]] = {
    "agent_lib.workspace": ("databricks.sdk",),
    "agent_lib.tracking": ("mlflow",),
    "agent_lib.evaluation": ("mlflow",),
}


def notebook_imports(notebook: Path) -> list[str]:
    """The modules a notebook's code cells import (`import a.b`, `from a.b import c` -> `a.b`).

    Read as plain JSON: nbformat's import (its schema validator) costs seconds on a busy machine,
    and this runs before the kernel it prepares can start.
    """
    modules: list[str] = []
    for cell in json.loads(notebook.read_text()).get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        text = cell.get("source", "")
        text = "".join(text) if isinstance(text, list) else text
        source = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith(("%", "!")))
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names = [node.module]
            else:
                continue
            modules.extend(name for name in names if name not in modules)
    return modules


def _warm_up_code(modules: list[str]) -> str:
    """Import each module, ignoring failures: the notebook reports its own import errors."""
    lines = ["import importlib as _il"]
    lines += [f"try:\n    _il.import_module({name!r})\nexcept Exception:\n    pass" for name in modules]
    lines.append("del _il")
    return "\n".join(lines)


class Kernel:
    """A started kernel (its manager is what papermill's `km=` takes) plus its warm-up thread."""

    def __init__(self, manager: Any, warm_up: threading.Thread, sockets: Path) -> None:
        self.manager = manager
        self._sockets = sockets
        self._warm_up = warm_up
        self.error: BaseException | None = None

    @classmethod
    def start(cls, notebook: Path, *, cwd: Path, env: Mapping[str, str], warm: bool = True) -> Kernel:
        """Launch a kernel for `notebook` now; its start-up and imports finish in the background."""
        import tempfile

        from jupyter_client.manager import KernelManager

        # IPC sockets in a private folder: nothing listens on the network, and no plain-TCP warning.
        sockets = Path(tempfile.mkdtemp(prefix="agent-lib-kernel-"))
        manager = KernelManager(kernel_name=KERNEL_NAME, transport="ipc", ip=str(sockets / "k"))
        manager.start_kernel(cwd=str(cwd), env=dict(env))  # boots while the rest is prepared
        modules = notebook_imports(notebook) if warm else []
        for lazy in [lib for name in modules for lib in LAZY_IMPORTS.get(name, ())]:
            modules += [lazy] if lazy not in modules else []
        kernel = cls(manager, threading.Thread(target=lambda: None), sockets)
        kernel._warm_up = threading.Thread(target=kernel._prepare, args=(modules,), daemon=True,
                                           name=f"kernel-warm-up-{notebook.stem}")
        kernel._warm_up.start()
        return kernel

    def _prepare(self, modules: list[str]) -> None:
        client = self.manager.client()
        client.start_channels()
        try:
            client.wait_for_ready(timeout=START_TIMEOUT_SECONDS)
            if modules:
                client.execute_interactive(_warm_up_code(modules), silent=True, store_history=False,
                                           timeout=START_TIMEOUT_SECONDS, output_hook=lambda msg: None)
        except BaseException as exc:  # noqa: BLE001 - reported by ready(); papermill will then fail clearly
            self.error = exc
        finally:
            client.stop_channels()

    def ready(self) -> Kernel:
        """Wait until the kernel answers and its imports are done."""
        self._warm_up.join()
        return self

    def shutdown(self) -> None:
        self._warm_up.join(timeout=START_TIMEOUT_SECONDS)
        if self.manager.has_kernel:
            self.manager.shutdown_kernel(now=True)
        self.manager.cleanup_resources()
        shutil.rmtree(self._sockets, ignore_errors=True)
