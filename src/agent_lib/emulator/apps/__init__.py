"""Databricks Apps (`/api/2.0/apps`): create, deploy, start, stop, and a front proxy per App.

* `models.py`  apps and deployments as documents; rules (names, resources, permissions, the grants
  an App's service principal receives for its declared resources).
* `runner.py`  a deployment really runs: the source snapshot is written to a folder, `app.yaml` is
  read and the command starts as a subprocess with the environment Databricks gives an App.
* `proxy.py`   each App's URL is a listener of its own on 127.0.0.1 that authenticates the caller
  (OAuth only), checks CAN_USE and forwards with the `x-forwarded-*` headers.
* `demo.py`    the demo's IT helpdesk agent App (`helpdesk/`), deployed lazily.

Functions other services call: `app_url(state, name)`, `models.create_app`,
`models.create_deployment`, `runner.ensure_running`, `runner.app_logs`.
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
