"""Deploy on the emulated workspace from notebook 05 (papermill, a temporary state folder), then call
the running App as clients do: the real `openai` client through `DatabricksOpenAI` `apps/<name>`
with OAuth, streaming and not; a PAT is redirected to login (302); CAN_USE is enforced."""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "notebooks" / "05_deploy_app.ipynb"
APP = "agent-lib-demo"


@pytest.fixture(scope="module")
def deployed(emulator, tmp_path_factory):
    """Notebook 05 run headless against the session's emulated workspace (as the job runner does:
    host as a parameter, the token in the environment); its executed copy."""
    import papermill

    out = tmp_path_factory.mktemp("nb05") / "05_deploy_app.out.ipynb"
    previous = os.environ.get("DATABRICKS_TOKEN")
    os.environ["DATABRICKS_TOKEN"] = emulator.token
    try:
        papermill.execute_notebook(
            str(NOTEBOOK), str(out), cwd=str(NOTEBOOK.parent), kernel_name="python3", progress_bar=False,
            parameters={"workspace": "emulated", "host": emulator.host,
                        "state_dir": str(tmp_path_factory.mktemp("nb05-state"))})
    finally:
        if previous is None:
            os.environ.pop("DATABRICKS_TOKEN", None)
        else:
            os.environ["DATABRICKS_TOKEN"] = previous
    yield json.loads(out.read_text())
    emulator.client().apps.delete(APP)


def _outputs(nb):
    text = []
    for cell in nb["cells"]:
        for output in cell.get("outputs", []):
            text.append(json.dumps(output))
    return "\n".join(text)


def test_notebook_05_deploys_and_reports_the_app(deployed, emulator, admin):
    outputs = _outputs(deployed)
    app = admin.apps.get(APP)
    assert app.url and app.url in outputs
    assert app.app_status.state.value == "RUNNING" and app.compute_status.state.value == "ACTIVE"
    assert "SUCCEEDED" in outputs and "healthy" in outputs
    assert "SO-10042" in outputs and "delivered" in outputs.lower()  # the smoke question's answer
    assert emulator.token not in outputs
    from agent_lib.emulator.apps.runner import app_logs

    logs = app_logs(emulator.state, APP)
    assert "serving on" in logs and emulator.token not in logs and "Bearer" not in logs
    page = httpx.get(app.url, headers={"Authorization": f"Bearer {_oauth(emulator)}"})
    assert page.status_code == 200 and "<title>agent-lib-demo</title>" in page.text


def _oauth(emulator, user="admin@example.com"):
    return emulator.token_for(user, ["all-apis"])


def test_the_openai_client_calls_the_app_with_oauth_streaming_and_not(deployed, admin):
    from databricks_openai import DatabricksOpenAI

    from agent_lib.deploy import oauth_client

    client = DatabricksOpenAI(workspace_client=oauth_client(admin))
    question = [{"role": "user", "content": "What is the status of order SO-10042?"}]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        response = client.responses.create(model=f"apps/{APP}", input=question)
        response.model_dump(mode="json")
        events = list(client.responses.create(model=f"apps/{APP}", input=question, stream=True))
        for event in events:
            event.model_dump(mode="json")
    assert "delivered" in response.output_text.lower()
    assert [o.type for o in response.output][:2] == ["function_call", "function_call_output"]
    assert events[0].type == "response.created" and events[-1].type == "response.completed"
    assert events[-1].response.output_text == response.output_text


def test_a_pat_is_redirected_and_can_use_is_enforced(deployed, emulator, admin):
    url = admin.apps.get(APP).url
    r = httpx.post(f"{url}/invocations", json={"input": "hi"},
                   headers={"Authorization": f"Bearer {emulator.token}"})
    assert r.status_code == 302 and "/login" in r.headers["location"]
    r = httpx.post(f"{url}/invocations", json={"input": "hi"},
                   headers={"Authorization": f"Bearer {_oauth(emulator, 'bob@example.com')}"})
    assert r.status_code == 403 and "CAN_USE" in r.json()["message"]
