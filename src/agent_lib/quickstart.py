"""`agent-lib quickstart`: the first run against a real workspace, safe to run again.

    steps = quickstart(QuickstartOptions(profile="DEFAULT"))   # each step: name, ok, detail

Checks the installation, settles authentication (an existing Databricks CLI profile, or a host plus
DATABRICKS_TOKEN written as a new profile), proves it with one call, creates or links the MLflow
experiment, writes `.env` (profile, tracking URI, experiment: never a token) and makes sure git
ignores it, then checks the tools of agent.yml without changing them. A re-run finds everything in
place and changes nothing. Nothing here prompts: tokens come from the environment, so CI can run it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .errors import AgentLibError

__all__ = ["QuickstartOptions", "Step", "quickstart"]

NO_WORKSPACE = ("no workspace named: pass --profile <name> (a ~/.databrickscfg profile, e.g. from "
                "`databricks auth login --profile <name>`) or --host https://<workspace-host> with "
                "DATABRICKS_TOKEN set. No workspace at hand? Everything runs offline on the emulated one: "
                "uv run --frozen agent-lib run")
PACKAGES = ("databricks.sdk", "databricks_openai", "mlflow", "openai", "papermill", "ipywidgets")


@dataclass(frozen=True)
class QuickstartOptions:
    profile: str = ""
    host: str = ""
    new_profile: str = "agent-lib"
    experiment: str = "/Shared/agent-lib"
    spec_path: str = "agent.yml"
    env_file: str = ".env"


@dataclass(frozen=True)
class Step:
    name: str
    ok: bool
    detail: str
    fix: str = ""


@dataclass
class _Run:
    options: QuickstartOptions
    echo: Callable[[Step], None]
    steps: list[Step] = field(default_factory=list)

    def record(self, step: Step) -> Step:
        self.steps.append(step)
        self.echo(step)
        return step


def config_file() -> Path:
    return Path(os.environ.get("DATABRICKS_CONFIG_FILE", "~/.databrickscfg")).expanduser()


def quickstart(options: QuickstartOptions, echo: Callable[[Step], None] = lambda s: None) -> list[Step]:
    """Every step in order; stops after a failed one that later steps need (authentication)."""
    run = _Run(options, echo)
    run.record(_installation())
    profile = _profile(run)
    if profile is None:
        return run.steps
    from .workspace import connect

    try:
        ws = connect(f"profile:{profile}")
    except AgentLibError as exc:
        run.record(Step("sign in", False, str(exc), f"check the host and token of profile {profile!r} in "
                        f"{config_file()}"))
        return run.steps
    with ws:
        me = ws.client.current_user.me().user_name
        run.record(Step("sign in", True, f"profile {profile!r}: {ws.host} as {me}"))
        experiment_id = _experiment(run, ws)
        _env_file(run, profile, experiment_id)
        _tools(run, ws)
    return run.steps


def _installation() -> Step:
    import importlib.metadata
    import importlib.util
    import sys

    missing = [p for p in PACKAGES if importlib.util.find_spec(p) is None]
    version = importlib.metadata.version("agent-lib")
    py = ".".join(map(str, sys.version_info[:3]))
    if missing or sys.version_info < (3, 11):
        return Step("installation", False, f"agent-lib {version} on Python {py}; missing: {', '.join(missing)}",
                    "install with: python3 -m pip install uv && uv sync --frozen (Python 3.11 or newer)")
    return Step("installation", True, f"agent-lib {version} on Python {py}, {len(PACKAGES)} core packages")


def _profile(run: _Run) -> str | None:
    """The profile to use: the named one, or a new one written from --host and DATABRICKS_TOKEN."""
    import configparser

    opts = run.options
    parser = configparser.ConfigParser()
    parser.read(config_file())
    if opts.profile:
        if not parser.has_section(opts.profile):
            run.record(Step("authentication", False, f"profile {opts.profile!r} is not in {config_file()}",
                            f"databricks auth login --host https://<workspace-host> --profile {opts.profile}, "
                            "or pass --host with DATABRICKS_TOKEN set"))
            return None
        run.record(Step("authentication", True, f"profile {opts.profile!r} from {config_file()}"))
        return opts.profile
    if not opts.host:
        run.record(Step("authentication", False, NO_WORKSPACE))
        return None
    host = opts.host.rstrip("/")
    name = opts.new_profile
    if parser.has_section(name):
        known = parser.get(name, "host", fallback="").rstrip("/")
        if known != host:
            run.record(Step("authentication", False, f"profile {name!r} already points at {known}",
                            f"pass --new-profile <another name> for {host}, or --profile {name}"))
            return None
        run.record(Step("authentication", True, f"profile {name!r} ({host}) already in {config_file()}"))
        return name
    token = os.environ.get("DATABRICKS_TOKEN", "")
    if not token:
        run.record(Step("authentication", False, f"no DATABRICKS_TOKEN in the environment for {host}",
                        "create a personal access token in the workspace (Settings > Developer), "
                        "export DATABRICKS_TOKEN=<it>, and run quickstart again"))
        return None
    path = config_file()
    with path.open("a") as out:  # append only: the file's other profiles and comments stay as they are
        out.write(f"\n[{name}]\nhost  = {host}\ntoken = {token}\n")
    path.chmod(0o600)
    run.record(Step("authentication", True, f"wrote profile {name!r} ({host}) to {path}"))
    return name


def _experiment(run: _Run, ws: object) -> str:
    from .tracking import use_experiment

    info = use_experiment(ws, run.options.experiment)  # type: ignore[arg-type]
    run.record(Step("MLflow experiment", True, f"{info.name} (id {info.experiment_id})"))
    return info.experiment_id


def _env_file(run: _Run, profile: str, experiment_id: str) -> None:
    """Set our keys in .env, keep every other line; add .env to .gitignore."""
    wanted = {"DATABRICKS_CONFIG_PROFILE": profile, "MLFLOW_TRACKING_URI": f"databricks://{profile}",
              "MLFLOW_EXPERIMENT_ID": experiment_id}
    path = Path(run.options.env_file)
    lines = path.read_text().splitlines() if path.exists() else []
    kept = [line for line in lines if line.split("=", 1)[0].strip() not in wanted]
    text = "\n".join([*kept, *(f"{k}={v}" for k, v in wanted.items())]) + "\n"
    changed = not path.exists() or path.read_text() != text
    if changed:
        path.write_text(text)
    ignore = path.parent / ".gitignore"
    existing = ignore.read_text() if ignore.exists() else ""
    ignored = path.name in {line.strip().lstrip("/") for line in existing.splitlines()}
    if not ignored:
        ignore.write_text(existing + ("" if not existing or existing.endswith("\n") else "\n") + path.name + "\n")
    run.record(Step(".env", True, f"{path} {'written' if changed else 'unchanged'} (profile, tracking URI, "
                    f"experiment; no token){'' if ignored else '; added to .gitignore'}"))


def _tools(run: _Run, ws: object) -> None:
    from .setup import PROBLEM, setup_tools
    from .spec import load_spec

    spec_path = Path(run.options.spec_path)
    spec = load_spec(spec_path)
    report = setup_tools(ws.client, spec, spec_dir=spec_path.parent, create=False)  # type: ignore[attr-defined]
    problems = [r for r in report.rows if r.status == PROBLEM]
    detail = f"{len(report.rows) - len(problems)} of {len(report.rows)} ready (model and tools of {spec_path})"
    if problems:
        detail += "; " + "; ".join(f"{r.tool}: {r.action}" for r in problems)
    run.record(Step("tools", not problems, detail,
                    "run agent-lib doctor for each fix, or notebook 01_setup_tools" if problems else ""))
