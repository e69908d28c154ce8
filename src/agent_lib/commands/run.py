"""`agent-lib run`: run the bundle job's notebooks in order (offline by default)."""

from __future__ import annotations

import argparse
import sys

from .options import state_folder


def add_parser(commands: argparse._SubParsersAction) -> argparse.ArgumentParser:
    run_ = commands.add_parser("run", help="run the bundle job's notebooks in order (offline by default)")
    run_.add_argument("--target", default=None, help="bundle target (default: the bundle's default, dev)")
    run_.add_argument("--only", action="append", default=[], metavar="TASKS",
                      help="run only these tasks: keys, notebook names or numbers, e.g. 03,04")
    run_.add_argument("--from", dest="start", default=None, metavar="TASK",
                      help="start at this task (resume after a failure), e.g. 02")
    run_.add_argument("--workspace", default="emulated",
                      help="emulated (default) | profile:<name> | host")
    run_.add_argument("--host", default="", help="workspace URL for --workspace host")
    run_.add_argument("--var", action="append", default=[], metavar="NAME=VALUE",
                      help="set a bundle variable (also BUNDLE_VAR_<name>), e.g. --var engine=hosted")
    run_.add_argument("--state", default=None, help="emulated workspace state folder (default .agent_lib)")
    run_.add_argument("--run-dir", default=None, help="folder for executed notebooks and summary.json")
    run_.add_argument("--timeout", type=int, default=900, help="seconds a cell may run (default 900)")
    run_.add_argument("--keep-running", action="store_true",
                      help="keep the emulated workspace and the App up after the run (Ctrl+C stops)")
    return run_


def run(args: argparse.Namespace) -> int:
    from ..bundle import parse_var_flags
    from ..errors import AgentLibError, TaskFailed
    from ..runner import RunOptions, run_job

    try:
        options = RunOptions(
            target=args.target, only=[n for flag in args.only for n in flag.split(",") if n.strip()],
            start=args.start, workspace=args.workspace, host=args.host,
            variables=parse_var_flags(args.var), state_dir=args.state and state_folder(args.state),
            run_dir=args.run_dir, cell_timeout=args.timeout, keep_running=args.keep_running,
        )
        run_job(options)
    except TaskFailed:
        return 1  # the summary above already names the notebook, the cell and the error
    except AgentLibError as exc:
        print(f"agent-lib run: {exc}", file=sys.stderr)
        return 2
    return 0
