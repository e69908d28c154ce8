"""One source of truth for the App's permissions: the bundle's App agrees with agent.yml."""

from __future__ import annotations

from pathlib import Path

import yaml

from agent_lib.grants import APP_FILE, bundle_drift, write_bundle
from agent_lib.spec import app_user_scopes, apply_overrides, load_spec, spec_from_dict

ROOT = Path(__file__).resolve().parents[1]


def test_the_bundle_app_declares_what_agent_yml_needs():
    drift = bundle_drift(load_spec(ROOT / "agent.yml"), ROOT / APP_FILE)
    assert drift == [], "\n".join(drift)


def test_drift_is_reported_with_the_fix_and_the_generator_rewrites_only_its_keys(tmp_path):
    path = tmp_path / "agent_lib.app.yml"
    path.write_text("# The App.\nresources:\n  apps:\n    agent_app:\n      name: agent-lib-demo\n"
                    "      description: Keep me  # and this comment\n      config:\n"
                    "        command: [python, app.py]\n")
    spec = load_spec(ROOT / "agent.yml")
    drift = bundle_drift(spec, path)
    assert len(drift) == 1 and "resources.apps.agent_app.resources" in drift[0]
    assert "agent-lib grants --write-bundle" in drift[0]
    assert write_bundle(spec, path) is True and write_bundle(spec, path) is False
    text = path.read_text()
    assert "# and this comment" in text and text.startswith("# The App.")
    app = yaml.safe_load(text)["resources"]["apps"]["agent_app"]
    assert app["description"] == "Keep me" and app["config"] == {"command": ["python", "app.py"]}
    assert bundle_drift(spec, path) == [] and "user_api_scopes" not in app

    user = spec_from_dict({**apply_overrides(spec.to_dict(), {"authorization": "user"}),
                           "tools": [t.to_wire() for t in spec.tools if t.type != "app"]})
    assert any("user_api_scopes" in d for d in bundle_drift(user, path))
    write_bundle(user, path)
    app = yaml.safe_load(path.read_text())["resources"]["apps"]["agent_app"]
    assert app["user_api_scopes"] == app_user_scopes(user)
    assert [r["name"] for r in app["resources"]] == ["model-endpoint", "experiment"]


def test_a_missing_bundle_file_is_drift_and_the_generator_creates_it(tmp_path):
    spec = load_spec(ROOT / "agent.yml")
    path = tmp_path / "resources" / "agent_lib.app.yml"
    assert "does not exist" in bundle_drift(spec, path)[0]
    write_bundle(spec, path)
    app = yaml.safe_load(path.read_text())["resources"]["apps"]["agent_app"]
    assert app["name"] == "agent-lib-demo" and app["source_code_path"] == "../app"
    assert bundle_drift(spec, path) == []
