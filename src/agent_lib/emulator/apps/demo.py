"""The demo's second agent App: an IT helpdesk (`helpdesk/app.py`) answering from a small FAQ.

Seeding uploads its source to the admin's workspace folder, creates the App (owned by the admin,
with its own service principal) and records a SUCCEEDED deployment without starting anything:
the process starts on the App's first proxied request, so the emulator starts fast.
"""

from __future__ import annotations

from importlib import resources

from ..core.demo_ids import HELPDESK_APP
from ..core.state import ADMIN_USER, EmulatorState
from ..workspace_files import models as files
from . import models
from .deployments import create_deployment
from .records import exists

SOURCE_PATH = f"/Workspace/Users/{ADMIN_USER}/apps/{HELPDESK_APP}"
SOURCE_FILES = ("app.py", "app.yaml")
DESCRIPTION = ("IT helpdesk agent: answers questions about passwords, VPN, laptops, MFA, printers, "
               "software, email on your phone, Wi-Fi, access requests and onboarding.")


def helpdesk_source() -> dict[str, bytes]:
    """The helpdesk App's files, as shipped in this package."""
    root = resources.files("agent_lib.emulator.apps").joinpath("helpdesk")
    return {name: root.joinpath(name).read_bytes() for name in SOURCE_FILES}


def seed(state: EmulatorState) -> None:
    admin = state.identities.resolve(state.admin_token)
    if admin is None or exists(state, HELPDESK_APP):
        return
    for name, data in helpdesk_source().items():
        files.write_file(state, f"{SOURCE_PATH}/{name}", data)
    models.create_app(state, admin, {"name": HELPDESK_APP, "description": DESCRIPTION})
    create_deployment(state, admin, HELPDESK_APP, {"source_code_path": SOURCE_PATH}, run=False)
