"""One source of truth for the App's permissions in the bundle: generated from agent.yml, checked.

`resources/agent_lib.app.yml` declares the agent App (`resources.apps.agent_app`). Its `name` (the
spec's: no bundle variable duplicates it), `resources` and `user_api_scopes` come from the spec through the same derivation notebook 02 applies to the
live App (`agent_lib.spec.bundle_app_resources`, `app_user_scopes`), with bundle references where the
workspace's ids are not known in advance (the experiment, the SQL warehouse).

    write_bundle(spec, "resources/agent_lib.app.yml")   # agent-lib grants --write-bundle
    bundle_drift(spec, "resources/agent_lib.app.yml")   # [] when they agree (the test suite checks)

Only those keys are rewritten; the App's description, source code path and config, and the file's
comments, stay as they are (ruamel.yaml round trip).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..spec import app_user_scopes, bundle_app_resources

if TYPE_CHECKING:
    from ..spec import AgentSpec

APP_FILE = Path("resources") / "agent_lib.app.yml"
APP_KEY = "agent_app"
EXPERIMENT_REF = "${resources.experiments.agent_experiment.id}"
WAREHOUSE_REF = "${var.warehouse_id}"
FIX = ("run `agent-lib grants --write-bundle` (it rewrites only name, resources and user_api_scopes from "
       "agent.yml)")

_HEADER = ("# The agent's Databricks App. `name`, `resources` and `user_api_scopes` are generated from agent.yml\n"
           "# by `agent-lib grants --write-bundle`; edit agent.yml, not them.\n")


def desired_bundle_keys(spec: AgentSpec) -> dict[str, Any]:
    """`name`, `resources` and (for user authorization) `user_api_scopes` of the App in the bundle."""
    keys: dict[str, Any] = {"name": spec.name, "resources": bundle_app_resources(
        spec, experiment_id=EXPERIMENT_REF, warehouse_id=WAREHOUSE_REF)}
    if spec.authorization == "user":
        keys["user_api_scopes"] = app_user_scopes(spec)
    return keys


def _yaml():
    from ruamel.yaml import YAML

    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 110
    return yaml


def _app(doc: Any) -> Any:
    return doc.setdefault("resources", {}).setdefault("apps", {}).setdefault(APP_KEY, {})


def write_bundle(spec: AgentSpec, path: str | Path = APP_FILE) -> bool:
    """Rewrite the App's `name`, `resources` and `user_api_scopes` in `path`; True when the file changed."""
    file = Path(path)
    yaml = _yaml()
    if file.exists():
        text = file.read_text(encoding="utf-8")
        doc = yaml.load(text) or {}
    else:
        text = ""
        doc = yaml.load(_HEADER + "resources:\n  apps:\n    agent_app:\n"
                        "      name: \n      source_code_path: ../app\n")
    app = _app(doc)
    wanted = desired_bundle_keys(spec)
    app["name"] = wanted["name"]
    app["resources"] = wanted["resources"]
    if "user_api_scopes" in wanted:
        app["user_api_scopes"] = wanted["user_api_scopes"]
    else:
        app.pop("user_api_scopes", None)
    from io import StringIO

    out = StringIO()
    yaml.dump(doc, out)
    new = out.getvalue()
    if new == text:
        return False
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_text(new, encoding="utf-8")
    return True


def bundle_drift(spec: AgentSpec, path: str | Path = APP_FILE) -> list[str]:
    """What differs between the spec and the bundle's App (empty when they agree), each with the fix."""
    import yaml

    file = Path(path)
    if not file.is_file():
        return [f"{file} does not exist. Fix: {FIX}"]
    doc = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
    app = ((doc.get("resources") or {}).get("apps") or {}).get(APP_KEY)
    if not isinstance(app, dict):
        return [f"{file} declares no resources.apps.{APP_KEY}. Fix: {FIX}"]
    wanted = desired_bundle_keys(spec)
    drift = []
    for key in ("name", "resources", "user_api_scopes"):
        want, have = wanted.get(key), app.get(key)
        if want != have:
            drift.append(f"{file}: resources.apps.{APP_KEY}.{key} is {have!r} but agent.yml needs {want!r}. "
                         f"Fix: {FIX}")
    return drift
