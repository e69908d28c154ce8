"""Generated malformed and hostile requests against the App's `POST /invocations` and `/responses`:
no 5xx, no hang, every error JSON naming the problem, every 200 stream well-formed and ended.

The App serves no request schema (AgentServer reads the raw body), so the requests are generated
with hypothesis: hostile JSON inside otherwise good requests (lone surrogates, nesting past 64,
integers beyond 64 bits, 1e999, NaN), Responses requests with garbled or wrongly typed fields,
raw bodies that are not JSON under wrong content types, and oversized bodies with and without a
Content-Length. A bounded run is part of the suite; `bench/fuzz_app.py` runs the same test with
`AGENT_LIB_APP_FUZZ_EXAMPLES=1000` and reports the figures. The App runs the demo's reference model,
so the requests that pass the guard are real agent turns (broken histories among them: a tool
output without its call, an approval for no request, which the engine refuses with a 400).
"""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

EXAMPLES = int(os.environ.get("AGENT_LIB_APP_FUZZ_EXAMPLES", "12"))  # per strategy and endpoint
REPORT = os.environ.get("AGENT_LIB_APP_FUZZ_REPORT")  # where bench/fuzz_app.py collects the counts
PATHS = ("/invocations", "/responses")
MAX_BODY = 20_000
QUESTION = "What is the status of order SO-10042?"

pytestmark = [pytest.mark.slow, pytest.mark.timeout(0 if EXAMPLES > 100 else 1800)]

_counts: Counter[str] = Counter()
_statuses: Counter[str] = Counter()


@pytest.fixture(scope="module", autouse=True)
def _report():
    yield
    if REPORT:
        Path(REPORT).write_text(json.dumps({"cases": dict(_counts), "statuses": dict(_statuses)}, indent=1))


@pytest.fixture
def fuzz_app(serve_app, spec_file, app_kit):
    return serve_app(spec_file([app_kit.ORDER_TOOL], model="databricks-claude-sonnet-4-5"),
                     max_body_bytes=MAX_BODY, experiment_name=None)


def _settings(examples: int = EXAMPLES):
    return settings(max_examples=examples, deadline=None, database=None, derandomize=EXAMPLES <= 20,
                    suppress_health_check=list(HealthCheck))


def _reason(r: httpx.Response) -> str:
    """The problem an error response names ("" when it names none, or is not JSON)."""
    try:
        body = r.json()
    except ValueError:
        return ""
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        return str(error.get("message") or "")
    return str(body.get("detail") or "") if isinstance(body, dict) else ""


def _check(r: httpx.Response, stream: bool, where: str) -> None:
    from agent_lib.app.load import check_stream, sse_data

    _statuses[str(r.status_code)] += 1
    assert r.status_code < 500, (where, r.status_code, r.text[:300])
    if r.status_code >= 400:
        assert r.headers.get("content-type", "").startswith("application/json"), (where, r.text[:300])
        assert _reason(r).strip(), (where, r.status_code, r.text[:300])
    elif stream:
        _, problem = check_stream(sse_data(r.text))
        # a turn the engine refuses mid-way (a broken history, say) ends with an error event that says why
        assert problem == "" or (problem.startswith("an error event: ") and len(problem) > 20), (where, problem)
    else:
        assert r.json()["object"] == "response" and r.json()["output"], (where, r.text[:300])


def _post(http: httpx.Client, path: str, content: bytes, content_type: str | None = "application/json",
          **kw) -> httpx.Response:
    headers = {"content-type": content_type} if content_type else {}
    return http.post(path, content=content, headers=headers, **kw)


