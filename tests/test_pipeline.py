"""The main command on the project's own bundle: the whole job on the emulated workspace as the
README runs it (App authorization), `pytest --nbval-lax` on its executed notebooks; then, on the same
workspace, twice in user authorization (the App calls the tools on behalf of the signed-in user):
everything the three runs left is searched for tokens, and the state after each user run is
compared (the last run changes nothing but what a run legitimately adds).
"""

from __future__ import annotations

import json
import logging
import re
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import httpx
import pytest
from ruamel.yaml import YAML

from agent_lib.bundle import load_bundle
from agent_lib.emulator.embedded import STATE_FILE

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow

# Every token and client secret the emulated workspace mints (PATs, OAuth tokens, the user tokens
# the Apps proxy forwards as x-forwarded-access-token, service principals' secrets).
TOKEN = re.compile(rb"(?:dapi|eyJ)[0-9a-f]{40}|dose[0-9a-f]{32}")

# What a second run of the job legitimately adds, and why.
NEW_EACH_RUN = {
    "genie_conversation": "each question notebooks 03 and 04 ask Genie opens a new conversation",
    "genie_message": "... holding that question and its answer",
    "genie_statement": "... and the answer's statement result",
    "token": "short-lived OAuth tokens (users signing in to the App, the tokens the Apps proxy "
             "forwards, the App's M2M tokens), each with an expiry",
    "app_deployment": "notebook 05 deploys the App again: a new deployment, as on Databricks",
    "app_snapshot": "... with its source snapshot",
    "oauth_secret": "the new deployment's process is given a client secret of the App's service principal",
}
# Fields a second run legitimately changes in documents that exist after the first.
CHANGED_EACH_RUN = {
    "app": ("update_time", "active_deployment."),  # the App's active deployment is the new one
    "workspace_object": ("modified_at",),  # files imported again, same content
}


def _user_authorization(folder: Path) -> dict[str, str]:
    """`--var` values that run the job in user authorization with what exists today: agent.yml with
    `authorization: user` minus its `app` tool (an App tool cannot be called on behalf of a user),
    and the demo evaluation set minus the rows that expect that tool."""
    yaml = YAML()
    spec = yaml.load((ROOT / "agent.yml").read_text())
    spec["authorization"] = "user"
    spec["tools"] = [tool for tool in spec["tools"] if "app" not in tool]
    for tool in spec["tools"]:
        for body in tool.values():
            if isinstance(body, dict) and "definition" in body:
                body["definition"] = str(ROOT / body["definition"])
    with open(folder / "agent.yml", "w") as out:
        yaml.dump(spec, out)
    demo = ROOT / "src/agent_lib/evaluation/datasets/demo.jsonl"
    rows = [row for row in demo.read_text().splitlines() if row.strip() and "agent-lib-helpdesk" not in row]
    (folder / "eval.jsonl").write_text("\n".join(rows) + "\n")
    return {"spec_path": str(folder / "agent.yml"), "eval_dataset": str(folder / "eval.jsonl")}


def _state(ws) -> dict[tuple[str, str], Any]:
    """The emulated workspace's state documents, read from its file, and its tables' checksums."""
    path = ws.emulator.state.config.state_path
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        docs = {(kind, key): json.loads(body) for kind, key, body in
                db.execute("SELECT kind, key, body FROM documents")}
    warehouse = ws.emulator.state.warehouse
    docs.update({("warehouse_table", table): warehouse.checksum(table) for table in warehouse.tables()})
    return docs


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture(scope="module")
def pipeline(job_run, tmp_path_factory):
    """The project's job (the README's main command) as it ships, then twice in user authorization
    on the same emulated workspace, shared by the checks below: (ws, the first result, its lines),
    and what the checks of user authorization, secrets and idempotency need (the user runs, the
    state after each, every log record)."""
    variables = _user_authorization(tmp_path_factory.mktemp("user-authorization"))
    records, root = _Records(), logging.getLogger()
    level, root.level = root.level, logging.DEBUG
    root.addHandler(records)
    try:
        first = job_run(ROOT)
        ws = first[0]
        user = job_run(ROOT, variables, again=ws)
        after_user = _state(ws)
        again = job_run(ROOT, variables, again=ws)
        after_again = _state(ws)
    finally:
        root.removeHandler(records)
        root.setLevel(level)
    return first + ({"user": (user, again), "states": (after_user, after_again), "logs": records.lines},)


def test_every_task_of_the_job_passes(pipeline):
    _, result, lines, _ = pipeline
    job = load_bundle(ROOT).job()
    assert [(t.task, t.status) for t in result.tasks] == [(t.key, "passed") for t in job.tasks]
    assert (result.run_dir / "summary.json").is_file()
    assert lines[-1].startswith(f"agent-lib run: {len(job.tasks)} tasks passed")
    assert any(line.startswith("MLflow experiment: /Shared/agent-lib; open its UI: ") for line in lines)
    for name in result.app_urls:
        assert any(line.startswith(f"App {name}: ") for line in lines)


