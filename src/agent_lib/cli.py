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

    serve_forever(args.state, port=args.port)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="agent-lib", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    emu = sub.add_parser("emulator", help="run the emulated Databricks workspace until stopped")
    emu.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0 = a free one)")
    emu.add_argument("--state", default=".agent_lib", help="folder of the SQLite state file")
    emu.set_defaults(func=_emulator)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
