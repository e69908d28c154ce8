"""`agent-lib run`: the bundle's job, run locally, one notebook task at a time with papermill.

The job comes from the bundle files (`agent_lib.bundle`), so what runs here is what the scheduled
job runs on Databricks. Each task's notebook executes in `notebooks/` with the job's parameters
(and its own base_parameters) as notebook parameters, against one workspace for the whole run:

- emulated (default): ONE embedded emulated workspace is started for the run; each notebook gets
  `workspace="emulated"` and `host=<its URL>` as parameters and the token in its kernel's
  environment (DATABRICKS_TOKEN), never as a parameter, so it cannot land in an output;
- `profile:<name>` / `host`: the notebooks get that `workspace` value and authenticate themselves.

Executed notebooks and `summary.json` go to the run folder. The first failing task stops the run
with a TaskFailed that names the notebook, the cell (and its step heading) and the error.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .bundle import Bundle, NotebookTask, load_bundle
from .errors import TaskFailed

if TYPE_CHECKING:
    from .workspace import Workspace

__all__ = ["RunOptions", "RunResult", "TaskFailed", "TaskResult", "run_job"]

CELL_TIMEOUT_SECONDS = 900
ERROR_TAG = "papermill-error-cell-tag"
Echo = Callable[[str], None]


@dataclass
class RunOptions:
    """What `agent-lib run` takes; the defaults run the whole job offline on the emulated workspace."""

    root: str | Path = "."
    """The project folder (holds databricks.yml)."""
    target: str | None = None
    """Bundle target; None = the default target (dev)."""
    only: Sequence[str] = ()
    """Run just these tasks (task keys, notebook names or numbers like 03)."""
    start: str | None = None
    """Start at this task (resume after a failure); later tasks follow in order."""
    workspace: str = "emulated"
    """emulated | profile:<name> | host (DATABRICKS_HOST and credentials from the environment)."""
    host: str = ""
    """Workspace URL for workspace='host'."""
    variables: Mapping[str, str] = field(default_factory=dict)
    """`--var name=value` bundle variable overrides."""
    state_dir: str | Path | None = None
    """The emulated workspace's state folder; None = <root>/.agent_lib."""
    run_dir: str | Path | None = None
    """Where executed notebooks and summary.json go; None = <state_dir>/runs/<UTC time>."""
    cell_timeout: int = CELL_TIMEOUT_SECONDS
    """Seconds a single cell may run before the task fails."""
    prestart: bool = True
    """Start the next task's kernel (and its imports) while the current notebook runs."""
    keep_running: bool = False
    """Keep the emulated workspace (and the App it serves) up after the run until interrupted."""


@dataclass
class TaskResult:
    task: str
    notebook: str
    status: str  # passed | failed | not run
    seconds: float
    output: str
    error: str = ""


@dataclass
class RunResult:
    """What a run did, in the order it ran; `summary.json` in `run_dir` holds the same."""

    run_dir: Path
    target: str
    workspace: str
    host: str
    tasks: list[TaskResult]
    experiment: str = ""
    experiment_ui: str = ""
    app_urls: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return all(t.status == "passed" for t in self.tasks)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["run_dir"] = str(self.run_dir)
        return data


def run_job(options: RunOptions, echo: Echo = print, *, job_key: str | None = None,
            workspace: Workspace | None = None) -> RunResult:
    """Run the job's (selected) notebook tasks in order; raises TaskFailed at the first failure.

    The summary is written and echoed either way; on failure it is attached as `exc.result`.
    `workspace`: an emulated workspace the caller started and keeps (CI re-runs the executed
    notebooks against it); None = start one for this run (or connect to options.workspace).
    """
    root = Path(options.root).resolve()
    bundle = load_bundle(root, target=options.target, overrides=options.variables)
    job = bundle.job(job_key)
    tasks = job.select(options.only, options.start)
    state_dir = Path(options.state_dir or root / ".agent_lib").resolve()
    run_dir = Path(options.run_dir or state_dir / "runs" / time.strftime("%Y%m%d-%H%M%S", time.gmtime()))
    run_dir.mkdir(parents=True, exist_ok=True)
    echo(f"agent-lib run: job {job.name!r} ({job.key}), target {bundle.target}, "
         f"{len(tasks)} of {len(job.tasks)} tasks -> {run_dir}")
    with _workspace(options, state_dir, workspace) as (ws, overrides, env):
        result = RunResult(run_dir, bundle.target, ws.kind, ws.host, [])
        failure: TaskFailed | None = None
        logs = ws.is_emulated and bool(tasks) and bool(bundle.resources("experiments"))
        starting = _start_tracking_server(ws) if logs else None
        try:
            _run_tasks(tasks, job.parameters, overrides, env, options, run_dir, result, echo)
        except TaskFailed as exc:
            failure = exc
        if starting is not None:
            starting.join()  # a server started after the workspace closed would outlive it
        live = options.keep_running or workspace is not None  # the workspace outlives the run
        _describe_outputs(bundle, ws, state_dir, result, live=live)
        (run_dir / "summary.json").write_text(json.dumps(result.to_dict(), indent=2) + "\n")
        for line in summary_lines(result, failure):
            echo(line)
        if options.keep_running and ws.is_emulated and failure is None:
            _wait_until_interrupted(ws, echo)
    if failure is not None:
        failure.result = result  # type: ignore[attr-defined]
        raise failure
    return result


