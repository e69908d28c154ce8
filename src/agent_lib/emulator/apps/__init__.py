"""Databricks Apps (`/api/2.0/apps`): create, deploy, start, stop, and a front proxy per App.

Rules (no HTTP, no processes):

* `models.py`       Apps as objects: create, update, delete, start, stop, render.
* `records.py`      the store kinds, lookup, access check and status blocks every module shares.
* `validation.py`   the input fields, names, resources and scopes a client may send.
* `resources.py`    declared resources: the values `valueFrom` injects, the grants an App's service
  principal receives for them.
* `deployments.py`  deployments, their source snapshots and outcomes.

Processes:

* `runner.py`   a deployment really runs: background launch, relaunch on demand, stop, live status.
* `process.py`  a live App process group and the per-state runtime that holds them.
* `command.py`  what runs: `app.yaml` / deployment command and the environment Databricks gives an App.
* `launch.py`   the snapshot written to a folder, the command started, readiness awaited.
* `proxy.py`    each App's URL is a listener of its own on 127.0.0.1 that authenticates the caller
  (OAuth only), checks CAN_USE and forwards with the `x-forwarded-*` headers.
* `demo.py`     the demo's IT helpdesk agent App (`helpdesk/`), deployed lazily.

Functions other services call: `app_url(state, name)`, `models.create_app`,
`deployments.create_deployment`, `runner.ensure_running`, `runner.app_logs`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..core.state import EmulatorState


def app_url(state: EmulatorState, name: str) -> str:
    """The App's URL (its front proxy, started on demand), as `apps.get(name).url` reports it."""
    from .proxy import ensure_listener

    return ensure_listener(state, name)


__all__ = ["app_url"]
