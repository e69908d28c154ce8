"""`agent-lib`: every workflow action as a sub-command.

    agent-lib emulator [--port N] [--state PATH]   run the emulated workspace until stopped
    agent-lib emulator token [--user U] [--scopes S | --pat]
                                                   a token from that running workspace
    agent-lib emulator model [ENDPOINT] [--passthrough URL --model M | --reference]
                                                   which model answers an endpoint
    agent-lib setup [--workspace W] [--spec PATH]  check every tool of the spec, create UC functions
    agent-lib grants [--apply] [--users U,...]     plan (and apply) the grants and scopes the tools need
    agent-lib grants --write-bundle | --check-bundle
                                                   the bundle App's resources/scopes from agent.yml
    agent-lib run [...]                            run the bundle job's notebooks in order
    agent-lib app [--port 8000] [--reload] [--workers N] [--workspace ...]
                                                   serve the agent App locally (chat page, /invocations)
    agent-lib demo [--port N]                      notebook 03's chat panel as a web page (Voilà)
    agent-lib evaluate [--dataset D] [...]         notebook 04's evaluation; exit 1 when a threshold fails
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


def _emulator(args: argparse.Namespace) -> int:
    from .emulator.embedded import serve_forever

    serve_forever(_state_folder(args.state), port=args.port)
    return 0


def _emulator_token(args: argparse.Namespace) -> int:
    """Ask a running emulated workspace (admin credentials from the environment) for another token."""
    from .errors import AgentLibError

    scopes = None if args.pat else [s.strip() for s in args.scopes.split(",") if s.strip()]
    if scopes is not None and not scopes:
        raise AgentLibError("--scopes is empty: name at least one scope (e.g. all-apis), or use --pat")
    client = _running_emulator(args.host)
    try:
        answer = client.api_client.do("POST", "/_emulator/tokens",
                                      body={"user_name": args.user, "scopes": scopes})
    except Exception as exc:  # the SDK's errors carry the emulator's reason; never the token
        raise AgentLibError(f"the emulated workspace refused: {exc}") from None
    print(answer["token_value"])
    return 0


def _discover(args: argparse.Namespace) -> int:
    """List the workspace's hosted tools; with --add/--all, write the chosen ones into the spec."""
    from pathlib import Path

    from .discover import add_tools, discover
    from .errors import AgentLibError
    from .workspace import connect

    with connect(args.workspace, host=args.host, state_dir=_state_folder(args.state)) as ws:
        found = discover(ws.client, catalog=args.catalog or None, schema=args.schema or None)
    if not found:
        print("agent-lib discover: the workspace offers no hosted tool this identity can see")
        return 0
    width = max(len(f.key) for f in found)
    for f in found:
        about = " ".join((f.description or f.title).split())
        print(f"{f.type:<20} {f.key:<{width}}  {about[:70]}")
    wanted = set(args.add)
    if not (wanted or args.all):
        print(f"\nAdd tools to {args.spec} with: agent-lib discover --add <id or name> [...] (or --all)")
        return 0
    unknown = wanted - {f.key for f in found}
    if unknown:
        raise AgentLibError(f"--add {', '.join(sorted(unknown))}: not among the tools listed above; "
                            "copy an id or name from the second column")
    if not Path(args.spec).is_file():
        raise AgentLibError(f"--spec {args.spec!r} does not exist; run from the project folder or pass --spec")
    added = add_tools(args.spec, [f for f in found if args.all or f.key in wanted])
    print(f"\nagent-lib discover: added {len(added)} tool(s) to {args.spec}"
          + "".join(f"\n  + {f.type} {f.key}" for f in added)
          + ("\n  (each entry's description is what the router reads: make it say when to use the tool)"
             if added else " (all were already there)"))
    return 0


def _emulator_model(args: argparse.Namespace) -> int:
    """Choose which model answers a foundation-model endpoint of a running emulated workspace."""
    import json

    from .errors import AgentLibError

    if args.passthrough:
        if not args.model:
            raise AgentLibError("--passthrough needs --model, the upstream model's name (e.g. llama3.1)")
        body = {"kind": "passthrough", "base_url": args.passthrough, "model": args.model}
        if args.api_key_env:
            body["api_key_env"] = args.api_key_env
        method = "PUT"
    elif args.reference:
        body, method = {}, "DELETE"
    else:
        body, method = {}, "GET"
    client = _running_emulator(args.host)
    try:
        answer = client.api_client.do(method, f"/_emulator/models/{args.endpoint}", body=body or None)
    except Exception as exc:  # the SDK's errors carry the emulator's reason; never the token
        raise AgentLibError(f"the emulated workspace refused: {exc}") from None
    print(json.dumps(answer))
    return 0


