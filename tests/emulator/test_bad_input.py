"""The 15 requests that used to be 500s, and the body guard's other refusals: each a 4xx whose JSON
reason names the problem, sent as raw HTTP (the SDK would never send most of them)."""

from __future__ import annotations

import httpx
import pytest

from agent_lib.emulator.core.demo_ids import GENIE_SPACE_ID, WAREHOUSE_ID

SURROGATE = '"\\ud800"'  # JSON text of a lone surrogate escape
DEEP = "[" * 10_000 + "]" * 10_000
GENIE = f"/api/2.0/genie/spaces/{GENIE_SPACE_ID}/start-conversation"
RESPONSES = "/ai-gateway/mlflow/v1/responses"


def _post(emulator, path: str, text: str, content_type: str = "application/json") -> httpx.Response:
    with httpx.Client(base_url=emulator.host, timeout=30,
                      headers={"Authorization": f"Bearer {emulator.token}", "Content-Type": content_type}) as c:
        return c.post(path, content=text.encode("utf-8"))


def _reason(r: httpx.Response, status: int = 400) -> str:
    assert r.status_code == status, (r.status_code, r.text[:300])
    body = r.json()
    assert body["error_code"] and body["message"]
    return body["message"]


@pytest.mark.parametrize("path,template", [
    (RESPONSES, '{"model": "m", "input": %s}'),
    ("/serving-endpoints/databricks-claude-sonnet-4/invocations", '{"messages": [{"role": "user", "content": %s}]}'),
    ("/serving-endpoints/chat/completions", '{"model": "m", "messages": [{"role": "user", "content": %s}]}'),
    ("/serving-endpoints/responses", '{"model": "m", "input": %s}'),
    (GENIE, '{"content": %s}'),
    ("/api/2.0/workspace/import", '{"path": %s, "format": "AUTO", "content": ""}'),
    ("/api/2.0/sql/statements", '{"warehouse_id": "' + WAREHOUSE_ID + '", "statement": %s}'),
])
def test_lone_surrogates_are_400(emulator, path, template):
    message = _reason(_post(emulator, path, template % SURROGATE))
    assert "surrogate" in message and "`" in message  # names the place in the document


@pytest.mark.parametrize("path", [RESPONSES, "/api/2.0/genie/spaces", "/api/2.0/workspace/import"])
def test_deep_nesting_is_400(emulator, path):
    assert "nested deeper" in _reason(_post(emulator, path, DEEP))
    shallow_but_deep = '{"a": ' * 100 + "1" + "}" * 100  # parses, still too deep
    assert "nested deeper" in _reason(_post(emulator, path, shallow_but_deep))


def test_huge_numbers_are_400(emulator):
    r = _post(emulator, "/api/2.0/sql/statements",
              f'{{"warehouse_id": "{WAREHOUSE_ID}", "statement": "SELECT 1", "row_limit": {10 ** 30}}}')
    assert "`row_limit`" in _reason(r) and "64 bits" in _reason(r)
    r = _post(emulator, "/api/2.0/sql/statements",
              f'{{"warehouse_id": "{WAREHOUSE_ID}", "statement": "SELECT :x", "parameters": '
              f'[{{"name": "x", "value": "{10 ** 30}", "type": "BIGINT"}}]}}')
    message = _reason(r)
    assert "'x'" in message and "out of range" in message
    r = _post(emulator, RESPONSES, '{"model": "m", "input": "hi", "temperature": 1e999}')
    assert "`temperature`" in _reason(r)
    r = _post(emulator, RESPONSES, '{"model": "m", "input": "hi", "temperature": NaN}')
    assert "NaN" in _reason(r)


def _raw(emulator, path: str, body: bytes) -> httpx.Response:
    return httpx.post(emulator.host + path, content=body, timeout=60,
                      headers={"Authorization": f"Bearer {emulator.token}", "Content-Type": "application/json"})


def test_valid_unicode_passes_and_bad_bytes_or_size_do_not(emulator):
    pair = _post(emulator, RESPONSES, '{"model": "m", "input": "h\\u00e9 \\ud83d\\ude00"}')
    assert "surrogate" not in pair.text  # a surrogate pair is valid text: the route answers it
    assert "UTF-8" in _reason(_raw(emulator, RESPONSES, b'{"input": "\xff"}'))
    big = b'{"input": "' + b"x" * (33 * 1024 * 1024) + b'"}'
    assert "larger than" in _reason(_raw(emulator, RESPONSES, big), 413)