# -- hostile JSON inside a good request ------------------------------------------------------------
_ATTACKS = {
    "surrogate": (st.builds(lambda a, code, b: json.dumps(a)[:-1] + f"\\u{code:04x}" + json.dumps(b)[1:],
                            st.text(max_size=10), st.integers(0xD800, 0xDFFF), st.text(max_size=10)), "surrogate"),
    "deep": (st.integers(65, 9_000).map(lambda n: "[" * n + "]" * n), "nested deeper"),  # under MAX_BODY
    "huge int": (st.integers(2 ** 63, 10 ** 40).map(str) | st.integers(-(10 ** 40), -(2 ** 63) - 1).map(str),
                 "64 bits"),
    "huge float": (st.sampled_from(["NaN", "Infinity", "-Infinity"])
                   | st.builds(lambda sign, digits, exp: f"{sign}{digits}e{exp}", st.sampled_from(["", "-"]),
                               st.integers(1, 999), st.integers(309, 99_999)), ""),
}
_PLACES = [  # where the attack goes: each a request with one placeholder
    '{"input": __X__}',
    '{"input": [{"role": "user", "content": __X__}]}',
    '{"input": [{"role": "user", "content": [{"type": "input_text", "text": __X__}]}]}',
    f'{{"input": "{QUESTION}", "temperature": __X__}}',
    f'{{"input": "{QUESTION}", "max_output_tokens": __X__}}',
    f'{{"input": "{QUESTION}", "custom_inputs": {{"k": __X__}}}}',
    f'{{"input": "{QUESTION}", "stream": true, "metadata": {{"m": __X__}}}}',
    f'{{"input": "{QUESTION}", "__X__": 1}}',
]


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("kind", list(_ATTACKS))
def test_hostile_json_is_refused_naming_where(fuzz_app, path, kind):
    values, needle = _ATTACKS[kind]
    with httpx.Client(base_url=fuzz_app, timeout=60) as http:

        @given(value=values, place=st.sampled_from(_PLACES))
        @_settings()
        def attack(value, place):
            if place.endswith('"__X__": 1}'):  # as a key: only a string can be one
                if not value.startswith('"'):
                    return
                body = place.replace('"__X__"', value)
            else:
                body = place.replace("__X__", value)
            _counts[f"{path} hostile {kind}"] += 1
            r = _post(http, path, body.encode())
            assert r.status_code == 400, (kind, body[:200], r.status_code, r.text[:300])
            message = r.json()["error"]["message"]
            assert needle in message or "not a JSON number" in message or "64-bit float" in message, message
            assert r.json()["error"]["param"]

        attack()


# -- garbled Responses requests --------------------------------------------------------------------
_ANY = st.recursive(st.none() | st.booleans() | st.integers(-(2 ** 63), 2 ** 63 - 1)
                    | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=12),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
                    max_leaves=10)
_ROLES = st.sampled_from(["user", "assistant", "system", "developer", "tool", "", "USER"]) | st.text(max_size=6)
_ITEM_TYPES = st.sampled_from(["message", "function_call", "function_call_output", "mcp_approval_request",
                               "mcp_approval_response", "reasoning", "web_search_call", "nonsense"])
_MESSAGE = st.fixed_dictionaries({"role": _ROLES}, optional={
    "content": st.text(max_size=40) | st.just(QUESTION) | _ANY
    | st.lists(st.fixed_dictionaries({"type": st.sampled_from(["input_text", "output_text", "input_image", "x"])},
                                     optional={"text": st.text(max_size=20) | _ANY}), max_size=3),
    "type": st.just("message") | _ANY})
_ITEM = st.fixed_dictionaries({"type": _ITEM_TYPES}, optional={
    "call_id": st.text(max_size=8) | _ANY, "name": st.sampled_from(["main__sales__get_order_status", "nope"]) | _ANY,
    "arguments": st.sampled_from(['{"order_id": "SO-10042"}', "{", "[]", ""]) | _ANY,
    "output": st.text(max_size=20) | _ANY, "id": st.text(max_size=8), "approve": _ANY,
    "approval_request_id": st.text(max_size=8) | _ANY, "server_label": _ANY, "status": _ANY})
_IDS = st.sampled_from(["c1", "c2", "a1", ""])
_WELL_FORMED = (  # items the request schema accepts, in histories the engine must judge (400 or an answer)
    st.fixed_dictionaries({"type": st.just("function_call"), "call_id": _IDS, "id": st.just("fc_1"),
                           "name": st.sampled_from(["main__sales__get_order_status", "unknown_tool"]),
                           "arguments": st.sampled_from(['{"order_id": "SO-10042"}', "{}", "{", "[1]"])})
    | st.fixed_dictionaries({"type": st.just("function_call_output"), "call_id": _IDS,
                             "output": st.text(max_size=20)})
    | st.fixed_dictionaries({"type": st.just("mcp_approval_request"), "id": _IDS, "name": st.just("create_ticket"),
                             "arguments": st.just("{}"), "server_label": st.sampled_from(["ticketing", "x"])})
    | st.fixed_dictionaries({"type": st.just("mcp_approval_response"), "approval_request_id": _IDS,
                             "approve": st.booleans()})
    | st.fixed_dictionaries({"role": st.sampled_from(["user", "assistant", "system", "developer"]),
                             "content": st.just(QUESTION) | st.text(max_size=20)}))
