"""The ticketing MCP server: FastMCP tools over `TicketStore`, served over streamable HTTP.

Three tools, described for a model that has never seen them: `create_ticket`, `search_tickets`,
`get_ticket`. The server is stateless and answers JSON (no sessions, no long-lived streams), so
any MCP client and any HTTP proxy in front of it work. It binds 127.0.0.1 only.
"""

from __future__ import annotations

import inspect
import socket
import sys
import threading
import time
from pathlib import Path
from typing import Annotated, Any, Literal

from mcp.server.fastmcp import FastMCP
from mcp.server.fastmcp.exceptions import ToolError
from mcp.types import ToolAnnotations
from pydantic import Field

from ...core.net import listen_loopback
from .data import TicketError, TicketStore

MCP_PATH = "/mcp"
READY_PREFIX = "TICKETING_MCP_URL="

Priority = Literal["P1", "P2", "P3", "P4"]
Status = Literal["open", "in_progress", "waiting_on_customer", "resolved", "closed"]
Category = Literal["orders", "returns", "shipping", "hardware", "account", "billing", "other"]

INSTRUCTIONS = (
    "Customer support ticketing system of an online computer-hardware shop (laptops, monitors, "
    "docks, accessories). Search existing tickets before creating a new one; ticket ids look like "
    "TCK-1001."
)


def build_server(store: TicketStore) -> FastMCP:
    """A FastMCP server whose tools read and write `store`."""
    mcp = FastMCP("ticketing", instructions=INSTRUCTIONS, stateless_http=True, json_response=True,
                  streamable_http_path=MCP_PATH, log_level="WARNING")

    def tool(*, read_only: bool, title: str) -> Any:
        def register(fn: Any) -> Any:
            mcp.add_tool(fn, title=title, description=inspect.cleandoc(fn.__doc__ or ""),
                         annotations=ToolAnnotations(title=title, readOnlyHint=read_only,
                                                     destructiveHint=False, openWorldHint=False))
            return fn
        return register

    @tool(read_only=False, title="Create support ticket")
    def create_ticket(
        title: Annotated[str, Field(description="One-line summary of the problem, e.g. 'Laptop arrived "
                                                "with cracked screen' (at most 200 characters).")],
        description: Annotated[str, Field(description="What happened, in the customer's words: product, "
                                                      "order, what was tried, what they need.")],
        requester_email: Annotated[str, Field(description="Email address of the customer or employee "
                                                          "reporting the problem.")],
        priority: Annotated[Priority, Field(description="P1 = urgent (money lost, customer blocked, many "
                                                        "users affected), P2 = high, P3 = normal, P4 = "
                                                        "low / question.")] = "P3",
        category: Annotated[Category, Field(description="Area of the problem.")] = "other",
        order_id: Annotated[str | None, Field(description="Order number the ticket is about, e.g. "
                                                          "'SO-12360', if any.")] = None,
    ) -> dict[str, Any]:
        """Open a new customer support ticket and return it with its new ticket id (TCK-nnnn).

        Use this when a customer reports a problem with an order, a delivery, a return, a device,
        a payment or their account that needs follow-up by the support team. The ticket starts
        with status 'open'.
        """
        try:
            return store.create(title, description, priority, requester_email, category, order_id)
        except TicketError as exc:
            raise ToolError(str(exc)) from None

    @tool(read_only=True, title="Search support tickets")
    def search_tickets(
        query: Annotated[str, Field(description="Words to look for in the ticket title, description, "
                                                "requester email or order id, e.g. 'refund monitor' or "
                                                "'SO-12360'. Every word must match; empty matches all.")],
        status: Annotated[Status | None, Field(description="Only tickets with this status.")] = None,
        priority: Annotated[Priority | None, Field(description="Only tickets with this priority.")] = None,
        limit: Annotated[int, Field(description="Maximum number of tickets to return (1-50).",
                                    ge=1, le=50)] = 10,
    ) -> dict[str, Any]:
        """Find existing support tickets by keywords, optionally filtered by status and priority.

        Returns the matching tickets (best matches first) with their id, title, status, priority,
        category, requester and dates. Use it to check whether a problem was already reported or
        to list open or urgent tickets.
        """
        try:
            tickets = store.search(query, status, priority, limit)
        except TicketError as exc:
            raise ToolError(str(exc)) from None
        return {"count": len(tickets), "tickets": tickets}

    @tool(read_only=True, title="Get support ticket")
    def get_ticket(
        ticket_id: Annotated[str, Field(description="The ticket id, e.g. 'TCK-1001'.")],
    ) -> dict[str, Any]:
        """Get one support ticket by its id, with its full description, status, priority,
        assignee, related order and dates."""
        try:
            ticket = store.get(ticket_id)
        except TicketError as exc:
            raise ToolError(str(exc)) from None
        if ticket is None:
            raise ToolError(f"No ticket with id '{ticket_id.strip().upper()}'; use search_tickets to "
                            "find the right id.")
        return ticket

    return mcp


def bind(port: int = 0) -> socket.socket:
    """A listening socket on 127.0.0.1 (`port=0`: a free one)."""
    return listen_loopback(port)


def serve(port: int = 0, db: str | Path | None = None, *, exit_on_stdin_eof: bool = False) -> None:
    """Serve until interrupted (or until stdin closes, when the emulator started this process).

    Prints `TICKETING_MCP_URL=http://127.0.0.1:<port>/mcp` on stdout once it accepts connections.
    """
    import uvicorn

    store = TicketStore(db)
    sock = bind(port)
    url = f"http://127.0.0.1:{sock.getsockname()[1]}{MCP_PATH}"
    app = build_server(store).streamable_http_app()
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on",
                                           timeout_graceful_shutdown=1))

    def announce() -> None:
        while not server.started and not server.should_exit:
            time.sleep(0.005)
        if server.started:
            print(f"{READY_PREFIX}{url}", flush=True)

    def watch_stdin() -> None:  # the parent closed our stdin (or died): stop
        try:
            while sys.stdin.buffer.read(4096):
                pass
        except (OSError, ValueError):
            pass
        server.should_exit = True

    threading.Thread(target=announce, daemon=True, name="ticketing-announce").start()
    if exit_on_stdin_eof:
        threading.Thread(target=watch_stdin, daemon=True, name="ticketing-stdin").start()
    try:
        server.run(sockets=[sock])
    finally:
        store.close()