def test_the_summary_links_a_live_mlflow_ui_of_the_experiment(pipeline):
    ws, result, lines, _ = pipeline
    experiment = ws.client.experiments.get_by_name(result.experiment).experiment
    assert result.experiment_ui == f"{ws.host}/ml/experiments/{experiment.experiment_id}"
    assert f"MLflow experiment: {result.experiment}; open its UI: {result.experiment_ui}" in lines
    page = httpx.get(result.experiment_ui, follow_redirects=True, timeout=30)
    assert page.status_code == 200 and "<title>MLflow</title>" in page.text
    # The page is the tracking server's own UI; its API (what the page calls) knows the experiment.
    ui = page.url.copy_with(path="/ajax-api/2.0/mlflow/experiments/get", fragment=None)
    shown = httpx.get(ui, params={"experiment_id": experiment.experiment_id}, timeout=30)
    assert shown.json()["experiment"]["name"] == result.experiment


def test_executed_notebooks_pass_nbval_lax(pipeline, nbval_lax):
    ws, result, _, _ = pipeline
    executed = [Path(t.output) for t in result.tasks]
    if not executed:
        assert load_bundle(ROOT).job().tasks == ()  # nothing landed yet: nothing to re-run
        return
    done = nbval_lax(ROOT, executed, ws)
    assert done.returncode == 0, done.stdout[-3000:]


def test_the_job_passes_in_user_authorization_twice(pipeline):
    ws, result, _, more = pipeline
    for _, run, _ in more["user"]:
        assert [(t.task, t.status) for t in run.tasks] == [(t.task, "passed") for t in result.tasks]
    for name in result.app_urls:
        assert ws.client.apps.get(name).effective_user_api_scopes  # the proxy forwards user tokens


def test_no_token_in_any_log_trace_notebook_or_run_folder(pipeline, restore_mlflow):
    """Everything the three runs left: the state folder's files (executed notebooks, run folders, App
    logs and sources, MLflow's store and artifacts, the warehouse) but the state database itself
    (it keeps the admin token, by design), the traces read back from the tracking store, the
    runner's echoed lines and every log record of this process."""
    import mlflow

    from agent_lib.tracking import use_experiment

    ws, result, lines, more = pipeline
    state_dir = ws.emulator.state.config.state_path.parent
    haystacks = {str(f.relative_to(state_dir)): f.read_bytes() for f in sorted(state_dir.rglob("*"))
                 if f.is_file() and not f.name.startswith(STATE_FILE)}
    use_experiment(ws, result.experiment, state_dir=state_dir)
    traces = mlflow.search_traces(return_type="list", max_results=1000)
    haystacks["MLflow traces"] = "\n".join(t.to_json() for t in traces).encode()
    haystacks["echoed lines"] = "\n".join(lines + [line for *_, ls in more["user"] for line in ls]).encode()
    haystacks["log records"] = "\n".join(more["logs"]).encode()
    found = {where: sorted({m.group(0)[:6].decode() + "..." for m in TOKEN.finditer(data)})
             for where, data in haystacks.items() if TOKEN.search(data) or ws.emulator.token.encode() in data}
    assert not found, found
    # the search finds what is there: the state database keeps the admin token, by design
    assert ws.emulator.token.encode() in TOKEN.findall((state_dir / STATE_FILE).read_bytes())
    assert len(traces) >= 10 and len(more["logs"]) > 100
    assert sum(where.endswith(".ipynb") for where in haystacks) >= 10
    assert any(where.startswith("apps/") and where.endswith(".log") for where in haystacks)


def test_a_second_run_changes_nothing_but_what_a_run_adds(pipeline):
    """The job is idempotent: after a second user run every document of the first is as it was but the
    fields `CHANGED_EACH_RUN` names, and the only new documents are of the kinds `NEW_EACH_RUN`
    explains (MLflow's runs and traces, in its own store, are new too)."""
    before, after = pipeline[3]["states"]
    assert not set(before) - set(after), "documents the second run deleted"
    added = sorted({kind for kind, _ in set(after) - set(before)})
    assert set(added) <= set(NEW_EACH_RUN), added
    changed = {}
    for (kind, key), doc in before.items():
        if (kind, key) in after and after[(kind, key)] != doc:
            fields = _changed_fields(doc, after[(kind, key)])
            allowed = CHANGED_EACH_RUN.get(kind, ())
            extra = [f for f in fields if not f.startswith(allowed)] if allowed else fields
            if extra:
                changed[f"{kind}/{key}"] = extra
    assert not changed, changed


def _changed_fields(old: Any, new: Any, prefix: str = "") -> list[str]:
    if isinstance(old, dict) and isinstance(new, dict):
        return [f for k in sorted(set(old) | set(new))
                for f in ([prefix + k] if k not in old or k not in new else _changed_fields(old[k], new[k], f"{prefix}{k}."))]
    return [] if old == new else [prefix.rstrip(".") or "(the whole document)"]
