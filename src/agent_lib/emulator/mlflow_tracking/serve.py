"""The tracking server's child process: MLflow's own server app on a socket handed down by the emulator.

    python -m agent_lib.emulator.mlflow_tracking.serve --fd N --template PATH

Runs MLflow's tracking server app (`mlflow.server:app`, the Flask app `mlflow server` wraps: REST
API and UI) under Werkzeug's threaded server on the inherited listening socket, with its store and
artifact root from the environment the emulator sets (`_MLFLOW_SERVER_FILE_STORE`,
`_MLFLOW_SERVER_ARTIFACT_ROOT`). It skips `mlflow server`'s CLI and its FastAPI layer (gateway,
jobs, assistant: not what a workspace's tracking API needs), which saves a second interpreter and
about a quarter of the import time. A new database starts as a copy of a template with MLflow's
tables already created (made once per MLflow version), which saves the migrations on every fresh
workspace. Exits when stdin closes.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import sys
import threading
from pathlib import Path


def _db_path() -> Path:
    uri = os.environ["_MLFLOW_SERVER_FILE_STORE"]
    return Path(uri.removeprefix("sqlite:///"))


def _save_template(db: Path, template: Path) -> None:
    """Keep a copy of a freshly created database (consistent: SQLite's backup API), atomically."""
    template.parent.mkdir(parents=True, exist_ok=True)
    partial = template.with_name(f"{template.name}.{os.getpid()}.tmp")
    with sqlite3.connect(db) as src, sqlite3.connect(partial) as dst:
        src.backup(dst)
    os.replace(partial, template)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fd", type=int, required=True, help="inherited listening socket")
    parser.add_argument("--template", type=Path, help="pre-created database to start new stores from")
    args = parser.parse_args(argv)

    db = _db_path()
    fresh = not db.exists()
    if fresh and args.template is not None and args.template.is_file():
        shutil.copyfile(args.template, db)
        fresh = False

    from mlflow.server import app
    from mlflow.server.handlers import _get_tracking_store
    from werkzeug.serving import make_server

    _get_tracking_store()  # creates the tables of a new database now, not on the first request
    if fresh and args.template is not None:
        try:
            _save_template(db, args.template)
        except OSError as exc:  # a read-only cache only costs the next start its migrations
            print(f"could not save the MLflow database template: {exc}", file=sys.stderr)

    server = make_server("127.0.0.1", 0, app, threaded=True, fd=args.fd)

    def watch_stdin() -> None:
        sys.stdin.read()
        threading.Thread(target=server.shutdown, daemon=True).start()

    threading.Thread(target=watch_stdin, daemon=True).start()
    print("MLFLOW_TRACKING_READY", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
