"""The bundle validates against the Databricks CLI's JSON schema, plus the rules the schema leaves out."""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT.parent / "shared" / "schemas" / "databricks-bundle.schema.json"


@functools.cache
def _validator() -> jsonschema.Draft7Validator:
    # Python's `re` has no \p{L} / \p{N}: rewrite them to equivalent classes before compiling.
    text = SCHEMA.read_text()
    text = text.replace(r"[\\p{L}\\p{N}]", r"[^\\W_]").replace(r"\\p{L}", r"[^\\W\\d_]")
    return jsonschema.Draft7Validator(json.loads(text))


def _docs() -> list[Path]:
    return [ROOT / "databricks.yml", *sorted((ROOT / "resources").glob("*.yml"))]


@pytest.mark.parametrize("path", _docs(), ids=lambda p: p.name)
def test_bundle_file_matches_the_cli_schema(path):
    doc = yaml.safe_load(path.read_text())
    errors = sorted(_validator().iter_errors(doc), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{'/'.join(map(str, e.path))}: {e.message}" for e in errors)


def test_schema_rewrite_still_rejects_unknown_keys():
    bad = {"bundle": {"name": "x"}, "resources": {"experiments": {"e": {"name": "n", "bogus": 1}}}}
    assert any("bogus" in e.message for e in _validator().iter_errors(bad))


def test_targets_follow_the_conventions():
    bundle = yaml.safe_load((ROOT / "databricks.yml").read_text())
    targets = bundle["targets"]
    assert {t["mode"] for t in targets.values()} <= {"development", "production"}
    assert targets["dev"]["mode"] == "development" and targets["dev"]["default"] is True
    assert targets["prod"]["mode"] == "production"
    assert targets["prod"]["workspace"]["root_path"] and targets["prod"]["permissions"]
    for name, var in bundle["variables"].items():
        assert var.get("description"), f"variable {name} needs a description"


def test_resource_files_are_named_by_kind_and_open_with_a_comment():
    for path in (ROOT / "resources").glob("*.yml"):
        assert re.fullmatch(r"[a-z0-9_]+\.(job|app|experiment)\.yml", path.name), path.name
        assert path.read_text().startswith("# "), f"{path.name} should open with a one-line comment"
