"""Shared fixtures: one emulated workspace per test session, real SDK clients against it.

    def test_me(admin):
        assert admin.current_user.me().user_name == "admin@example.com"

Tests that change shared demo objects should create their own objects (unique names) instead, or
take `fresh_emulator`, which resets the workspace to the seeded demo first.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("MLFLOW_MODEL_CATALOG_URI", "")
os.environ.setdefault("DO_NOT_TRACK", "true")
os.environ.setdefault("HF_HUB_OFFLINE", "1")


@pytest.fixture(autouse=True)
def _mlflow_state_restored():
    """MLflow's tracking URI and active experiment are process-global: a test that points them
    somewhere (use_experiment, set_tracking_uri) must not decide where the next test's traces go."""
    import sys

    def _globals():
        from mlflow.tracking import fluent
        from mlflow.tracking._tracking_service import utils

        return utils, fluent

    names = ("MLFLOW_TRACKING_URI", "MLFLOW_EXPERIMENT_ID", "MLFLOW_EXPERIMENT_NAME")
    env = {k: os.environ.get(k) for k in names}
    imported = "mlflow" in sys.modules  # never import it just to reset it
    uri, experiment = ((_globals()[0]._tracking_uri, _globals()[1]._active_experiment_id)
                       if imported else (None, None))
    yield
    if "mlflow" in sys.modules:
        import mlflow

        utils, fluent = _globals()
        if utils._tracking_uri != uri:
            mlflow.set_tracking_uri(uri)  # also resets the tracer provider bound to the old URI
        fluent._active_experiment_id = experiment
    for key, value in env.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture(scope="session")
def emulator() -> Iterator[object]:
    """The session's emulated workspace (in memory, demo seeded): `.host`, `.token`, `.token_for()`."""
    from agent_lib.emulator import start

    ws = start(None)
    yield ws
    ws.stop()


SCRIPTED_MODEL = "databricks-claude-haiku-4-5"
"""The endpoint `scripted_model` scripts (a Supervisor-supported model, so both engines can use it)."""


@pytest.fixture(scope="session")
def demo_tools():
    """The demo workspace's tools as agent.yml entries, and `MODEL`, the endpoint `scripted_model` scripts.

        spec = AgentSpec(model=demo_tools.MODEL, tools=[demo_tools.UC_FUNCTION, demo_tools.TICKETING])
    """
    from types import SimpleNamespace

    return SimpleNamespace(
        MODEL=SCRIPTED_MODEL,
        GENIE={"genie_space": {"id": "01f0c0ffee5a1e5d4a7a5e5a1e5c0de1",
                               "description": "Sales analytics: revenue, order counts and rankings by region."}},
        UC_FUNCTION={"uc_function": {"name": "main.sales.get_order_status",
                                     "description": "Look up one order by its id: status and shipping details."}},
        CONVERT={"uc_function": {"name": "main.sales.convert_currency",
                                 "description": "Convert an amount of money between currencies (ISO codes)."}},
        KNOWLEDGE_ASSISTANT={"knowledge_assistant": {
            "knowledge_assistant_id": "8c765842-f021-4946-85b4-df326cc01b03",
            "description": "Company policies: returns, refunds, shipping."}},
        TICKETING={"uc_connection": {"name": "ticketing", "description": "Support tickets: create, search, read."}},
        HELPDESK={"app": {"name": "agent-lib-helpdesk",
                          "description": "The IT helpdesk agent: passwords, VPN, laptops."}})


@pytest.fixture
def scripted_model(emulator):
    """Set the turns of the scripted model behind `SCRIPTED_MODEL` (`PUT /_emulator/models/{endpoint}`);
    the default model is restored after the test.

        scripted_model([{"tool_calls": [{"name": "main__sales__get_order_status", "arguments": {...}}]}, "Done."])
    """
    import httpx

    headers = {"Authorization": f"Bearer {emulator.token}"}
    url = f"{emulator.host}/_emulator/models/{SCRIPTED_MODEL}"

    def set_turns(turns):
        response = httpx.put(url, json={"kind": "scripted", "turns": turns}, headers=headers)
        assert response.status_code == 200, response.text

    yield set_turns
    httpx.delete(url, headers=headers)


@pytest.fixture
def fresh_emulator(emulator):
    """The session's emulated workspace, reset to the seeded demo before the test."""
    emulator.reset()
    return emulator


@pytest.fixture(scope="session")
def admin(emulator):
    """A real `WorkspaceClient` acting as the workspace admin."""
    return emulator.client()


