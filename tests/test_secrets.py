"""Tokens never show up in logs, traces or error messages, whatever the path."""

from __future__ import annotations

import logging
from pathlib import Path

import httpx
import pytest

from agent_lib.errors import AgentLibError
from agent_lib.spec import load_spec
from agent_lib.supervisor import Supervisor
from agent_lib.workspace import connect

ROOT = Path(__file__).resolve().parents[1]


def test_no_token_in_logs_traces_or_errors(emulator, caplog, tmp_path):
    import mlflow

    token = emulator.token
    alice = emulator.token_for("alice@example.com")
    mlflow.set_tracking_uri(f"sqlite:///{tmp_path / 'mlflow.db'}")
    caplog.set_level(logging.DEBUG)
    messages: list[str] = []

    ws = connect("emulated", host=emulator.host, token=token)
    result = Supervisor(load_spec(ROOT / "agent.yml"), ws.client).respond(
        "What is the status of order SO-10042?")
    trace = mlflow.get_trace(result.trace_id, flush=True)
    assert trace is not None

    # errors: a refused token, a permission denial, a bad host
    with pytest.raises(AgentLibError) as bad:
        connect("host", host=emulator.host, token="dapi-wrong-" + token[-8:])
    messages.append(str(bad.value))
    denied = Supervisor(load_spec(ROOT / "agent.yml"), connect(
        "emulated", host=emulator.host, token=alice).client, tracing=False)
    try:
        denied.respond("What is the status of order SO-10042?")
    except AgentLibError as exc:
        messages.append(str(exc))
    r = httpx.get(f"{emulator.host}/api/2.0/preview/scim/v2/Me",
                  headers={"Authorization": f"Bearer {token}x"})
    messages.append(r.text)

    haystack = "\n".join([caplog.text, trace.to_json(), repr(ws), repr(emulator), *messages])
    for secret in (token, alice, token[4:]):
        assert secret not in haystack