def _running_emulator(host: str) -> object:
    """An admin client for the emulated workspace whose host and admin token are in the environment."""
    import os

    from .errors import AgentLibError
    from .workspace import client_for

    host = host or os.environ.get("DATABRICKS_HOST", "")
    admin = os.environ.get("DATABRICKS_TOKEN", "")
    if not host or not admin:
        raise AgentLibError("needs the running emulated workspace's DATABRICKS_HOST (or --host) and its "
                            "admin DATABRICKS_TOKEN in the environment: export the two lines "
                            "`agent-lib emulator` printed")
    return client_for(host, admin)


def _doctor(args: argparse.Namespace) -> int:
    """What works and what does not, with the fix for each problem; exit 1 when anything is wrong."""
    from pathlib import Path

    from .doctor import diagnose
    from .spec import load_spec
    from .workspace import connect

    spec = load_spec(args.spec)
    users = tuple(u.strip() for u in args.users.split(",") if u.strip())
    with connect(args.workspace, host=args.host, state_dir=_state_folder(args.state), verify=False) as ws:
        report = diagnose(ws, spec, spec_dir=Path(args.spec).parent, users=users,
                          experiment_name=args.experiment)
    print(report)
    return 0 if report.healthy else 1


def _quickstart(args: argparse.Namespace) -> int:
    """The first-run path for a real workspace; each step printed as it completes."""
    from .quickstart import QuickstartOptions, quickstart

    def show(step) -> None:
        print(f"{'ok' if step.ok else 'PROBLEM':<8} {step.name}: {step.detail}", flush=True)
        if step.fix:
            print(f"{'':<9}fix: {step.fix}", flush=True)

    steps = quickstart(QuickstartOptions(profile=args.profile, host=args.host, new_profile=args.new_profile,
                                         experiment=args.experiment, spec_path=args.spec,
                                         env_file=args.env_file), echo=show)
    return 0 if all(s.ok for s in steps) else 1


