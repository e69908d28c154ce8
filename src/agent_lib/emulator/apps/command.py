"""What an App runs and with which environment, resolved as Databricks resolves it.

The command comes from the deployment (`command`, `env_vars`, which override) or the source's
`app.yaml` (`command`, `env` with `value` / `valueFrom: <resource name>`), else a default
(`python app.py`, the first `*.py`, `npm run start`). `python` as the first word runs this
interpreter; `uv run X ...` runs `X ...` directly (the App's dependencies are the emulator's venv),
and the venv's bin folder comes first on PATH.

The environment is the parent's minus every credential, plus what an App gets: `DATABRICKS_HOST`,
`DATABRICKS_CLIENT_ID` / `DATABRICKS_CLIENT_SECRET` (its service principal's OAuth credentials),
`DATABRICKS_APP_PORT`, `DATABRICKS_APP_NAME`, `DATABRICKS_APP_URL`, `DATABRICKS_WORKSPACE_ID`,
and `PORT`-style variables for common servers. No token of the emulator's admin reaches the App.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from pathlib import Path
from typing import Any

from ..core.state import WORKSPACE_ID, EmulatorState
from ..oauth.models import issue_app_credentials
from .process import LaunchError
from .resources import resource_value

_CREDENTIAL_WORDS = ("TOKEN", "SECRET", "PASSWORD", "API_KEY", "CREDENTIAL")
_VAR = re.compile(r"\$(\w+)|\$\{(\w+)\}")


def read_app_yaml(folder: Path) -> dict[str, Any]:
    for name in ("app.yaml", "app.yml"):
        path = folder / name
        if path.is_file():
            import yaml

            try:
                data = yaml.safe_load(path.read_text()) or {}
            except yaml.YAMLError as exc:
                raise LaunchError(f"Invalid {name}: {exc}") from None
            if not isinstance(data, dict):
                raise LaunchError(f"Invalid {name}: expected a mapping with `command` and `env`.")
            return data
    return {}


def default_command(folder: Path) -> list[str]:
    if (folder / "app.py").is_file():
        return ["python", "app.py"]
    py = sorted(p.name for p in folder.glob("*.py"))
    if py:
        return ["python", py[0]]
    if (folder / "package.json").is_file():
        return ["npm", "run", "start"]
    raise LaunchError("No command to run: the source has no app.yaml `command`, no app.py and no "
                      "package.json.")


def resolve_env(state: EmulatorState, app: dict[str, Any], entries: list[Any], where: str) -> dict[str, str]:
    """`env` / `env_vars` entries as variables; `valueFrom` names one of the App's resources."""
    resources = {r["name"]: r for r in app.get("resources") or []}
    out: dict[str, str] = {}
    for i, entry in enumerate(entries or []):
        if not isinstance(entry, dict) or not entry.get("name"):
            raise LaunchError(f"Invalid {where} entry {i}: each needs a `name`.")
        ref = entry.get("valueFrom", entry.get("value_from"))
        if ref is not None:
            res = resources.get(ref)
            value = resource_value(state, res) if res is not None else None
            if value is None:
                raise LaunchError(f"Error resolving resource {ref} specified in {where}. Please make sure "
                                  f"to configure resource {ref} for app {app['name']}.")
            out[str(entry["name"])] = value
        else:
            out[str(entry["name"])] = "" if entry.get("value") is None else str(entry["value"])
    return out


def argv(command: list[str], env: dict[str, str]) -> list[str]:
    """The command as an argv: `$VAR`s expanded, `uv run` dropped, the executable found on PATH."""
    args = [_VAR.sub(lambda m: env.get(m.group(1) or m.group(2), m.group(0)), str(a)) for a in command]
    if len(args) >= 3 and args[0] == "uv" and args[1] == "run":
        args = args[2:]
        while args and args[0].startswith("-"):  # uv run's own flags
            args = args[1:]
    if not args:
        raise LaunchError("The App's command is empty.")
    if args[0] in ("python", "python3", f"python{sys.version_info[0]}.{sys.version_info[1]}"):
        return [sys.executable, *args[1:]]
    exe = shutil.which(args[0], path=env.get("PATH"))
    if exe is None:
        raise LaunchError(f"Command not found: {args[0]!r} (not on the App's PATH).")
    return [exe, *args[1:]]


def app_credentials(state: EmulatorState, doc: dict[str, Any]) -> tuple[str, str]:
    """(client id, client secret) for the App's service principal: a new secret per launch."""
    return issue_app_credentials(state, doc["_sp_principal_id"])


def child_env(state: EmulatorState, app: dict[str, Any], port: int, secret: str, folder: Path,
              url: str | None) -> dict[str, str]:
    """The parent's environment minus every credential, plus what Databricks gives an App."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("DATABRICKS_") and not any(w in k.upper() for w in _CREDENTIAL_WORDS)}
    bin_dir = str(Path(sys.executable).parent)
    env["PATH"] = os.pathsep.join([bin_dir, *[p for p in env.get("PATH", "").split(os.pathsep)
                                               if p and p != bin_dir]])
    venv = Path(sys.prefix)
    if (venv / "pyvenv.cfg").is_file():
        env["VIRTUAL_ENV"] = str(venv)
    host = "127.0.0.1"
    env.update({
        "DATABRICKS_HOST": state.host,
        "DATABRICKS_CLIENT_ID": app["service_principal_client_id"],
        "DATABRICKS_CLIENT_SECRET": secret,
        "DATABRICKS_APP_NAME": app["name"],
        "DATABRICKS_APP_PORT": str(port),
        "DATABRICKS_WORKSPACE_ID": WORKSPACE_ID,
        # No ~/.databrickscfg inside an App: a profile there must not mix with the SP credentials.
        "DATABRICKS_CONFIG_FILE": str(folder.parent / "no-databrickscfg"),
        "PORT": str(port), "HOST": host,
        "UVICORN_HOST": host, "UVICORN_PORT": str(port),
        "GRADIO_SERVER_NAME": host, "GRADIO_SERVER_PORT": str(port),
        "STREAMLIT_SERVER_ADDRESS": host, "STREAMLIT_SERVER_PORT": str(port),
        "STREAMLIT_SERVER_HEADLESS": "true",
        "FLASK_RUN_HOST": host, "FLASK_RUN_PORT": str(port),
        "PYTHONUNBUFFERED": "1",
    })
    if url:
        env["DATABRICKS_APP_URL"] = url
    return env
