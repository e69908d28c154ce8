"""Listening sockets for everything the emulator serves: loopback only, no Nagle delay.

Every server we start (the workspace, each App's front proxy, the ticketing MCP server) binds
through here. TCP_NODELAY matters: uvicorn writes a response's head and body separately, and with
Nagle's algorithm on, the body waits for the client's delayed ACK, about 40 ms per request.
"""

from __future__ import annotations

import socket


def listen_loopback(port: int = 0, backlog: int = 128) -> socket.socket:
    """A listening TCP socket on 127.0.0.1 (`port=0`: a free one); raises OSError if taken."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind(("127.0.0.1", port))
    except OSError:
        sock.close()
        raise
    sock.listen(backlog)
    return sock
