"""A bounded load run (`bench/app_load.py` is the full one): 10 concurrent streaming clients for a
few seconds against the demo agent deployed as notebook 05 deploys it, through the emulator's front
proxy with OAuth. Zero errors: every stream well-formed and ended (`agent_lib.app.load.check_stream`)."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
import yaml

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def deployed_demo(admin, tmp_path_factory):
    from agent_lib.deploy import DeployOptions, deploy_app, oauth_client
    from agent_lib.workspace import Workspace

    name = f"t-load-{uuid.uuid4().hex[:6]}"
    spec = tmp_path_factory.mktemp("load") / "agent.yml"
    spec.write_text(yaml.safe_dump({**yaml.safe_load((ROOT / "agent.yml").read_text()), "name": name}))
    result = deploy_app(Workspace(admin, "emulated"), DeployOptions(spec_path=spec, source_dir=ROOT / "app",
                                                                    smoke_question="hello"))
    yield result.url, oauth_client(admin).config.authenticate()
    admin.apps.delete(name)


def test_ten_streaming_clients_get_only_well_formed_streams(deployed_demo):
    from agent_lib.app.load import DEFAULT_QUESTIONS, LoadOptions, run_load

    url, headers = deployed_demo
    report = run_load(LoadOptions(url=url, headers=headers, clients=10, seconds=3))
    assert report.errors == [], report.errors[:3]
    assert len(report.turns) >= 10  # every client finished at least one question
    assert {t.question for t in report.turns} == set(DEFAULT_QUESTIONS)
    assert all(t.events >= 4 and t.first_byte_s <= t.answer_s for t in report.turns)


def test_a_broken_stream_is_reported_not_counted():
    """The checker itself: what it must call an error (so a zero above means something)."""
    from agent_lib.app.load import check_stream

    created = '{"type": "response.created", "sequence_number": 0, "response": {"id": "r", "object": "response", ' \
              '"created_at": 0, "model": "m", "output": [], "parallel_tool_calls": true, "tool_choice": "auto", ' \
              '"tools": [], "status": "in_progress"}}'
    assert "[DONE]" in check_stream([created])[1]
    assert "response.completed" in check_stream([created, "[DONE]"])[1]
    assert "error event" in check_stream([created, '{"type": "error", "message": "boom", "sequence_number": 1, '
                                                   '"code": null, "param": null}', "[DONE]"])[1]
    assert "not a Responses stream event" in check_stream(['{"type": "nonsense"}', "[DONE]"])[1]