_INPUT = (st.just(QUESTION) | st.text(max_size=30) | _ANY
          | st.lists(_WELL_FORMED, min_size=1, max_size=4)
          | st.lists(_MESSAGE | _ITEM | _ANY, max_size=4)
          | st.builds(lambda extra: [{"role": "user", "content": QUESTION}, *extra], st.lists(_MESSAGE | _ITEM, max_size=2)))
_FIELDS = ["stream", "temperature", "top_p", "max_output_tokens", "tools", "tool_choice", "metadata",
           "custom_inputs", "context", "user", "store", "parallel_tool_calls", "truncation", "reasoning", "text",
           "background", "model", "previous_response_id"]
_REQUEST = st.builds(lambda base, extra, stream: {**base, **extra, **stream},
                     st.fixed_dictionaries({}, optional={"input": _INPUT}),
                     st.dictionaries(st.sampled_from(_FIELDS) | st.text(max_size=6), _ANY, max_size=3),
                     st.fixed_dictionaries({}, optional={"stream": st.booleans() | _ANY}))


@pytest.mark.parametrize("path", PATHS)
def test_garbled_requests_get_a_4xx_naming_the_problem_or_a_proper_answer(fuzz_app, path):
    with httpx.Client(base_url=fuzz_app, timeout=120) as http:

        @given(request=_REQUEST)
        @_settings()
        def garbled(request):
            _counts[f"{path} garbled"] += 1
            r = _post(http, path, json.dumps(request).encode())
            _check(r, request.get("stream") is True, json.dumps(request)[:300])

        garbled()


# -- bodies that are not JSON, under any content type; oversized bodies ----------------------------
_CONTENT_TYPES = st.sampled_from([None, "application/json", "text/plain", "application/x-www-form-urlencoded",
                                  "multipart/form-data; boundary=x", "application/xml", "application/json; charset=latin-1",
                                  "image/png", ""])
_RAW = (st.binary(max_size=200)
        | st.sampled_from(['{"input": [', '{"input": "hi"', "input=hi", "<input>hi</input>", "null", "[]", '"hi"',
                           "42", '{"input": "hi"}}', '{"input": "hi", }', "\ufeff{}", '{"input": "\\x41"}'])
        .map(str.encode)
        | st.builds(lambda q, cut: json.dumps({"input": q}).encode()[:cut], st.text(max_size=30), st.integers(0, 40)))


@pytest.mark.parametrize("path", PATHS)
def test_bodies_that_are_not_json_get_a_json_reason(fuzz_app, path):
    with httpx.Client(base_url=fuzz_app, timeout=120) as http:

        @given(body=_RAW, content_type=_CONTENT_TYPES)
        @_settings()
        def raw(body, content_type):
            _counts[f"{path} not JSON"] += 1
            r = _post(http, path, body, content_type)
            _check(r, False, repr(body[:100]))

        raw()


@pytest.mark.parametrize("path", PATHS)
def test_oversized_bodies_are_refused_early(fuzz_app, path):
    with httpx.Client(base_url=fuzz_app, timeout=60) as http:

        @given(size=st.integers(MAX_BODY + 1, MAX_BODY * 50), chunked=st.booleans())
        @_settings(max(EXAMPLES // 4, 4))
        def oversized(size, chunked):
            _counts[f"{path} oversized"] += 1
            body = json.dumps({"input": "x" * size}).encode()
            content = (body[i:i + 8192] for i in range(0, len(body), 8192)) if chunked else body
            r = _post(http, path, content)
            assert r.status_code == 400 and "too large" in r.json()["error"]["message"], r.text[:300]

        oversized()
        assert http.get("/health").json() == {"status": "healthy"}