@pytest.fixture
def alice(emulator):
    """A real `WorkspaceClient` acting as alice@example.com, an ordinary user with no grants.

    Per test, not per session: a reset (`fresh_emulator`) forgets every token but the admin's."""
    return emulator.client(emulator.token_for("alice@example.com"))


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """Debian's headless Chromium, installed on first use (CI is a fresh machine; Playwright's own
    browser download cannot work offline). Browser tests launch Playwright with this executable_path."""
    import shutil
    import subprocess

    if not os.path.exists(CHROMIUM) and os.geteuid() == 0 and shutil.which("apt-get"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-q"], env=env, capture_output=True, timeout=600)
        done = subprocess.run(["apt-get", "install", "-y", "-q", "chromium"], env=env,
                              capture_output=True, text=True, timeout=900)
        if done.returncode != 0:
            pytest.fail(f"installing Debian's chromium failed: {done.stderr[-2000:]}")
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"browser tests need Debian's chromium at {CHROMIUM}: run `apt-get install -y chromium` "
                    "as root (the test set-up does this itself when it runs as root)")
    return CHROMIUM


@pytest.fixture
def browser(chromium_path):
    """A headless Chromium driven by Playwright (sync API); closed after the test."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def nbval_lax(tmp_path):
    """Run `pytest --nbval-lax` on executed notebooks (against a running emulated `Workspace`), from a
    folder laid out like the project.

        done = nbval_lax(project_root, [Path(".../01_setup_tools.ipynb")], emulated_workspace)
        assert done.returncode == 0, done.stdout

    The notebooks are copied into `<tmp>/notebooks/` beside links to everything else of the
    project, so their relative paths (`../agent.yml`) resolve as under the runner; their kernels
    get the emulated workspace's token from the environment, as the runner's kernels do.
    """
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    def run(root: Path, notebooks: list[Path], workspace) -> subprocess.CompletedProcess[str]:
        layout = tmp_path / "project"
        (layout / "notebooks").mkdir(parents=True)
        for entry in Path(root).iterdir():
            if entry.name not in ("notebooks", ".venv", ".git"):
                (layout / entry.name).symlink_to(entry)
        for notebook in notebooks:
            shutil.copy(notebook, layout / "notebooks" / Path(notebook).name)
        (tmp_path / "pytest.ini").write_text("[pytest]\n")
        env = {k: v for k, v in os.environ.items() if not k.startswith("DATABRICKS_")}
        env["DATABRICKS_TOKEN"] = workspace.emulator.token
        return subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "--nbval-lax", "--nbval-current-env", "-p", "no:cacheprovider",
             "-c", str(tmp_path / "pytest.ini"), "--rootdir", str(layout), str(layout / "notebooks")],
            env=env, capture_output=True, text=True, timeout=1800, cwd=layout, check=False)

    return run


@pytest.fixture(scope="session")
def job_run(tmp_path_factory):
    """Run a bundle's job once on an emulated workspace that stays up until the session ends.

        ws, result, lines = job_run(project_root)     # the RunResult and the echoed lines
        job_run(project_root, {"spec_path": ...})     # with `--var` bundle variables
        job_run(project_root, again=ws)               # once more on that workspace and state

    The workspace outlives the run so that checks can re-run the executed notebooks against it
    (see `nbval_lax`); each call gets its own state folder, unless `again` names an earlier one.
    """
    from agent_lib.runner import RunOptions, run_job
    from agent_lib.workspace import connect

    started = []

    def run(root, variables=None, again=None):
        if again is None:
            state = tmp_path_factory.mktemp("job-run")
            ws = connect("emulated", state_dir=state)
            started.append(ws)
        else:
            ws, state = again, again.emulator.state.config.state_path.parent
        lines: list[str] = []
        run_dir = state / ("run" if again is None else f"run-{len(list(state.glob('run*'))) + 1}")
        result = run_job(RunOptions(root=root, state_dir=state, run_dir=run_dir, variables=variables or {}),
                         echo=lines.append, workspace=ws)
        return ws, result, lines

    yield run
    for ws in started:
        ws.close()


@pytest.fixture
def restore_mlflow():
    """Put MLflow's process-wide settings back after the test: tracking URI, active experiment and
    the DATABRICKS_* variables `use_experiment` exports (pending traces are flushed first)."""
    import mlflow
    import mlflow.tracking.fluent as fluent

    names = ("DATABRICKS_HOST", "DATABRICKS_TOKEN", "DATABRICKS_CONFIG_PROFILE", "MLFLOW_EXPERIMENT_ID")
    saved_env = {name: os.environ.get(name) for name in names}
    saved_experiment = fluent._active_experiment_id
    previous_uri = mlflow.get_tracking_uri()
    yield
    mlflow.flush_trace_async_logging()
    for key, value in saved_env.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    fluent._active_experiment_id = saved_experiment
    mlflow.set_tracking_uri(previous_uri)


@pytest.fixture
def workspace_experiment(emulator, restore_mlflow, request):
    """MLflow pointed, through `use_experiment`, at a new experiment of the session's emulated
    workspace (`databricks` tracking URI, admin credentials): yields its `ExperimentInfo`.
    MLflow's settings are put back afterwards (`restore_mlflow`)."""
    import uuid

    from agent_lib.tracking import use_experiment
    from agent_lib.workspace import Workspace

    ws = Workspace(emulator.client(), "emulated")
    return use_experiment(ws, f"/Shared/tests/{request.node.name[:40]}-{uuid.uuid4().hex[:8]}")
