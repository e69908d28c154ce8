"""Genie through the real WorkspaceClient and raw HTTP: spaces, conversations, status, results, access."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import httpx
import pytest
from databricks.sdk.errors import NotFound, OperationFailed, PermissionDenied, ResourceConflict
from databricks.sdk.service.dashboards import MessageStatus

from agent_lib.emulator.core import demo_ids
from agent_lib.emulator.genie import conversations, demo, models

SPACE = demo_ids.GENIE_SPACE_ID
BASE = "/api/2.0/genie/spaces"


def _http(emulator, token: str | None = None) -> httpx.Client:
    headers = {"Authorization": f"Bearer {token or emulator.token}"} if token != "" else {}
    return httpx.Client(base_url=emulator.host, headers=headers, timeout=10)


@pytest.fixture
def alice_can_run(emulator) -> Iterator[None]:
    """alice@example.com holds CAN_RUN on the demo space for the test, granted as an admin would."""
    acls = emulator.state.acls
    before = acls.get("genie", SPACE)
    acls.grant("genie", SPACE, "user:alice@example.com", "CAN_RUN")
    yield
    acls.put("genie", SPACE, before)


@pytest.fixture
def own_space(emulator, admin) -> Iterator[str]:
    """A space of the test's own (same tables and examples as the demo), trashed afterwards."""
    serialized = json.dumps(demo.serialized_space())
    sp = admin.genie.create_space(demo_ids.WAREHOUSE_ID, serialized, title="Test space")
    yield sp.space_id
    try:
        admin.genie.trash_space(sp.space_id)
    except PermissionDenied:
        pass


def _message_url(space_id: str, started: dict) -> str:
    return f"{BASE}/{space_id}/conversations/{started['conversation_id']}/messages/{started['message_id']}"


def _text(message) -> str:
    return " ".join(a.text.content for a in message.attachments or [] if a.text)


def _query(message):
    return next(a for a in message.attachments if a.query)


def test_demo_space_is_listed_and_described(admin) -> None:
    spaces = admin.genie.list_spaces().spaces
    assert SPACE in [s.space_id for s in spaces]
    sp = admin.genie.get_space(SPACE)
    assert (sp.title, sp.warehouse_id) == (demo_ids.GENIE_SPACE_TITLE, demo_ids.WAREHOUSE_ID)
    assert sp.description and sp.serialized_space is None and sp.etag is None
    full = admin.genie.get_space(SPACE, include_serialized_space=True)
    serialized = json.loads(full.serialized_space)
    assert {t["identifier"] for t in serialized["data_sources"]["tables"]} >= {
        "main.sales.orders", "main.sales.customers", "main.sales.products", "main.sales.order_items"}
    assert 8 <= len(serialized["instructions"]["example_question_sqls"]) <= 12
    assert full.etag


def test_start_conversation_and_wait_answers_with_sql_and_result(admin) -> None:
    waiter = admin.genie.start_conversation(SPACE, "What was our revenue by region in 2025?")
    first = admin.genie.get_message(SPACE, waiter.response.conversation_id, waiter.response.message_id)
    assert first.status == MessageStatus.COMPLETED  # the first poll has the answer: a waiter never sleeps
    msg = waiter.result()
    assert msg.status == MessageStatus.COMPLETED and msg.space_id == SPACE
    q = _query(msg).query
    assert "main.sales.orders" in q.query and q.statement_id and q.query_result_metadata.row_count == 4
    assert q.title and q.description
    assert _text(msg).startswith("North America had the highest revenue in 2025")
    res = admin.genie.get_message_attachment_query_result(SPACE, msg.conversation_id, msg.message_id,
                                                          _query(msg).attachment_id).statement_response
    assert [c.name for c in res.manifest.schema.columns] == ["region", "revenue"]
    assert res.manifest.schema.columns[1].type_name.value == "DOUBLE"
    rows = res.result.data_array
    assert len(rows) == 4 and rows[0][0] == "North America" and isinstance(rows[0][1], str)
    assert float(rows[0][1]) > float(rows[1][1])
    # the deprecated message-level route answers the same
    old = admin.genie.get_message_query_result(SPACE, msg.conversation_id, msg.message_id).statement_response
    assert old.result.data_array == rows


def test_follow_up_message_in_the_same_conversation(admin) -> None:
    first = admin.genie.start_conversation_and_wait(SPACE, "revenue by region in 2025")
    follow = admin.genie.create_message_and_wait(SPACE, first.conversation_id, "what about 2024?")
    assert follow.status == MessageStatus.COMPLETED and follow.conversation_id == first.conversation_id
    assert "'2024-01-01'" in _query(follow).query.query and "region" in _query(follow).query.query
    assert "in 2024" in _text(follow)
    listed = admin.genie.list_conversation_messages(SPACE, first.conversation_id).messages
    assert [m.message_id for m in listed] == [first.message_id, follow.message_id]
    convs = admin.genie.list_conversations(SPACE).conversations
    assert first.conversation_id in [c.conversation_id for c in convs]


