"""Knowledge Assistants: the API through the SDK, and grounded, cited answers through the
assistant's serving endpoint (DatabricksOpenAI, the SDK and raw HTTP)."""

from __future__ import annotations

import uuid
import warnings
from collections.abc import Iterator

import httpx
import pytest
from databricks.sdk.errors import NotFound, PermissionDenied
from databricks.sdk.service.knowledgeassistants import (
    KnowledgeAssistant,
    KnowledgeAssistantAccessControlRequest,
    KnowledgeAssistantPermissionLevel,
    KnowledgeAssistantState,
)
from databricks.sdk.service.serving import (
    ChatMessage,
    ChatMessageRole,
    ServingEndpointAccessControlRequest,
    ServingEndpointPermissionLevel,
)

from agent_lib.emulator.core import demo_ids
from agent_lib.emulator.knowledge import models as knowledge
from agent_lib.emulator.knowledge.ranking import NOT_FOUND

KA_ID = demo_ids.KNOWLEDGE_ASSISTANT_ID
KA_ENDPOINT = demo_ids.KNOWLEDGE_ASSISTANT_ENDPOINT


@pytest.fixture(scope="module")
def DatabricksOpenAI():  # noqa: N802 - the class, imported once (it takes seconds)
    from databricks_openai import DatabricksOpenAI

    return DatabricksOpenAI


@pytest.fixture
def oai(DatabricksOpenAI, admin) -> Iterator[object]:
    client = DatabricksOpenAI(workspace_client=admin, max_retries=0)
    yield client
    client.close()


def ask(oai, question: str) -> object:
    return oai.responses.create(model=KA_ENDPOINT, input=[{"role": "user", "content": question}])


# -- the API ----------------------------------------------------------------------------------------

def test_get_and_list_through_the_sdk(admin):
    ka = admin.knowledge_assistants.get_knowledge_assistant(f"knowledge-assistants/{KA_ID}")
    assert ka.name == f"knowledge-assistants/{KA_ID}" and ka.id == KA_ID
    assert ka.endpoint_name == KA_ENDPOINT and ka.state == KnowledgeAssistantState.ACTIVE
    assert ka.display_name and ka.description and ka.instructions and ka.experiment_id
    assert ka.create_time is not None
    listed = list(admin.knowledge_assistants.list_knowledge_assistants())
    assert KA_ID in {k.id for k in listed}
    assert all(k.state is None for k in listed)  # not returned in List responses
    (source,) = admin.knowledge_assistants.list_knowledge_sources(f"knowledge-assistants/{KA_ID}")
    assert source.source_type == "files" and source.files.path == knowledge.POLICIES_VOLUME
    assert source.name.startswith(f"knowledge-assistants/{KA_ID}/knowledge-sources/")


def test_missing_assistant_is_not_found(admin):
    with pytest.raises(NotFound):
        admin.knowledge_assistants.get_knowledge_assistant(f"knowledge-assistants/{uuid.uuid4()}")


def test_create_update_delete_an_assistant(admin, alice):
    name = f"Test KA {uuid.uuid4().hex[:6]}"
    ka = alice.knowledge_assistants.create_knowledge_assistant(
        KnowledgeAssistant(display_name=name, description="An empty assistant"))
    try:
        assert ka.endpoint_name == f"ka-{ka.id.replace('-', '')[:8]}-endpoint"
        assert ka.creator == "alice@example.com"
        ep = alice.serving_endpoints.get(ka.endpoint_name)  # the creator owns the endpoint too
        assert ep.task == "agent/v1/responses" and ep.permission_level.value == "CAN_MANAGE"
        res = alice.api_client.do("POST", f"/serving-endpoints/{ka.endpoint_name}/invocations",
                                  body={"input": "How long is the laptop warranty?"})
        assert res["output"][0]["content"][0]["text"] == NOT_FOUND  # no knowledge sources yet
        from google.protobuf.field_mask_pb2 import FieldMask

        updated = alice.knowledge_assistants.update_knowledge_assistant(
            ka.name, KnowledgeAssistant(display_name=name, description="Now described"),
            FieldMask(paths=["description"]))
        assert updated.description == "Now described"
    finally:
        alice.knowledge_assistants.delete_knowledge_assistant(ka.name)
    with pytest.raises(NotFound):
        admin.serving_endpoints.get(ka.endpoint_name)