def summary_lines(result: RunResult, failure: TaskFailed | None = None) -> list[str]:
    """The end-of-run summary: each task, then where to look (notebooks, experiment, App)."""
    lines = ["", f"{'task':<22} {'status':<8} {'seconds':>8}  executed notebook"]
    for t in result.tasks:
        lines.append(f"{t.task:<22} {t.status:<8} {t.seconds:>8.1f}  {t.output}")
    if not result.tasks:
        lines.append("(no tasks: the job has none yet, or none were selected)")
    lines.append(f"executed notebooks and summary.json: {result.run_dir}")
    if result.experiment:
        ui = f"; open its UI: {result.experiment_ui}" if result.experiment_ui else ""
        lines.append(f"MLflow experiment: {result.experiment}{ui}")
    for name, url in result.app_urls.items():
        lines.append(f"App {name}: {url}")
    if failure is not None:
        lines.append(f"FAILED: {failure}")
        lines.append(f"  fix it, then resume with: agent-lib run --from {failure.task}")
    else:
        lines.append(f"agent-lib run: {len(result.tasks)} tasks passed in "
                     f"{sum(t.seconds for t in result.tasks):.1f} s")
    return lines


@contextmanager
def _workspace(options: RunOptions, state_dir: Path, given: Workspace | None,
               ) -> Iterator[tuple[Workspace, dict[str, str], dict[str, str]]]:
    """The run's workspace, the parameters every notebook gets for it, and the kernels' environment."""
    from .workspace import connect

    if given is not None and given.emulator is None:
        raise TypeError("run_job(workspace=...) takes an emulated workspace it can hand the token of")
    if given is not None or options.workspace == "emulated":
        ws = given or connect("emulated", state_dir=state_dir)
        # The notebooks reach this one workspace; only its token travels, through the environment.
        env = {k: v for k, v in os.environ.items() if not k.startswith("DATABRICKS_")}
        env["DATABRICKS_TOKEN"] = ws.emulator.token
        overrides = {"workspace": "emulated", "host": ws.host, "state_dir": str(state_dir)}
    else:
        ws = connect(options.workspace, host=options.host, state_dir=None)
        env = dict(os.environ)
        overrides = {"workspace": options.workspace, "host": options.host}
    try:
        yield ws, overrides, env
    finally:
        if given is None:
            ws.close()


def _start_tracking_server(ws: Workspace) -> Any:
    """Start the emulated workspace's MLflow tracking server now, in the background: its start (a
    child process importing mlflow, seconds) then overlaps the first notebook instead of delaying
    the first one that logs to the experiment. `GET /_emulator/mlflow` starts it and says where it is."""
    import threading

    def start() -> None:
        try:
            ws.client.api_client.do("GET", "/_emulator/mlflow")
        except Exception:  # noqa: BLE001 - the notebook that needs it reports the failure itself
            pass

    thread = threading.Thread(target=start, daemon=True, name="mlflow-tracking-start")
    thread.start()
    return thread


def _run_tasks(tasks: Sequence[NotebookTask], job_parameters: Mapping[str, str],
               overrides: Mapping[str, str], env: Mapping[str, str], options: RunOptions,
               run_dir: Path, result: RunResult, echo: Echo) -> None:
    from .kernels import Kernel

    def start(task: NotebookTask) -> Kernel:
        return Kernel.start(task.notebook, cwd=task.notebook.parent, env=env, warm=options.prestart)

    pending = start(tasks[0]) if tasks else None
    try:
        for i, task in enumerate(tasks):
            kernel = pending or start(task)
            pending = start(tasks[i + 1]) if options.prestart and i + 1 < len(tasks) else None
            output = run_dir / task.notebook.name
            echo(f"[{i + 1}/{len(tasks)}] {task.label} (task {task.key}) ...")
            began = time.perf_counter()
            try:
                _execute(task, _parameters(task, job_parameters, overrides), output, kernel.ready(),
                         options.cell_timeout, env.get("DATABRICKS_TOKEN"))
            except TaskFailed as exc:
                seconds = time.perf_counter() - began
                result.tasks.append(TaskResult(task.key, task.notebook.name, "failed", seconds, str(output),
                                               str(exc)))
                result.tasks.extend(TaskResult(t.key, t.notebook.name, "not run", 0.0, "")
                                    for t in tasks[i + 1:])
                echo(f"      failed after {seconds:.1f} s: {exc.cell or 'the notebook'}: {exc.error}")
                raise
            finally:
                kernel.shutdown()
            seconds = time.perf_counter() - began
            result.tasks.append(TaskResult(task.key, task.notebook.name, "passed", seconds, str(output)))
            echo(f"      passed in {seconds:.1f} s")
    finally:
        if pending is not None:
            pending.shutdown()


