"""`python -m agent_lib.emulator.mcp.ticketing --port N [--db PATH]`: run the ticketing MCP server."""

from __future__ import annotations

import argparse


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m agent_lib.emulator.mcp.ticketing",
        description="Serve the demo ticketing system as an MCP server (streamable HTTP) on 127.0.0.1.")
    parser.add_argument("--port", type=int, default=0, help="port to listen on (0: a free one; default 0)")
    parser.add_argument("--db", default=None,
                        help="SQLite file holding the tickets (created and seeded if missing; "
                             "default: in memory)")
    parser.add_argument("--exit-on-stdin-eof", action="store_true",
                        help="stop when stdin closes (used by the emulator that started this process)")
    args = parser.parse_args(argv)
    from .server import serve

    try:
        serve(args.port, args.db, exit_on_stdin_eof=args.exit_on_stdin_eof)
    except OSError as exc:
        parser.exit(2, f"ticketing MCP server: cannot listen on 127.0.0.1:{args.port} ({exc.strerror})\n")


if __name__ == "__main__":
    main()
