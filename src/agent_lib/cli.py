"""`agent-lib`: every workflow action as a sub-command.

    agent-lib emulator [--port N] [--state PATH]   run the emulated workspace until stopped
    agent-lib run [...]                            run the bundle job's notebooks in order
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


def _emulator(args: argparse.Namespace) -> int:
    from .emulator.embedded import serve_forever

    serve_forever(_state_folder(args.state), port=args.port)
    return 0


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


def _run(args: argparse.Namespace) -> int:
    from .pipeline import RunOptions, StepFailed, run_pipeline

    options = RunOptions(workspace=args.workspace, host=args.host, spec_path=args.spec,
                         state_dir=args.state)
    try:
        results = run_pipeline(options)
    except StepFailed as exc:
        print(f"agent-lib run: {exc}", file=sys.stderr)
        return 1
    total = sum(r.seconds for r in results)
    print(f"agent-lib run: {len(results)} steps passed in {total:.1f} s")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="agent-lib", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    emu = sub.add_parser("emulator", help="run the emulated Databricks workspace until stopped")
    emu.add_argument("--port", type=_port, default=0, help="port on 127.0.0.1 (0 = a free one)")
    emu.add_argument("--state", default=".agent_lib", help="folder of the SQLite state file")
    emu.set_defaults(func=_emulator)
    run = sub.add_parser("run", help="run the main job's steps in order (offline by default)")
    run.add_argument("--workspace", default="emulated",
                     help="emulated (default) | profile:<name> | host | notebook")
    run.add_argument("--host", default="", help="workspace host for --workspace host")
    run.add_argument("--spec", default="agent.yml", help="the agent spec file")
    run.add_argument("--state", default=".agent_lib", help="folder of the emulated workspace's state")
    run.set_defaults(func=_run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one sub-command; an error agent_lib raises on purpose is one line on stderr and exit 1."""
    from .errors import AgentLibError

    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except AgentLibError as exc:
        print(f"agent-lib {args.command}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