def test_an_added_policies_source_makes_a_new_assistant_answer(admin):
    ka = admin.knowledge_assistants.create_knowledge_assistant(
        KnowledgeAssistant(display_name=f"Policies copy {uuid.uuid4().hex[:6]}", description="d"))
    try:
        from databricks.sdk.service.knowledgeassistants import FilesSpec, KnowledgeSource

        admin.knowledge_assistants.create_knowledge_source(ka.name, KnowledgeSource(
            display_name="Policies", description="handbook", source_type="files",
            files=FilesSpec(path=knowledge.POLICIES_VOLUME)))
        res = admin.api_client.do("POST", f"/serving-endpoints/{ka.endpoint_name}/invocations",
                                  body={"input": "How many days do I have to return a laptop?"})
        assert "15 days" in res["output"][0]["content"][0]["text"]
    finally:
        admin.knowledge_assistants.delete_knowledge_assistant(ka.name)


def test_bad_create_requests(emulator):
    h = {"Authorization": f"Bearer {emulator.token}"}
    r = httpx.post(f"{emulator.host}/api/2.1/knowledge-assistants", json={"description": "x"}, headers=h)
    assert r.status_code == 400 and "display_name" in r.json()["message"]
    r = httpx.post(f"{emulator.host}/api/2.1/knowledge-assistants",
                   json={"display_name": "x", "description": "y", "colour": "red"}, headers=h)
    assert r.status_code == 400 and "colour" in r.json()["message"]


# -- answers ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("question, facts, doc", [
    ("How many days do I have to return a laptop?", ["15 days"], "Returns and Exchanges Policy"),
    ("What is the resolution target for a P2 ticket?", ["3 days"], "Customer Support Service Levels"),
    ("Which carriers do you use in APAC?", ["DHL", "FedEx", "UPS"], "Shipping Policy"),
    ("What is the minimum password length?", ["14 characters"], "Information Security and Password Policy"),
    ("What is the nightly hotel limit in London?", ["$350"], "Employee Travel Policy"),
    ("How long do we keep support tickets?", ["3 years"], "Data Retention Policy"),
    ("How long is the warranty on monitors?", ["3 years"], "Warranty Policy"),
])
def test_grounded_answers_quote_the_number_and_cite_the_section(oai, question, facts, doc):
    res = ask(oai, question)
    text = res.output_text
    for fact in facts:
        assert fact in text, text
    assert doc in text and "Sources:" in text and "[1]" in text
    (message,) = res.output
    annotations = message.content[0].annotations
    assert annotations and annotations[0].type == "url_citation"
    assert annotations[0].url.startswith(knowledge.POLICIES_VOLUME + "/")
    assert text[annotations[0].start_index:annotations[0].end_index] == "[1]"
    assert res.usage.output_tokens > 0


@pytest.mark.parametrize("question", ["What is the capital of France?", "How do I bake sourdough bread?",
                                      "What is the company policy on pets in the office?"])
def test_unrelated_questions_are_declined(oai, question):
    res = ask(oai, question)
    assert res.output_text == NOT_FOUND
    assert res.output[0].content[0].annotations == []


def test_ka_streams_through_databricks_openai(oai):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.simplefilter("ignore", ResourceWarning)
        events = list(oai.responses.create(model=KA_ENDPOINT, input="How quickly will I get my refund?",
                                           stream=True))
        for e in events:
            type(e).model_validate(e.model_dump(exclude_none=True))
    kinds = [e.type for e in events]
    assert kinds[0] == "response.created" and kinds[-1] == "response.completed"
    assert "response.output_text.annotation.added" in kinds
    text = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    assert "5 business days" in text and text == events[-1].response.output_text


def test_sdk_query_with_chat_messages_and_raw_invocations(admin):
    question = "What is the meal per diem for international travel?"
    res = admin.serving_endpoints.query(KA_ENDPOINT, messages=[ChatMessage(role=ChatMessageRole.USER,
                                                                           content=question)])
    assert "$90" in res.choices[0].message.content
    raw = admin.api_client.do("POST", f"/serving-endpoints/{KA_ENDPOINT}/invocations",
                              body={"input": [{"role": "user", "content": "Can I accept a vendor gift?"}]})
    assert raw["object"] == "response" and "$100" in raw["output"][0]["content"][0]["text"]


