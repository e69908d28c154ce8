"""`uc_function.definition`: a local key (the function's SQL file), never sent to the Supervisor API."""

from __future__ import annotations

import pytest

from agent_lib.errors import SpecError
from agent_lib.spec import load_spec, spec_from_dict, supervisor_request

FN = {"name": "main.sales.f", "description": "Does f.", "definition": "functions/f.sql"}


def test_definition_is_kept_in_the_spec_but_not_on_the_wire():
    spec = spec_from_dict({"model": "m", "tools": [{"uc_function": FN}]})
    assert spec.tools[0].config.definition == "functions/f.sql"
    wire = supervisor_request(spec, "hi")["tools"][0]
    assert wire == {"type": "uc_function", "uc_function": {"name": "main.sales.f", "description": "Does f."}}
    assert spec_from_dict(spec.to_dict()) == spec
    assert "definition: functions/f.sql" in spec.to_yaml()


def test_a_function_without_definition_writes_no_null():
    spec = spec_from_dict({"model": "m", "tools": [{"uc_function": {"name": "a.b.c", "description": "d"}}]})
    assert "definition" not in spec.to_yaml()


def test_a_definition_must_be_a_sql_file():
    with pytest.raises(SpecError) as err:
        spec_from_dict({"model": "m", "tools": [{"uc_function": {**FN, "definition": "functions/f.py"}}]})
    assert err.value.field == "tools[0].uc_function.definition" and ".sql" in err.value.fix


def test_the_demo_spec_points_each_function_at_its_file(tmp_path):
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    spec = load_spec(root / "agent.yml")
    for tool in spec.tools:
        if tool.type == "uc_function":
            assert (root / tool.config.definition).is_file(), tool.label


def test_the_apps_user_scopes_add_model_serving_for_the_client_engine():
    from agent_lib.spec import app_user_scopes

    genie = [{"genie_space": {"id": "x", "description": "d"}}]
    client = spec_from_dict({"model": "m", "authorization": "user", "engine": "client", "tools": genie})
    hosted = spec_from_dict({"model": "m", "authorization": "user", "engine": "hosted", "tools": genie})
    assert app_user_scopes(client) == ["ai-gateway", "genie", "model-serving"]
    assert app_user_scopes(hosted) == ["ai-gateway", "genie"]
