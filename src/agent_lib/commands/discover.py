"""`agent-lib discover`: list the workspace's hosted tools; add chosen ones to the spec."""

from __future__ import annotations

import argparse

from .options import state_folder, workspace_options


def add_parser(commands: argparse._SubParsersAction) -> argparse.ArgumentParser:
    disc = commands.add_parser("discover", help="list the workspace's hosted tools; add chosen ones to agent.yml",
                               description="List the Genie spaces, Knowledge Assistants, Apps, MCP connections "
                                           "and UC functions the workspace offers, with their ids; --add writes "
                                           "the chosen ones into the spec, keeping its comments and order.")
    workspace_options(disc, "the agent spec to add tools to")
    disc.add_argument("--catalog", default="", help="list UC functions of this catalog only")
    disc.add_argument("--schema", default="", help="list UC functions of this schema only (with --catalog)")
    disc.add_argument("--add", nargs="+", default=[], metavar="KEY", help="ids or names to add (2nd column)")
    disc.add_argument("--all", action="store_true", help="add every tool listed")
    return disc


def run(args: argparse.Namespace) -> int:
    """List the workspace's hosted tools; with --add/--all, write the chosen ones into the spec."""
    from pathlib import Path

    from ..discover import add_tools, discover
    from ..errors import AgentLibError
    from ..workspace import connect

    with connect(args.workspace, host=args.host, state_dir=state_folder(args.state)) as ws:
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