def _port(text: str) -> int:
    """argparse type: a TCP port, 0 meaning a free one."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number (0-65535; 0 = a free one)") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is out of range: a port is 0-65535 (0 = a free one)")
    return port


def _state_folder(path: str) -> str:
    """The emulated workspace keeps its state in a folder: refuse a file before anything starts."""
    from pathlib import Path

    from .errors import AgentLibError

    if Path(path).exists() and not Path(path).is_dir():
        raise AgentLibError(f"--state {path!r} is a file; it must name a folder (it holds emulator.db), "
                            "e.g. --state .agent_lib")
    return path


def _app(args: argparse.Namespace) -> int:
    """Serve the agent App locally until Ctrl-C (which stops it and the workspace it started)."""
    from .app import AppConfig
    from .app.server import serve

    config = AppConfig(spec_path=args.spec, workspace=args.workspace, host=args.host,
                       state_dir=_state_folder(args.state), experiment_name=args.experiment or None,
                       dev_user=args.dev_user or None)

    def ready(url: str) -> None:
        print(f"agent-lib app: serving {args.spec} at {url}  (chat page /, POST /invocations, "
              "/responses, GET /health; Ctrl-C stops it)", flush=True)

    serve(config, port=args.port, workers=args.workers, reload=args.reload, ready=ready)
    return 0


def _setup(args: argparse.Namespace) -> int:
    from pathlib import Path

    from .setup import setup_tools
    from .spec import load_spec
    from .workspace import connect

    spec = load_spec(args.spec)
    with connect(args.workspace, host=args.host, state_dir=args.state) as ws:
        report = setup_tools(ws.client, spec, spec_dir=Path(args.spec).parent)
    print(report)
    return 1 if report.problems else 0


def _grants(args: argparse.Namespace) -> int:
    from .grants import apply_grants, bundle_drift, plan_grants, write_bundle
    from .spec import load_spec

    spec = load_spec(args.spec)
    if args.write_bundle or args.check_bundle:
        path = args.bundle_file
        if args.write_bundle:
            changed = write_bundle(spec, path)
            print(f"agent-lib grants: {path} {'rewritten' if changed else 'already agrees with ' + args.spec}")
            return 0
        drift = bundle_drift(spec, path)
        print("\n".join(drift) or f"agent-lib grants: {path} agrees with {args.spec}")
        return 1 if drift else 0
    from .tracking import use_experiment
    from .workspace import connect

    users = [u.strip() for u in args.users.split(",") if u.strip()]
    with connect(args.workspace, host=args.host, state_dir=args.state) as ws:
        experiment = use_experiment(ws, args.experiment, state_dir=args.state) if args.experiment else None
        plan = plan_grants(ws.client, spec, users=users, warehouse_id=args.warehouse_id,
                           experiment_id=experiment.experiment_id if experiment else None)
        result = apply_grants(ws.client, plan, dry_run=not args.apply)
    print(result if args.apply else plan)
    if not args.apply:
        print(f"agent-lib grants: dry run, nothing changed ({plan.changes} to add); pass --apply to apply")
    return 1 if result.problems else 0



def _run(args: argparse.Namespace) -> int:
    from .bundle import parse_var_flags
    from .errors import AgentLibError, TaskFailed
    from .runner import RunOptions, run_job

    try:
        options = RunOptions(
            target=args.target, only=[n for flag in args.only for n in flag.split(",") if n.strip()],
            start=args.start, workspace=args.workspace, host=args.host,
            variables=parse_var_flags(args.var), state_dir=args.state and _state_folder(args.state), run_dir=args.run_dir,
            cell_timeout=args.timeout, keep_running=args.keep_running,
        )
        run_job(options)
    except TaskFailed:
        return 1  # the summary above already names the notebook, the cell and the error
    except AgentLibError as exc:
        print(f"agent-lib run: {exc}", file=sys.stderr)
        return 2
    return 0


def _demo(args: argparse.Namespace) -> int:
    from .errors import AgentLibError
    from .prototype.demo import DemoOptions, serve_demo

    options = DemoOptions(port=args.port, state_dir=args.state, spec_path=args.spec, notebook=args.notebook,
                          engine=args.engine)
    try:
        return serve_demo(options, echo=lambda line: print(line, flush=True))
    except AgentLibError as exc:
        print(f"agent-lib demo: {exc}", file=sys.stderr)
        return 1


def _threshold(text: str) -> tuple[str, float]:
    """argparse type: NAME=VALUE, a scorer's minimum pass rate."""
    name, sep, value = text.partition("=")
    try:
        if not sep or not name.strip():
            raise ValueError
        return name.strip(), float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not NAME=VALUE, e.g. tool_routing=0.9") from None


def _evaluate(args: argparse.Namespace) -> int:
    """The evaluation of notebook 04 from a terminal or CI: same library call, same default thresholds."""
    from .evaluation import EvaluateParams, ThresholdFailed, evaluate_agent
    from .spec import load_spec
    from .workspace import connect

    defaults = EvaluateParams()
    values = {"dataset": args.dataset, "workspace": args.workspace, "host": args.host, "spec_path": args.spec,
              "state_dir": _state_folder(args.state), "experiment_name": args.experiment,
              "engine": args.engine, "judge_endpoint": args.judge_endpoint, "max_workers": args.max_workers,
              "latency_budget_s": args.latency_budget, "warehouse_id": args.warehouse_id,
              "thresholds": {**defaults.thresholds, **dict(args.threshold)}}
    if args.scorers:
        values["scorers"] = args.scorers
    if args.judges:
        values["judges"] = args.judges
    params = EvaluateParams(**values)
    spec = load_spec(params.spec_path, overrides={"engine": params.engine} if params.engine else None)
    with connect(params.workspace, host=params.host, state_dir=params.state_dir) as ws:
        report = evaluate_agent(ws, spec, params.config(), experiment_name=params.experiment_name,
                                state_dir=params.state_dir)
    print(f"\n{report.text()}")
    failing = report.failing_rows()
    if len(failing):
        print(f"\nfailing rows ({len(failing)}):")
        for row in failing.to_dict(orient="records"):
            print(f"  {row['id']} [{row['failed']}] {row['question']}\n      tools: {row['tool_calls']}\n"
                  f"      why: {row['why']}")
    print(f"\nMLflow run {report.run_id} (experiment {params.experiment_name}), {len(report.rows)} rows "
          f"in {report.seconds:.1f} s, engine {report.engine}")
    try:
        report.check()
    except ThresholdFailed as exc:
        print(f"agent-lib evaluate: {exc}", file=sys.stderr)
        return 1
    print("agent-lib evaluate: every metric meets its threshold")
    return 0