def test_order_lookup(admin) -> None:
    msg = admin.genie.start_conversation_and_wait(SPACE, "where is order SO-10043?")
    assert "'SO-10043'" in _query(msg).query.query
    assert "Order SO-10043" in _text(msg)


def test_unmappable_question_completes_with_suggestions(admin) -> None:
    msg = admin.genie.start_conversation_and_wait(SPACE, "What's the weather in Berlin?")
    assert msg.status == MessageStatus.COMPLETED
    assert not any(a.query for a in msg.attachments)
    assert "'weather'" in _text(msg)
    suggested = next(a.suggested_questions for a in msg.attachments if a.suggested_questions)
    assert suggested.questions[0] == demo.EXAMPLES[0][0]


def test_status_progresses_one_stage_per_poll(emulator, own_space) -> None:
    models.set_processing_time(emulator.state, own_space, 600_000)
    with _http(emulator) as http:
        started = http.post(f"{BASE}/{own_space}/start-conversation",
                            json={"content": "top 5 products by revenue"}).json()
        assert started["message"]["status"] == "SUBMITTED" and "attachments" not in started["message"]
        assert started["conversation"]["title"] == "top 5 products by revenue"
        url = _message_url(own_space, started)
        seen = [http.get(url).json() for _ in range(5)]
    assert [m["status"] for m in seen] == ["FILTERING_CONTEXT", "ASKING_AI", "EXECUTING_QUERY", "COMPLETED",
                                           "COMPLETED"]
    executing = seen[2]["attachments"][0]["query"]
    assert "query" in executing and "query_result_metadata" not in executing
    assert seen[3]["attachments"][0]["query"]["query_result_metadata"]["row_count"] == 5


def test_status_progresses_with_elapsed_time(emulator, own_space) -> None:
    models.set_processing_time(emulator.state, own_space, 200)
    with _http(emulator) as http:
        started = http.post(f"{BASE}/{own_space}/start-conversation", json={"content": "revenue in 2025"})
        url = _message_url(own_space, started.json())
        time.sleep(0.25)
        assert http.get(url).json()["status"] == "COMPLETED"


def test_query_result_before_completion_is_refused(emulator, own_space) -> None:
    models.set_processing_time(emulator.state, own_space, 600_000)
    with _http(emulator) as http:
        started = http.post(f"{BASE}/{own_space}/start-conversation", json={"content": "revenue in 2025"})
        r = http.get(_message_url(own_space, started.json()) + "/query-result")
    assert r.status_code == 400 and "not available" in r.json()["message"]


def test_missing_space_is_403_not_404(emulator, admin) -> None:
    with _http(emulator) as http:
        missing = f"{BASE}/01f0000000000000000000000000dead"
        for r in (http.get(missing), http.post(f"{missing}/start-conversation", json={"content": "hi"})):
            assert r.status_code == 403 and r.json()["error_code"] == "PERMISSION_DENIED"
    with pytest.raises(PermissionDenied):
        admin.genie.get_space("01f0000000000000000000000000dead")


def test_unauthenticated_is_401(emulator) -> None:
    with _http(emulator, token="") as http:
        r = http.get(f"{BASE}/{SPACE}")
    assert r.status_code == 401 and r.json()["error_code"] == "UNAUTHENTICATED"
    with _http(emulator, token="dapi-not-a-token") as http:
        assert http.post(f"{BASE}/{SPACE}/start-conversation", json={"content": "x"}).status_code == 401


def test_bad_input_names_the_field(emulator) -> None:
    with _http(emulator) as http:
        empty = http.post(f"{BASE}/{SPACE}/start-conversation", json={"content": "  "})
        missing = http.post(f"{BASE}/{SPACE}/start-conversation", json={})
        bad_space = http.post(BASE, json={"warehouse_id": "w", "serialized_space": "{not json"})
    assert empty.status_code == 400 and "content" in empty.json()["message"]
    assert empty.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    assert missing.status_code == 400 and "content" in missing.json()["message"]
    assert bad_space.status_code == 400 and "serialized_space" in bad_space.json()["message"]


def test_users_need_can_run(emulator, alice) -> None:
    assert SPACE not in [s.space_id for s in alice.genie.list_spaces().spaces or []]
    with pytest.raises(PermissionDenied):
        alice.genie.start_conversation_and_wait(SPACE, "revenue in 2025")


def test_can_run_lets_a_user_ask_but_not_read_others_conversations(admin, alice, alice_can_run) -> None:
    mine = alice.genie.start_conversation_and_wait(SPACE, "how many orders in 2025?")
    assert mine.status == MessageStatus.COMPLETED and "1,374" in _text(mine)
    assert SPACE in [s.space_id for s in alice.genie.list_spaces().spaces]
    theirs = admin.genie.start_conversation_and_wait(SPACE, "revenue in 2024")
    with pytest.raises(PermissionDenied):
        alice.genie.get_message(SPACE, theirs.conversation_id, theirs.message_id)
    listed = [c.conversation_id for c in alice.genie.list_conversations(SPACE).conversations]
    assert mine.conversation_id in listed and theirs.conversation_id not in listed
    with pytest.raises(PermissionDenied):  # everyone's conversations need CAN_MANAGE
        alice.genie.list_conversations(SPACE, include_all=True)
    with pytest.raises(PermissionDenied):  # the serialized space needs CAN_EDIT
        alice.genie.get_space(SPACE, include_serialized_space=True)


