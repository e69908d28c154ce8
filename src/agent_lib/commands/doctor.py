"""`agent-lib doctor`: what works and what does not, with the fix for each problem."""

from __future__ import annotations

import argparse

from .options import state_folder, workspace_options


def add_parser(commands: argparse._SubParsersAction) -> argparse.ArgumentParser:
    doc = commands.add_parser("doctor", help="what works and what does not, with the fix for each problem",
                              description="Read-only checks, in the order to fix them: authentication, the "
                                          "model endpoint, each tool of the spec, the MLflow experiment, the "
                                          "permissions and scopes the agent needs, the App's state.")
    workspace_options(doc)
    doc.add_argument("--users", default="", help="comma-separated users/groups (user authorization)")
    doc.add_argument("--experiment", default="/Shared/agent-lib", help="the MLflow experiment (path)")
    return doc


def run(args: argparse.Namespace) -> int:
    """What works and what does not, with the fix for each problem; exit 1 when anything is wrong."""
    from pathlib import Path

    from ..doctor import diagnose
    from ..spec import load_spec
    from ..workspace import connect

    spec = load_spec(args.spec)
    users = tuple(u.strip() for u in args.users.split(",") if u.strip())
    with connect(args.workspace, host=args.host, state_dir=state_folder(args.state), verify=False) as ws:
        report = diagnose(ws, spec, spec_dir=Path(args.spec).parent, users=users,
                          experiment_name=args.experiment)
    print(report)
    return 0 if report.healthy else 1
