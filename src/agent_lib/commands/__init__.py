"""The `agent-lib` sub-commands, one module each: `add_parser(commands)` declares its argparse
sub-parser and returns it, `run(args)` handles it and returns the exit code.

`COMMANDS` is the one list `agent_lib.cli.build_parser` builds the command line from, in the order
`agent-lib --help` shows them: a new command is a module here plus a line in that list. Importing
a command module does no work; each handler imports what it needs when it runs.
"""

from __future__ import annotations

from . import app, demo, discover, doctor, emulator, evaluate, grants, quickstart, run, setup

COMMANDS = (emulator, discover, setup, grants, doctor, quickstart, run, app, demo, evaluate)

__all__ = ["COMMANDS"]