def test_grant_through_the_permissions_api(emulator, admin, alice) -> None:
    from databricks.sdk.service.iam import AccessControlRequest, PermissionLevel

    before = emulator.state.acls.get("genie", SPACE)
    try:
        admin.permissions.update("genie", SPACE, access_control_list=[
            AccessControlRequest(user_name="alice@example.com", permission_level=PermissionLevel.CAN_RUN)])
        msg = alice.genie.start_conversation_and_wait(SPACE, "revenue in 2025")
        assert msg.status == MessageStatus.COMPLETED
    finally:
        emulator.state.acls.put("genie", SPACE, before)


def test_narrowed_tokens_need_a_genie_scope(emulator) -> None:
    for scopes, status in ((["sql"], 403), (["dashboards.genie"], 200), (["genie"], 200)):
        token = emulator.token_for("admin@example.com", scopes=scopes)
        with _http(emulator, token) as http:
            assert http.get(f"{BASE}/{SPACE}").status_code == status, scopes


def test_failed_sql_is_a_failed_message(emulator, admin) -> None:
    serialized = {"version": 2, "data_sources": {"tables": [{"identifier": "main.sales.orders"}]},
                  "instructions": {"example_question_sqls": [
                      {"id": "1", "question": ["What is broken?"],
                       "sql": ["SELECT nope FROM main.sales.orders"]}]}}
    sp = admin.genie.create_space(demo_ids.WAREHOUSE_ID, json.dumps(serialized), title="Broken")
    try:
        with pytest.raises(OperationFailed):
            admin.genie.start_conversation_and_wait(sp.space_id, "what is broken?")
        conv = admin.genie.list_conversations(sp.space_id).conversations[0]
        msg = admin.genie.list_conversation_messages(sp.space_id, conv.conversation_id).messages[0]
        assert msg.status == MessageStatus.FAILED and msg.error.type.value == "SQL_EXECUTION_EXCEPTION"
        assert "nope" in msg.error.error
    finally:
        admin.genie.trash_space(sp.space_id)


def test_space_lifecycle(admin) -> None:
    sp = admin.genie.create_space(demo_ids.WAREHOUSE_ID, json.dumps(demo.serialized_space()), title="Mine",
                                  description="d", parent_path="/Workspace/Users/admin@example.com")
    assert sp.parent_path == "/Users/admin@example.com" and sp.etag == "1"
    updated = admin.genie.update_space(sp.space_id, title="Renamed", etag="1")
    assert updated.title == "Renamed" and updated.etag == "2"
    with pytest.raises(ResourceConflict):
        admin.genie.update_space(sp.space_id, title="Again", etag="1")
    admin.genie.trash_space(sp.space_id)
    with pytest.raises(PermissionDenied):
        admin.genie.get_space(sp.space_id)


def test_conversation_delete(admin) -> None:
    msg = admin.genie.start_conversation_and_wait(SPACE, "units sold in 2025")
    admin.genie.delete_conversation(SPACE, msg.conversation_id)
    with pytest.raises(NotFound):
        admin.genie.get_message(SPACE, msg.conversation_id, msg.message_id)


def test_ask_directly(emulator) -> None:
    state = emulator.state
    admin = state.identities.resolve(emulator.token)
    answer = conversations.ask(state, admin, SPACE, "top 3 customers by revenue")
    assert answer["status"] == "COMPLETED" and "LIMIT 3" in answer["sql"]
    assert answer["statement_response"]["result"]["row_count"] == 3
    assert answer["text"].endswith(".")
    follow = conversations.ask(state, admin, SPACE, "and in EMEA?", answer["conversation_id"])
    assert "o.region = 'EMEA'" in follow["sql"] and "LIMIT 3" in follow["sql"]
    declined = conversations.ask(state, admin, SPACE, "tell me a joke")
    assert declined["sql"] is None and declined["suggested_questions"]
    alice = state.identities.resolve(emulator.token_for("alice@example.com"))
    with pytest.raises(Exception, match="CAN_RUN"):
        conversations.ask(state, alice, SPACE, "revenue")


def test_conversations_survive_a_restart(tmp_path) -> None:
    from agent_lib.emulator import start

    with start(tmp_path) as ws:
        w = ws.client()
        msg = w.genie.start_conversation_and_wait(SPACE, "monthly revenue in 2025")
        attachment = _query(msg).attachment_id
    with start(tmp_path) as ws:
        w = ws.client()
        again = w.genie.execute_message_attachment_query(SPACE, msg.conversation_id, msg.message_id, attachment)
        assert len(again.statement_response.result.data_array) == 12
        assert w.genie.get_message(SPACE, msg.conversation_id, msg.message_id).status == MessageStatus.COMPLETED
