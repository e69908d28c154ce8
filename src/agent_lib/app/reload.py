"""`agent-lib app --reload`: restart the App's worker when the agent spec or Python source changes.

uvicorn's own reloader (without the optional `watchfiles`) watches `*.py` under the working folder
only: an edit of `agent.yml`, the file a user changes most, went unnoticed, and a project with its
`.venv` inside had every file of its virtual environment stat-ed four times a second. This one
watches the spec file itself and the `*.py` files under the watched folders (by default the spec's
folder and agent_lib's own package, plus any `--reload-dir`), skipping hidden folders, virtual
environments and caches. The listening socket belongs to the parent process, so a request sent
while the worker restarts waits in the socket's backlog and is answered by the new worker.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from uvicorn.supervisors.statreload import StatReload

SKIPPED_DIRS = {"__pycache__", "node_modules", "site-packages", "venv", "build", "dist"}


def watched_dirs(spec_path: Path, extra: Iterable[str | Path] = ()) -> list[Path]:
    """The folders whose `*.py` files restart the App: the spec's, agent_lib's package, `extra`."""
    import agent_lib

    dirs = [spec_path.resolve().parent, Path(agent_lib.__file__).resolve().parent,
            *(Path(d).resolve() for d in extra)]
    return list(dict.fromkeys(dirs))


def python_files(folder: Path) -> Iterator[Path]:
    for root, subdirs, files in os.walk(folder):
        subdirs[:] = [d for d in subdirs if not d.startswith(".") and d not in SKIPPED_DIRS]
        for name in files:
            if name.endswith(".py"):
                yield Path(root, name)


class SourceReload(StatReload):
    """uvicorn's polling reloader over the spec file and the watched folders' Python files."""

    def __init__(self, config: Any, target: Any, sockets: list[Any], *, spec_path: Path,
                 dirs: list[Path]) -> None:
        super().__init__(config, target, sockets)
        self.reloader_name = "agent-lib app --reload"
        self.spec_path = spec_path.resolve()
        self.dirs = dirs

    def iter_py_files(self) -> Iterator[Path]:
        yield self.spec_path
        for folder in self.dirs:
            yield from python_files(folder)


__all__ = ["SourceReload", "python_files", "watched_dirs"]