def _parameters(task: NotebookTask, job_parameters: Mapping[str, str],
                overrides: Mapping[str, str]) -> dict[str, str]:
    """Job parameters, then the task's own, then the run's workspace (where the notebook takes it).

    On Databricks job parameters reach every notebook task and win over base_parameters with the
    same name; the runner's workspace values win over both (they say where this run happens).
    """
    import papermill

    declared = papermill.inspect_notebook(str(task.notebook))
    values = {**task.parameters, **job_parameters}
    values.update({k: v for k, v in overrides.items() if k in declared})
    return values


def _execute(task: NotebookTask, parameters: Mapping[str, str], output: Path, kernel: Any,
             timeout: int, token: str | None) -> None:
    import papermill
    from papermill.exceptions import PapermillExecutionError

    try:
        papermill.execute_notebook(
            str(task.notebook), str(output), parameters=dict(parameters), cwd=str(task.notebook.parent),
            kernel_name="python3", km=kernel.manager, execution_timeout=timeout,
            progress_bar=False, log_output=False, request_save_on_cell_execute=True,
        )
    except PapermillExecutionError as exc:
        cell = _cell_label(output, exc.cell_index, exc.exec_count)
        raise TaskFailed(task.key, task.notebook.name, cell, _scrub(f"{exc.ename}: {exc.evalue}", token),
                         str(output)) from None
    except Exception as exc:  # noqa: BLE001 - a cell timeout, a dead kernel: papermill passes these on
        raise TaskFailed(task.key, task.notebook.name, "", _scrub(f"{type(exc).__name__}: {exc}", token),
                         str(output)) from None


def _cell_label(output: Path, index: int, exec_count: int | None) -> str:
    """`cell 7 (In [5]) in step 'Step 2 - Ask the agent': answer = ask(...)`, from the executed notebook."""
    import nbformat

    label = f"cell {index}" + (f" (In [{exec_count}])" if exec_count else "")
    try:
        cells = [cell for cell in nbformat.read(str(output), as_version=4).cells
                 if ERROR_TAG not in cell.metadata.get("tags", [])]  # papermill's banners move indexes
    except Exception:  # noqa: BLE001 - the label is still useful without the step heading
        return label
    for cell in reversed(cells[:index]):
        if cell.cell_type == "markdown" and cell.source.lstrip().startswith("##"):
            label += f" in step {cell.source.strip().splitlines()[0].lstrip('#').strip()!r}"
            break
    source = cells[index].source if index < len(cells) else ""
    lines = [line.strip() for line in source.splitlines()]
    first = next((line for line in lines if line and not line.startswith(("#", "import ", "from "))), "")
    return label + (f": {first[:80]}" if first else "")


def _describe_outputs(bundle: Bundle, ws: Any, state_dir: Path, result: RunResult, *, live: bool) -> None:
    """The experiment and the App the bundle declares, as this workspace has them now."""
    experiments = [spec.get("name", key) for key, spec in bundle.resources("experiments").items()]
    if experiments:
        result.experiment = str(experiments[0])
        result.experiment_ui = _experiment_ui(ws, result.experiment, state_dir, live=live)
    for key, spec in bundle.resources("apps").items():
        name = str(spec.get("name", key))
        try:
            url = ws.client.apps.get(name).url or ""
        except Exception as exc:  # noqa: BLE001 - a missing App is a line in the summary, not a failure
            url = f"not deployed ({type(exc).__name__})"
        result.app_urls[name] = url


def _experiment_ui(ws: Any, name: str, state_dir: Path, *, live: bool) -> str:
    """How to open the experiment's MLflow UI.

    A real workspace, or an emulated one that outlives the run (`--keep-running`): the workspace's
    experiment page `<host>/ml/experiments/<id>`; the emulated workspace redirects it to its
    tracking server's own UI (on 127.0.0.1, no sign-in). An emulated workspace that stops with the
    run: `mlflow ui` on the tracking server's store in the state folder.
    """
    if ws.is_emulated and not live:
        store = state_dir / "mlflow" / "mlflow.db"
        return (f"uv run --frozen mlflow ui --backend-store-uri sqlite:///{store} (then "
                "http://127.0.0.1:5000), or rerun with --keep-running for a live link")
    from databricks.sdk.errors import DatabricksError

    try:
        experiment_id = ws.client.experiments.get_by_name(name).experiment.experiment_id
    except DatabricksError:  # not created yet (no task logged to it): the experiments list
        experiment_id = None
    return f"{ws.host.rstrip('/')}/ml/experiments" + (f"/{experiment_id}" if experiment_id else "")


def _wait_until_interrupted(ws: Any, echo: Echo) -> None:
    echo(f"the emulated workspace stays up at {ws.host}: open the App's URL in a browser (it signs "
         "you in on the workspace's login page); press Ctrl+C to stop")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        echo("stopping the emulated workspace")


def _scrub(text: str, token: str | None) -> str:
    text = text.replace(token, "***") if token else text
    return re.sub(r"dapi[0-9a-f]{16,}", "***", text)
