"""Options and argparse types more than one sub-command takes, spelt once."""

from __future__ import annotations

import argparse


def workspace_options(parser: argparse.ArgumentParser, spec_help: str = "the agent spec file") -> None:
    """The options every command that talks to a workspace about a spec takes, spelt once."""
    parser.add_argument("--workspace", default="emulated",
                        help="emulated (default) | profile:<name> | host | notebook")
    parser.add_argument("--host", default="", help="workspace host for --workspace host")
    parser.add_argument("--state", default=".agent_lib", help="folder of the emulated workspace's state")
    parser.add_argument("--spec", default="agent.yml", help=spec_help)


def port(text: str) -> int:
    """argparse type: a TCP port, 0 meaning a free one."""
    try:
        number = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number (0-65535; 0 = a free one)") from None
    if not 0 <= number <= 65535:
        raise argparse.ArgumentTypeError(f"{number} is out of range: a port is 0-65535 (0 = a free one)")
    return number


def state_folder(path: str) -> str:
    """The emulated workspace keeps its state in a folder: refuse a file before anything starts."""
    from pathlib import Path

    from ..errors import AgentLibError

    if Path(path).exists() and not Path(path).is_dir():
        raise AgentLibError(f"--state {path!r} is a file; it must name a folder (it holds emulator.db), "
                            "e.g. --state .agent_lib")
    return path
