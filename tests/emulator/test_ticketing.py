"""The demo ticketing MCP server: its data, its tools through a real MCP client, its command."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from typing import Any

import pytest
from mcp.client.session import ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.memory import create_connected_server_and_client_session

from agent_lib.emulator.mcp.ticketing.data import SEED, TicketError, TicketStore
from agent_lib.emulator.mcp.ticketing.server import READY_PREFIX, build_server


def run(coro: Any) -> Any:
    return asyncio.run(coro)


async def _with_session(store: TicketStore, fn: Any) -> Any:
    async with create_connected_server_and_client_session(build_server(store)) as session:
        return await fn(session)


def _payload(result: Any) -> Any:
    assert not result.isError, result.content[0].text
    return json.loads(result.content[0].text)


# -- data ---------------------------------------------------------------------------------------

def test_seed_is_thirty_tickets_numbered_from_1001_the_same_every_time():
    a, b = TicketStore(), TicketStore()
    first = a.search("", limit=50)
    assert len(SEED) == 30 and len(first) == 30
    assert sorted(t["ticket_id"] for t in first) == [f"TCK-{n}" for n in range(1001, 1031)]
    assert first == b.search("", limit=50)
    assert a.get("tck-1001")["title"] == "Laptop arrived with cracked screen"  # ids are case-insensitive


def test_tickets_name_real_orders_of_their_requesters_in_the_demo_sales_data():
    from agent_lib.emulator.warehouse import sales

    tables = sales.generate()
    email_of = {row[0]: row[2] for row in tables[sales.CUSTOMERS][1]}
    customer_of = {row[0]: row[1] for row in tables[sales.ORDERS][1]}
    with_orders = [t for t in TicketStore().search("", limit=50) if "order_id" in t]
    assert len(with_orders) >= 20
    for t in with_orders:
        assert t["order_id"] in customer_of, t["ticket_id"]
        assert email_of[customer_of[t["order_id"]]] == t["requester_email"], t["ticket_id"]


def test_search_ranks_title_matches_first_and_filters():
    store = TicketStore()
    hits = store.search("refund")
    assert hits[0]["title"].lower().startswith("refund")
    assert all("refund" in (t["title"] + t["description"]).lower() for t in hits)
    urgent_open = store.search("", status="open", priority="P1")
    assert urgent_open and all(t["status"] == "open" and t["priority"] == "P1" for t in urgent_open)
    assert [t["ticket_id"] for t in store.search("SO-12360")] == ["TCK-1030", "TCK-1001"]
    assert store.search("no such words anywhere") == []
    with pytest.raises(TicketError, match="status must be one of"):
        store.search("x", status="pending")


def test_create_validates_and_continues_the_numbering(tmp_path):
    store = TicketStore(tmp_path / "t.db")
    t = store.create("Mouse scroll wheel broken", "The wheel of my Wireless Mouse M2 skips.", "P4",
                     "hugo.smith@example.com", "hardware", "SO-12358")
    assert t["ticket_id"] == "TCK-1031" and t["status"] == "open" and t["order_id"] == "SO-12358"
    store.close()
    again = TicketStore(tmp_path / "t.db")  # a file keeps created tickets and is not re-seeded
    assert again.get("TCK-1031")["title"] == "Mouse scroll wheel broken"
    assert len(again.search("", limit=50)) == 31
    for args, message in [(("", "d", "P1", "a@b.co"), "title must not be empty"),
                          (("t", "d", "P9", "a@b.co"), "priority must be one of"),
                          (("t", "d", "P1", "not-an-email"), "requester_email must be an email"),
                          (("t", " ", "P1", "a@b.co"), "description must not be empty")]:
        with pytest.raises(TicketError, match=message):
            again.create(*args)


# -- tools through an MCP client ----------------------------------------------------------------

def test_tools_are_described_for_a_model():
    async def go(session: ClientSession) -> Any:
        init = session  # already initialized
        return (await init.list_tools()).tools

    tools = {t.name: t for t in run(_with_session(TicketStore(), go))}
    assert set(tools) == {"create_ticket", "search_tickets", "get_ticket"}
    create = tools["create_ticket"].inputSchema
    assert set(create["required"]) == {"title", "description", "requester_email"}
    assert create["properties"]["priority"]["enum"] == ["P1", "P2", "P3", "P4"]
    assert create["properties"]["priority"]["default"] == "P3"
    for t in tools.values():
        assert len(t.description) > 60 and not t.description.startswith(" ")
        assert all(p.get("description") for p in t.inputSchema["properties"].values()), t.name
    assert tools["search_tickets"].annotations.readOnlyHint is True
    assert tools["create_ticket"].annotations.readOnlyHint is False


def test_create_get_and_search_through_the_tools():
    async def go(session: ClientSession) -> Any:
        created = _payload(await session.call_tool("create_ticket", {
            "title": "Docking station flickers", "description": "USB-C Dock D7 output flickers on two "
            "monitors.", "priority": "P2", "requester_email": "chloe.green@example.com",
            "category": "hardware", "order_id": "SO-12494"}))
        got = _payload(await session.call_tool("get_ticket", {"ticket_id": created["ticket_id"]}))
        found = _payload(await session.call_tool("search_tickets", {"query": "dock flickers"}))
        filtered = _payload(await session.call_tool("search_tickets", {"query": "", "status": "closed"}))
        return created, got, found, filtered

    created, got, found, filtered = run(_with_session(TicketStore(), go))
    assert created["ticket_id"] == "TCK-1031" and got == created
    assert found["count"] == 1 and found["tickets"][0]["ticket_id"] == "TCK-1031"
    assert filtered["count"] == 2 and {t["status"] for t in filtered["tickets"]} == {"closed"}


def test_bad_calls_are_tool_errors_that_say_what_is_wrong():
    async def go(session: ClientSession) -> Any:
        return [await session.call_tool("get_ticket", {"ticket_id": "TCK-9999"}),
                await session.call_tool("get_ticket", {"ticket_id": "1001"}),
                await session.call_tool("create_ticket", {"title": "x", "description": "y",
                                                          "priority": "urgent",
                                                          "requester_email": "a@b.co"}),
                await session.call_tool("create_ticket", {"title": "x", "description": "y",
                                                          "requester_email": "nobody"})]

    missing, malformed, bad_priority, bad_email = run(_with_session(TicketStore(), go))
    assert missing.isError and "No ticket with id 'TCK-9999'" in missing.content[0].text
    assert malformed.isError and "must look like 'TCK-1001'" in malformed.content[0].text
    assert bad_priority.isError and "priority" in bad_priority.content[0].text
    assert bad_email.isError and "requester_email must be an email" in bad_email.content[0].text


# -- the standalone command ---------------------------------------------------------------------

def _launch(*args: str) -> tuple[subprocess.Popen[bytes], str]:
    proc = subprocess.Popen([sys.executable, "-m", "agent_lib.emulator.mcp.ticketing", *args],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None
    line = proc.stdout.readline().decode().strip()
    assert line.startswith(READY_PREFIX), (line, proc.stderr.read() if proc.poll() is not None else "")
    return proc, line[len(READY_PREFIX):]


async def _http_calls(url: str, calls: list[tuple[str, dict[str, Any]]]) -> list[Any]:
    async with streamable_http_client(url) as (read, write, _):
        async with ClientSession(read, write) as session:
            await session.initialize()
            return [await session.call_tool(name, args) for name, args in calls]


@pytest.mark.slow
def test_command_serves_streamable_http_keeps_its_db_and_stops_when_stdin_closes(tmp_path):
    db = tmp_path / "tickets.db"
    proc, url = _launch("--port", "0", "--db", str(db), "--exit-on-stdin-eof")
    try:
        assert url.startswith("http://127.0.0.1:") and url.endswith("/mcp")
        (created,) = run(_http_calls(url, [("create_ticket", {
            "title": "Router drops Wi-Fi", "description": "MeshNet Router AX3000 drops every hour.",
            "requester_email": "hugo.adams@example.com"})]))
        assert _payload(created)["ticket_id"] == "TCK-1031"
    finally:
        assert proc.stdin is not None
        proc.stdin.close()
        assert proc.wait(timeout=10) == 0

    proc, url = _launch("--port", "0", "--db", str(db), "--exit-on-stdin-eof")
    try:
        (got,) = run(_http_calls(url, [("get_ticket", {"ticket_id": "TCK-1031"})]))
        assert _payload(got)["title"] == "Router drops Wi-Fi"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.mark.slow
def test_command_names_a_port_it_cannot_bind():
    proc, url = _launch("--port", "0", "--exit-on-stdin-eof")
    try:
        port = url.split(":")[2].split("/")[0]
        busy = subprocess.run([sys.executable, "-m", "agent_lib.emulator.mcp.ticketing", "--port", port],
                              capture_output=True, text=True, timeout=30)
        assert busy.returncode == 2 and f"cannot listen on 127.0.0.1:{port}" in busy.stderr
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_search_falls_back_to_the_tickets_with_most_words_and_matches_word_forms():
    store = TicketStore()
    delays = store.search("shipping delays")
    assert any(t["title"] == "Shipment stuck in transit for a week" for t in delays)
    assert all("ship" in (t["title"] + t["description"] + t["category"]).lower() for t in delays)
    assert store.search("refunds") == store.search("refund")  # word forms
    assert store.search("no such words anywhere") == []