def _workspace_options(parser: argparse.ArgumentParser, spec_help: str = "the agent spec file") -> None:
    """The options every command that talks to a workspace about a spec takes, spelt once."""
    parser.add_argument("--workspace", default="emulated",
                        help="emulated (default) | profile:<name> | host | notebook")
    parser.add_argument("--host", default="", help="workspace host for --workspace host")
    parser.add_argument("--state", default=".agent_lib", help="folder of the emulated workspace's state")
    parser.add_argument("--spec", default="agent.yml", help=spec_help)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="agent-lib", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    emu = sub.add_parser("emulator", help="run the emulated Databricks workspace until stopped")
    emu.add_argument("--port", type=_port, default=0, help="port on 127.0.0.1 (0 = a free one)")
    emu.add_argument("--state", default=".agent_lib", help="folder of the SQLite state file")
    emu.set_defaults(func=_emulator)
    emu_sub = emu.add_subparsers(dest="emulator_command", metavar="{token,model}")
    tok = emu_sub.add_parser(
        "token", help="print a token from a running emulated workspace",
        description="Print one token, minted by the running emulated workspace whose DATABRICKS_HOST and "
                    "admin DATABRICKS_TOKEN are in the environment. Default: an OAuth token for the admin "
                    "with the all-apis scope (deployed Apps accept only OAuth). Use it as "
                    "export DATABRICKS_TOKEN=$(agent-lib emulator token --user alice@example.com).")
    tok.add_argument("--user", default="admin@example.com",
                     help="user to act as (demo users: admin@, alice@, bob@example.com)")
    tok.add_argument("--scopes", default="all-apis",
                     help="comma-separated OAuth scopes, e.g. ai-gateway,genie,sql (default all-apis)")
    tok.add_argument("--pat", action="store_true", help="a personal access token instead (no scopes)")
    tok.add_argument("--host", default="", help="the emulated workspace (default: $DATABRICKS_HOST)")
    tok.set_defaults(func=_emulator_token)
    mod = emu_sub.add_parser(
        "model", help="show or choose the model behind a foundation-model endpoint",
        description="Show (no option), replace (--passthrough) or restore (--reference) the model that answers "
                    "a foundation-model endpoint of the running emulated workspace. Passthrough forwards each "
                    "turn to an OpenAI-compatible server (a local LLM, say) as a chat completion.")
    mod.add_argument("endpoint", nargs="?", default="databricks-claude-sonnet-4-5",
                     help="serving endpoint (default: the demo agent's model)")
    mod.add_argument("--passthrough", default="", metavar="URL",
                     help="OpenAI-compatible base URL, e.g. http://127.0.0.1:11434/v1")
    mod.add_argument("--model", default="", help="the upstream model's name (with --passthrough)")
    mod.add_argument("--api-key-env", default="",
                     help="environment variable (of the emulator's process) holding the upstream API key")
    mod.add_argument("--reference", action="store_true", help="back to the deterministic reference model")
    mod.add_argument("--host", default="", help="the emulated workspace (default: $DATABRICKS_HOST)")
    mod.set_defaults(func=_emulator_model)
    disc = sub.add_parser("discover", help="list the workspace's hosted tools; add chosen ones to agent.yml",
                          description="List the Genie spaces, Knowledge Assistants, Apps, MCP connections "
                                      "and UC functions the workspace offers, with their ids; --add writes "
                                      "the chosen ones into the spec, keeping its comments and order.")
    _workspace_options(disc, "the agent spec to add tools to")
    disc.add_argument("--catalog", default="", help="list UC functions of this catalog only")
    disc.add_argument("--schema", default="", help="list UC functions of this schema only (with --catalog)")
    disc.add_argument("--add", nargs="+", default=[], metavar="KEY", help="ids or names to add (2nd column)")
    disc.add_argument("--all", action="store_true", help="add every tool listed")
    disc.set_defaults(func=_discover)
    for name, helper in (("setup", "check every tool of the spec; create UC functions from their files"),
                         ("grants", "plan (and with --apply apply) the grants and scopes the tools need")):
        cmd = sub.add_parser(name, help=helper, description=helper)
        _workspace_options(cmd)
        cmd.set_defaults(func=_setup if name == "setup" else _grants)
    grants = sub.choices["grants"]
    grants.add_argument("--apply", action="store_true", help="apply the plan (default: a dry run)")
    grants.add_argument("--users", default="", help="comma-separated users or groups to grant the tools to")
    grants.add_argument("--warehouse-id", default="", help="SQL warehouse the tools run on (default: found)")
    grants.add_argument("--experiment", default="", help="MLflow experiment the App logs to (CAN_EDIT)")
    grants.add_argument("--write-bundle", action="store_true",
                        help="rewrite the bundle App's resources and user_api_scopes from the spec (offline)")
    grants.add_argument("--check-bundle", action="store_true",
                        help="fail when the bundle App's resources or user_api_scopes differ from the spec")
    grants.add_argument("--bundle-file", default="resources/agent_lib.app.yml", help="the bundle's App file")
    doc = sub.add_parser("doctor", help="what works and what does not, with the fix for each problem",
                         description="Read-only checks, in the order to fix them: authentication, the "
                                     "model endpoint, each tool of the spec, the MLflow experiment, the "
                                     "permissions and scopes the agent needs, the App's state.")
    _workspace_options(doc)
    doc.add_argument("--users", default="", help="comma-separated users/groups (user authorization)")
    doc.add_argument("--experiment", default="/Shared/agent-lib", help="the MLflow experiment (path)")
    doc.set_defaults(func=_doctor)
    qs = sub.add_parser("quickstart", help="first run against a real workspace (safe to run again)",
                        description="Check the installation, set up authentication (an existing CLI "
                                    "profile, or --host with DATABRICKS_TOKEN saved as a new profile), create "
                                    "or link the MLflow experiment, write .env (no token; git-ignored) and "
                                    "check the tools of the spec. Without a workspace it says how to run "
                                    "everything on the emulated one.")
    qs.add_argument("--profile", default="", help="an existing ~/.databrickscfg profile to use")
    qs.add_argument("--host", default="", help="workspace URL; its token comes from DATABRICKS_TOKEN")
    qs.add_argument("--new-profile", default="agent-lib", help="profile name written for --host")
    qs.add_argument("--experiment", default="/Shared/agent-lib", help="the MLflow experiment (path)")
    qs.add_argument("--spec", default="agent.yml", help="the agent spec whose tools are checked")
    qs.add_argument("--env-file", default=".env", help="where to write the environment settings")
    qs.set_defaults(func=_quickstart)
    run = sub.add_parser("run", help="run the bundle job's notebooks in order (offline by default)")
    run.add_argument("--target", default=None, help="bundle target (default: the bundle's default, dev)")
    run.add_argument("--only", action="append", default=[], metavar="TASKS",
                     help="run only these tasks: keys, notebook names or numbers, e.g. 03,04")
    run.add_argument("--from", dest="start", default=None, metavar="TASK",
                     help="start at this task (resume after a failure), e.g. 02")
    run.add_argument("--workspace", default="emulated",
                     help="emulated (default) | profile:<name> | host")
    run.add_argument("--host", default="", help="workspace URL for --workspace host")
    run.add_argument("--var", action="append", default=[], metavar="NAME=VALUE",
                     help="set a bundle variable (also BUNDLE_VAR_<name>), e.g. --var engine=hosted")
    run.add_argument("--state", default=None, help="emulated workspace state folder (default .agent_lib)")
    run.add_argument("--run-dir", default=None, help="folder for executed notebooks and summary.json")
    run.add_argument("--timeout", type=int, default=900, help="seconds a cell may run (default 900)")
    run.add_argument("--keep-running", action="store_true",
                     help="keep the emulated workspace and the App up after the run (Ctrl+C stops)")
    run.set_defaults(func=_run)
    app = sub.add_parser("app", help="serve the agent App locally (chat page, /invocations, /responses)",
                         description="Serve the agent of --spec as its Databricks App would: the chat page at "
                                     "/, POST /invocations and /responses, GET /health. Against the embedded "
                                     "emulated workspace by default, or a real one (--workspace).")
    app.add_argument("--port", type=_port, default=8000, help="port on 127.0.0.1 (default 8000; 0 = a free one)")
    app.add_argument("--reload", action="store_true", help="restart when the code changes (development)")
    app.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    _workspace_options(app)
    app.add_argument("--experiment", default="/Shared/agent-lib", help="MLflow experiment for traces")
    app.add_argument("--dev-user", default="", metavar="USER",
                     help="DEVELOPMENT ONLY: with authorization: user, act as USER when a request has no "
                          "x-forwarded-access-token (refused in a deployed App)")
    app.set_defaults(func=_app)
    demo = sub.add_parser("demo", help="serve notebook 03's chat panel as a web page on the emulated workspace")
    demo.add_argument("--port", type=int, default=8866, help="port on 127.0.0.1 (0 = a free one)")
    demo.add_argument("--state", default=".agent_lib", help="folder of the emulated workspace's state")
    demo.add_argument("--spec", default="agent.yml", help="the agent spec file")
    demo.add_argument("--notebook", default="notebooks/03_prototype_agent.ipynb", help="the notebook to serve")
    demo.add_argument("--engine", default="", choices=["", "client", "hosted"],
                      help="agent loop ('' takes the spec's)")
    demo.set_defaults(func=_demo)
    ev = sub.add_parser("evaluate", help="evaluate the agent on a dataset; exit 1 when a threshold fails",
                        description="Notebook 04's evaluation (mlflow.genai.evaluate over the Supervisor) with "
                                    "the same defaults: prints the summary table and the failing rows, logs "
                                    "one MLflow run, and exits 1 when a metric is below its threshold.")
    ev.add_argument("--dataset", default="demo",
                    help="demo (shipped), a .jsonl file, mlflow:<evaluation dataset> or uc:<catalog.schema.table>")
    _workspace_options(ev)
    ev.add_argument("--experiment", default="/Shared/agent-lib", help="MLflow experiment to log the run to")
    ev.add_argument("--engine", default="", choices=["", "hosted", "client"], help="default: the spec's engine")
    ev.add_argument("--max-workers", type=int, default=4, help="rows evaluated at the same time (default 4)")
    ev.add_argument("--threshold", type=_threshold, action="append", default=[], metavar="NAME=VALUE",
                    help="minimum pass rate of a scorer, repeatable (defaults: "
                         + ", ".join(f"{k}={v:g}" for k, v in _default_thresholds().items()) + ")")
    ev.add_argument("--scorers", nargs="+", default=[], metavar="NAME",
                    help="deterministic scorers (default: tool_routing facts_present non_empty latency)")
    ev.add_argument("--judges", nargs="+", default=[], metavar="NAME",
                    help="LLM judges, run only with --judge-endpoint (default: all four)")
    ev.add_argument("--judge-endpoint", default="", help="serving endpoint of the judge model (none: no judge)")
    ev.add_argument("--latency-budget", type=float, default=30.0, help="seconds a turn may take (default 30)")
    ev.add_argument("--warehouse-id", default="", help="SQL warehouse that reads a uc: dataset")
    ev.set_defaults(func=_evaluate)
    return parser


def _default_thresholds() -> dict[str, float]:
    from .evaluation.run import DEFAULT_THRESHOLDS

    return dict(DEFAULT_THRESHOLDS)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one sub-command; an error agent_lib raises on purpose is one line on stderr and exit 1."""
    import os

    from .errors import AgentLibError

    args = build_parser().parse_args(argv)
    # Quiet by default: MLflow's INFO lines (trace-queue flushes, run links) are noise in a terminal;
    # the kernels the runner starts inherit it. Set MLFLOW_LOGGING_LEVEL=INFO to see them.
    os.environ.setdefault("MLFLOW_LOGGING_LEVEL", "WARNING")
    try:
        return int(args.func(args) or 0)
    except AgentLibError as exc:
        print(f"agent-lib {args.command}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
