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

from .commands import COMMANDS


def build_parser() -> argparse.ArgumentParser:
    """The command line, built from `agent_lib.commands.COMMANDS` (each module declares its own sub-parser)."""
    parser = argparse.ArgumentParser(prog="agent-lib", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for command in COMMANDS:
        command.add_parser(sub).set_defaults(func=command.run)
    return parser


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
