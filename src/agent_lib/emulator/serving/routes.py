"""Serving endpoints over HTTP: the REST API, invocations, and the OpenAI-compatible paths.

    GET  /api/2.0/serving-endpoints                       list (endpoints the caller can see)
    GET  /api/2.0/serving-endpoints/{name}                ServingEndpointDetailed
    POST /serving-endpoints/{name}/invocations            chat `messages` or Responses `input`
    POST /serving-endpoints/chat/completions              OpenAI chat completions, model = endpoint
    POST /serving-endpoints/responses                     OpenAI Responses, model = endpoint
    GET|PUT|DELETE /_emulator/models/{endpoint}           which model serves an endpoint (admins)
    POST /_emulator/models/{endpoint}/assert-complete     400 if a scripted model has turns left

`DatabricksOpenAI(workspace_client=w)` uses base URL `{host}/serving-endpoints`, hence the last two
OpenAI paths. Streaming (`"stream": true`) answers Server-Sent Events in OpenAI's format.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from ..core.deps import Caller, State
from ..core.errors import invalid, not_found, permission_denied
from ..models import chat_wire, registry
from . import models, responses_wire

router = APIRouter()

_SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


# -- request bodies -----------------------------------------------------------------------------

class _Common(BaseModel):
    """Sampling and bookkeeping fields both APIs accept (and the emulator's models ignore)."""

    model_config = ConfigDict(extra="forbid")

    model: str | None = None
    stream: bool | None = None
    stream_options: dict[str, Any] | None = None
    temperature: float | None = Field(default=None, ge=0.0, le=2.0)
    top_p: float | None = Field(default=None, ge=0.0, le=1.0)
    tool_choice: Any = None
    parallel_tool_calls: bool | None = None
    user: str | None = None
    metadata: dict[str, Any] | None = None
    store: bool | None = None
    service_tier: str | None = None
    reasoning_effort: str | None = None
    top_logprobs: int | None = None
    prompt_cache_key: str | None = None
    safety_identifier: str | None = None
    client_request_id: str | None = None
    usage_context: dict[str, Any] | None = None
    databricks_options: dict[str, Any] | None = None


class ChatRequest(_Common):
    messages: list[Any]
    tools: list[Any] | None = None
    max_tokens: int | None = Field(default=None, ge=1)
    max_completion_tokens: int | None = Field(default=None, ge=1)
    n: int | None = Field(default=None, ge=1, le=5)
    stop: str | list[str] | None = None
    response_format: Any = None
    seed: int | None = None
    frequency_penalty: float | None = None
    presence_penalty: float | None = None
    logprobs: bool | None = None
    logit_bias: dict[str, Any] | None = None
    extra_params: dict[str, Any] | None = None
    verbosity: str | None = None
    modalities: list[str] | None = None
    prediction: Any = None
    web_search_options: Any = None
    thinking: Any = None
    top_k: int | None = None


class ResponsesRequest(_Common):
    input: Any
    instructions: str | None = None
    tools: list[Any] | None = None
    max_output_tokens: int | None = Field(default=None, ge=1)
    previous_response_id: str | None = None
    reasoning: dict[str, Any] | None = None
    text: dict[str, Any] | None = None
    truncation: str | None = None
    include: list[str] | None = None
    background: bool | None = None
    prompt: Any = None
    prompt_cache_retention: str | None = None
    conversation: Any = None
    max_tool_calls: int | None = None
    custom_inputs: dict[str, Any] | None = None
    context: dict[str, Any] | None = None


class InvocationRequest(ChatRequest, ResponsesRequest):
    """What `/invocations` takes: a chat request, a Responses request, or SDK query fields."""

    messages: list[Any] | None = None  # type: ignore[assignment]
    input: Any = None
    dataframe_records: list[Any] | None = None
    dataframe_split: dict[str, Any] | None = None
    instances: list[Any] | None = None
    inputs: Any = None


# -- shared -------------------------------------------------------------------------------------

def _check_n(n: int | None) -> None:
    if n is not None and n > 1:
        raise invalid("n > 1 is not supported by the emulated endpoints; ask for one choice")


def _chat(state: State, caller: Caller, name: str, body: ChatRequest) -> Any:
    _check_n(body.n)
    doc = models.get_endpoint(state, name)
    messages = chat_wire.parse_messages(body.messages)
    tools = chat_wire.parse_tools(body.tools)
    ans = models.answer(state, caller, name, messages, tools)
    headers = {"served-model-name": models.served_name(doc)}
    if body.stream:
        frames = chat_wire.sse_frames(list(chat_wire.completion_chunks(ans.turn, name, ans.usage)))
        return StreamingResponse(frames, media_type="text/event-stream", headers={**_SSE_HEADERS, **headers})
    return JSONResponse(chat_wire.completion(ans.turn, name, ans.usage), headers=headers)


def _responses(state: State, caller: Caller, name: str, body: ResponsesRequest) -> Any:
    if body.previous_response_id:
        raise invalid("previous_response_id is not supported: send the whole conversation in input")
    if body.background:
        raise invalid("background mode is not supported on serving endpoints; use the Supervisor API")
    doc = models.get_endpoint(state, name)
    messages = responses_wire.parse_input(body.input, body.instructions)
    tools = responses_wire.parse_tools(body.tools)
    ans = models.answer(state, caller, name, messages, tools)
    if ans.annotations:
        output = [responses_wire.message_item(ans.turn.text or "", annotations=ans.annotations)]
    else:
        output = responses_wire.turn_output(ans.turn)
    response = responses_wire.response_object(output, name, ans.usage, tools=responses_wire.tools_echo(tools),
                                              instructions=body.instructions)
    headers = {"served-model-name": models.served_name(doc)}
    if body.stream:
        frames = responses_wire.sse_frames(list(responses_wire.stream_events(response)))
        return StreamingResponse(frames, media_type="text/event-stream", headers={**_SSE_HEADERS, **headers})
    return JSONResponse(response, headers=headers)


def _require_model(body: _Common) -> str:
    if not body.model:
        raise invalid("Missing required field: model (the serving endpoint's name)")
    return body.model


# -- REST ---------------------------------------------------------------------------------------

@router.get("/api/2.0/serving-endpoints")
def list_endpoints(state: State, caller: Caller) -> dict[str, Any]:
    from ..core.identity import require_scope

    require_scope(caller, *models.SCOPES)
    visible = [models.summary(d) for d in models.all_endpoints(state) if models.level(state, caller, d)]
    return {"endpoints": visible} if visible else {}


@router.get("/api/2.0/serving-endpoints/{name}")
def get_endpoint(name: str, state: State, caller: Caller) -> dict[str, Any]:
    doc = models.get_endpoint(state, name)
    have = models.require_view(state, caller, doc)
    return models.describe(doc, have)


# -- querying -----------------------------------------------------------------------------------

@router.post("/serving-endpoints/chat/completions")
def chat_completions(body: ChatRequest, state: State, caller: Caller) -> Any:
    return _chat(state, caller, _require_model(body), body)


@router.post("/serving-endpoints/responses")
def responses(body: ResponsesRequest, state: State, caller: Caller) -> Any:
    return _responses(state, caller, _require_model(body), body)


@router.post("/serving-endpoints/{name}/invocations")
def invocations(name: str, body: InvocationRequest, state: State, caller: Caller) -> Any:
    doc = models.get_endpoint(state, name)
    sent = body.model_fields_set
    if body.messages is not None and body.input is not None:
        raise invalid("send either messages (chat) or input (Responses), not both")
    if body.messages is not None:
        stray = sorted(sent & (set(ResponsesRequest.model_fields) - set(ChatRequest.model_fields)))
        if stray:
            raise invalid(f"Unknown field for a chat request: {stray[0]}")
        fields = body.model_dump(include=sent & set(ChatRequest.model_fields))
        return _chat(state, caller, name, ChatRequest.model_validate(fields))
    if body.input is not None:
        stray = sorted(sent & (set(ChatRequest.model_fields) - set(ResponsesRequest.model_fields)))
        if stray:
            raise invalid(f"Unknown field for a Responses request: {stray[0]}")
        fields = body.model_dump(include=sent & set(ResponsesRequest.model_fields))
        return _responses(state, caller, name, ResponsesRequest.model_validate(fields))
    if sent & {"dataframe_records", "dataframe_split", "instances", "inputs"}:
        raise invalid(f"Endpoint '{name}' (task {doc['task']}) does not take dataframe or tensor inputs; "
                      "send messages (chat) or input (Responses)")
    raise invalid("Missing required field: messages (chat) or input (Responses)")


# -- emulator-only: the model behind an endpoint --------------------------------------------------

def _model_endpoint(state: State, caller: Caller, endpoint: str) -> dict[str, Any]:
    if not caller.admin:
        raise permission_denied("Only workspace admins can change the emulated workspace's models.")
    doc = state.store.get(models.KIND, endpoint)
    if doc is None:
        raise not_found(f"Endpoint with name '{endpoint}' does not exist.")
    if doc["kind"] != models.FOUNDATION:
        raise invalid(f"Endpoint '{endpoint}' is a {doc['kind']} endpoint; only foundation-model endpoints "
                      "take a model config")
    return doc


@router.get("/_emulator/models/{endpoint}")
def model_status(endpoint: str, state: State, caller: Caller) -> dict[str, Any]:
    _model_endpoint(state, caller, endpoint)
    return registry.status(state, endpoint)


@router.put("/_emulator/models/{endpoint}")
def set_model(endpoint: str, body: dict[str, Any], state: State, caller: Caller) -> dict[str, Any]:
    """Body: `{"kind": "scripted", "turns": [...]}`, `{"kind": "passthrough", ...}` or
    `{"kind": "reference"}`."""
    _model_endpoint(state, caller, endpoint)
    try:
        registry.set_config(state, endpoint, body)
    except ValueError as exc:
        raise invalid(str(exc)) from exc
    return registry.status(state, endpoint)


@router.delete("/_emulator/models/{endpoint}")
def reset_model(endpoint: str, state: State, caller: Caller) -> dict[str, Any]:
    _model_endpoint(state, caller, endpoint)
    registry.clear_config(state, endpoint)
    return registry.status(state, endpoint)


@router.post("/_emulator/models/{endpoint}/assert-complete")
def assert_complete(endpoint: str, state: State, caller: Caller) -> dict[str, Any]:
    from ..models.scripted import ScriptError

    _model_endpoint(state, caller, endpoint)
    model = registry.model_for(state, endpoint)
    check = getattr(model, "assert_complete", None)
    if check is not None:
        try:
            check()
        except ScriptError as exc:
            raise invalid(str(exc)) from exc
    return registry.status(state, endpoint)
