"""The App's source folder is self-contained and agrees with the bundle: app.yaml and the bundle's App
resource carry the same command and env; the generated files (wheel, requirements, spec) are what a
real workspace can install without a private index."""

from __future__ import annotations

import base64
import hashlib
import io
import zipfile
from pathlib import Path

import yaml

from agent_lib.spec import load_spec

ROOT = Path(__file__).resolve().parents[2]


def _env(entries):
    return [{"name": e["name"], **({"value_from": e.get("valueFrom", e.get("value_from"))}
                                   if e.get("valueFrom", e.get("value_from")) else {"value": str(e["value"])})}
            for e in entries]


def test_app_yaml_and_the_bundle_resource_run_the_same_command_and_env():
    from databricks.bundles.apps import App

    app_yaml = yaml.safe_load((ROOT / "app" / "app.yaml").read_text())
    resource = yaml.safe_load((ROOT / "resources" / "agent_lib.app.yml").read_text())
    app = resource["resources"]["apps"]["agent_app"]
    App.from_dict(app)  # the typed bundle resource accepts it
    assert app["config"]["command"] == app_yaml["command"] == ["python", "-m", "agent_lib.app"]
    assert _env(app["config"]["env"]) == _env(app_yaml["env"])
    assert (ROOT / "resources" / app["source_code_path"]).resolve() == ROOT / "app"
    assert app["name"] == load_spec(ROOT / "agent.yml").name  # the spec's name, not a variable


def test_the_app_reads_its_settings_from_the_env_app_yaml_sets():
    from agent_lib.app.config import ENV, AppConfig

    app_yaml = yaml.safe_load((ROOT / "app" / "app.yaml").read_text())
    names = {e["name"] for e in app_yaml["env"]}
    assert names <= set(ENV.values())
    env = {e["name"]: e["value"] for e in app_yaml["env"]}
    config = AppConfig.from_env({**env, "DATABRICKS_APP_NAME": "agent-lib-demo",
                                 "DATABRICKS_HOST": "https://example.cloud.databricks.com"})
    assert config.deployed and config.workspace == "host" and str(config.spec_path) == "agent.yml"
    assert config.experiment_name == "/Shared/agent-lib"


def test_source_files_hold_the_wheel_its_requirement_and_the_spec():
    from agent_lib.deploy import source_files

    files = source_files(ROOT / "agent.yml", ROOT / "app")
    wheel_name = next(n for n in files if n.endswith(".whl"))
    assert wheel_name.startswith("agent_lib-") and wheel_name.endswith("-py3-none-any.whl")
    assert files["requirements.txt"].decode() == f"./{wheel_name}\n"  # no index, no private URL
    assert files["agent.yml"] == (ROOT / "agent.yml").read_bytes()
    assert files["app.yaml"] == (ROOT / "app" / "app.yaml").read_bytes()
    with zipfile.ZipFile(io.BytesIO(files[wheel_name])) as wheel:
        names = set(wheel.namelist())
        assert {"agent_lib/app/server.py", "agent_lib/app/static/chat.html", "agent_lib/app/__main__.py"} <= names
        assert not any("__pycache__" in n for n in names)
        info = next(n.split("/")[0] for n in names if n.endswith(".dist-info/METADATA"))
        metadata = wheel.read(f"{info}/METADATA").decode()
        assert "Requires-Dist: mlflow" in metadata and "Requires-Dist: databricks-sdk" in metadata
        for line in wheel.read(f"{info}/RECORD").decode().splitlines():
            name, digest, size = line.split(",")
            if digest:
                data = wheel.read(name)
                assert int(size) == len(data)
                assert digest == "sha256=" + base64.urlsafe_b64encode(
                    hashlib.sha256(data).digest()).rstrip(b"=").decode()


def test_prepare_source_writes_what_git_ignores(tmp_path):
    import shutil

    from agent_lib.deploy import prepare_source

    folder = tmp_path / "app"
    shutil.copytree(ROOT / "app", folder)
    written = prepare_source(ROOT / "agent.yml", folder)
    ignored = (ROOT / "app" / ".gitignore").read_text().split()
    generated = [n for n in written if n not in ("app.yaml", "README.md")]
    assert generated and all(any(Path(n).match(p) for p in ignored) for n in generated)
    assert (folder / "requirements.txt").is_file() and (folder / "agent.yml").is_file()


def test_a_development_user_is_refused_in_a_deployed_app():
    import pytest

    from agent_lib.app.config import AppConfig, AppConfigError

    with pytest.raises(AppConfigError, match="refused in a deployed App"):
        AppConfig.from_env({"DATABRICKS_APP_NAME": "a", "DATABRICKS_HOST": "https://h",
                            "AGENT_LIB_DEV_USER": "alice@example.com"})
    assert AppConfig().dev_user is None  # off by default
