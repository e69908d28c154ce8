"""`agent-lib setup`: check every tool of the spec; create UC functions from their files."""

from __future__ import annotations

import argparse

from .options import workspace_options

_ABOUT = "check every tool of the spec; create UC functions from their files"


def add_parser(commands: argparse._SubParsersAction) -> argparse.ArgumentParser:
    cmd = commands.add_parser("setup", help=_ABOUT, description=_ABOUT)
    workspace_options(cmd)
    return cmd


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ..setup import setup_tools
    from ..spec import load_spec
    from ..workspace import connect

    spec = load_spec(args.spec)
    with connect(args.workspace, host=args.host, state_dir=args.state) as ws:
        report = setup_tools(ws.client, spec, spec_dir=Path(args.spec).parent)
    print(report)
    return 1 if report.problems else 0