def test_follow_up_answers_the_last_user_message(oai):
    res = oai.responses.create(model=KA_ENDPOINT, input=[
        {"role": "user", "content": "How many days do I have to return a laptop?"},
        {"role": "assistant", "content": "15 days."},
        {"role": "user", "content": "What approval do I need for a $10,000 purchase?"}])
    assert "director approval" in res.output_text and "Procurement Policy" in res.output_text


def test_ka_answer_for_other_services(emulator):
    state = emulator.state
    admin = state.identities.resolve(emulator.token)
    alice = state.identities.resolve(emulator.token_for("alice@example.com"))
    answer = knowledge.ka_answer(state, admin, KA_ID, "How many remote days per week can I work?")
    assert answer.found and "3 days per week" in answer.text
    top = answer.citations[0]
    assert (top.title, top.section) == ("Remote Work Policy", "Hybrid schedule")
    assert not knowledge.ka_answer(state, admin, KA_ID, "Who won the world cup in 2022?").found
    from agent_lib.emulator.core.errors import ApiError

    with pytest.raises(ApiError) as err:
        knowledge.ka_answer(state, alice, KA_ID, "anything")
    assert err.value.status == 403


# -- permissions ------------------------------------------------------------------------------------

def test_alice_needs_can_query_on_the_endpoint(DatabricksOpenAI, admin, alice):
    import openai

    ep_id = admin.serving_endpoints.get(KA_ENDPOINT).id
    as_alice = DatabricksOpenAI(workspace_client=alice, max_retries=0)
    question = "How many days do I have to return a laptop?"
    with pytest.raises(openai.PermissionDeniedError, match="CAN_QUERY"):
        ask(as_alice, question)
    with pytest.raises(PermissionDenied):
        alice.knowledge_assistants.get_knowledge_assistant(f"knowledge-assistants/{KA_ID}")
    grant = ServingEndpointAccessControlRequest(user_name="alice@example.com",
                                                permission_level=ServingEndpointPermissionLevel.CAN_QUERY)
    admin.serving_endpoints.update_permissions(ep_id, access_control_list=[grant])
    try:
        assert "15 days" in ask(as_alice, question).output_text
        assert alice.knowledge_assistants.get_knowledge_assistant(f"knowledge-assistants/{KA_ID}").id == KA_ID
    finally:
        admin.serving_endpoints.set_permissions(ep_id, access_control_list=[])
        as_alice.close()
    with pytest.raises(openai.PermissionDeniedError):
        ask(DatabricksOpenAI(workspace_client=alice, max_retries=0), question)


def test_can_query_on_the_assistant_also_opens_its_endpoint(DatabricksOpenAI, emulator, admin):
    bob = emulator.client(emulator.token_for("bob@example.com"))
    as_bob = DatabricksOpenAI(workspace_client=bob, max_retries=0)
    import openai

    with pytest.raises(openai.PermissionDeniedError):
        ask(as_bob, "What is the restocking fee for an opened monitor?")
    grant = KnowledgeAssistantAccessControlRequest(
        user_name="bob@example.com", permission_level=KnowledgeAssistantPermissionLevel.CAN_QUERY)
    admin.knowledge_assistants.update_permissions(KA_ID, access_control_list=[grant])
    try:
        assert "15%" in ask(as_bob, "What is the restocking fee for an opened monitor?").output_text
        assert KA_ENDPOINT in {e.name for e in bob.serving_endpoints.list()}
    finally:
        admin.knowledge_assistants.set_permissions(KA_ID, access_control_list=[])
        as_bob.close()


def test_knowledge_routes_respect_narrowed_tokens(emulator):
    token = emulator.token_for("admin@example.com", scopes=["genie"])
    r = httpx.get(f"{emulator.host}/api/2.1/knowledge-assistants/{KA_ID}",
                  headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 403 and "serving.serving-endpoints" in r.json()["message"]
    serving_only = emulator.token_for("admin@example.com", scopes=["model-serving"])
    r = httpx.post(f"{emulator.host}/serving-endpoints/{KA_ENDPOINT}/invocations",
                   headers={"Authorization": f"Bearer {serving_only}"},
                   json={"input": "How long is the laptop warranty?"})
    assert r.status_code == 200 and "2 years" in r.json()["output"][0]["content"][0]["text"]
