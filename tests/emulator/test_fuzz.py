"""Schema-driven fuzzing of the emulator's routes (schemathesis, from its own OpenAPI description):
valid and invalid requests to every operation; no 5xx, no hang, every error JSON naming the problem.

A bounded run (a few examples per operation) is part of the suite; `bench/fuzz_emulator.py` runs
the same test with `AGENT_LIB_FUZZ_EXAMPLES=1000` and reports the figures. It fuzzes a workspace
of its own (the requests create, change and delete things), as the admin, so every route is
reached past authentication. Operations left out reach beyond the machine's loopback when fuzzed
(a passthrough model URL, an external MCP server a fuzzed connection names) or restart the
workspace (reset).
"""

from __future__ import annotations

import json
import os
import re
import time
from collections import Counter
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis.generation.modes import GenerationMode

from agent_lib.emulator import start
from agent_lib.emulator.core.openapi import OPENAPI_PATH, body_operations

EXAMPLES = int(os.environ.get("AGENT_LIB_FUZZ_EXAMPLES", "2"))  # per operation and mode
REPORT = os.environ.get("AGENT_LIB_FUZZ_REPORT")  # where bench/fuzz_emulator.py collects the counts
ONLY = os.environ.get("AGENT_LIB_FUZZ_ONLY")  # a regex of paths, to fuzz some operations only
LEFT_OUT = ("/_emulator/models/{endpoint}", "/api/2.0/mcp/external/{connection_name}", "/_emulator/reset")
_counts: Counter[str] = Counter()
_seconds: Counter[str] = Counter()  # wall time per operation, for the bench's rate figures
_failures: list[str] = []


@pytest.fixture(scope="module")
def fuzz_ws():
    ws = start(None)
    yield ws
    ws.stop()
    if REPORT:
        Path(REPORT).write_text(json.dumps({"cases": dict(_counts), "seconds": dict(_seconds),
                                            "failures": _failures}, indent=1, sort_keys=True))


@pytest.fixture(scope="module")
def fuzz_schema(fuzz_ws):
    schema = schemathesis.openapi.from_url(fuzz_ws.host + OPENAPI_PATH, timeout=120)
    schema = schema.exclude(path=list(LEFT_OUT)).exclude(method="GET", path_regex=r"^/(api/2\.0/mcp|_emulator/mcp)/")
    return schema.include(path_regex=ONLY) if ONLY else schema



def test_every_body_has_a_schema_and_ids_are_unique(fuzz_ws):
    import httpx

    spec = httpx.get(fuzz_ws.host + OPENAPI_PATH, timeout=120).json()  # built once, importing the SDK
    ids = [op["operationId"] for ops in spec["paths"].values() for op in ops.values()]
    assert len(ids) == len(set(ids))
    for method, path, typed in body_operations(spec):
        op = spec["paths"][path][method]
        assert typed or "requestBody" not in op, f"{method.upper()} {path} takes a body with no schema"
    assert sum(typed for *_, typed in body_operations(spec)) >= 40


def _check(case, response) -> None:
    where = f"{case.method} {case.formatted_path} -> {response.status_code}: {response.text[:300]}"
    assert response.status_code < 500, where
    if response.status_code >= 400:
        body = response.json()  # not JSON: fails here
        # Databricks' envelope; OAuth's (RFC 6749) on /oidc; SCIM's on the SCIM routes
        reason = body.get("message") or body.get("error_description") or body.get("detail")
        assert isinstance(reason, str) and reason.strip(), where


def _fuzz(operation, mode: GenerationMode, token: str) -> None:
    @given(operation.as_strategy(generation_mode=mode))
    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=EXAMPLES <= 10,
              suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])
    def run(case) -> None:
        _counts[f"{case.method} {case.path}"] += 1
        started = time.monotonic()
        response = case.call(headers={"Authorization": f"Bearer {token}"}, timeout=30)
        _seconds[f"{case.method} {case.path}"] += time.monotonic() - started
        _check(case, response)

    run()


def test_no_server_errors(fuzz_ws, fuzz_schema):
    failures = _failures
    for result in fuzz_schema.get_all_operations():
        operation = result.ok()
        # a bounded run spends its invalid requests where there is a body or query to break
        # (invalid path segments alone are slow to generate and reach only the 404 branch)
        wide = EXAMPLES > 10 or bool(operation.body) or bool(operation.query)
        for mode in GenerationMode if wide else (GenerationMode.POSITIVE,):
            try:
                _fuzz(operation, mode, fuzz_ws.token)
            except Unsatisfiable:
                continue  # no invalid request exists for an operation without inputs
            except Exception as exc:  # collect every operation's failure, then report them all
                failures.append(f"{mode.value} {operation.method.upper()} {operation.path}: "
                                f"{type(exc).__name__}: {str(exc)[:400]}")
    assert (ONLY or len(_counts) >= 100) and sum(_counts.values()) >= len(_counts) * EXAMPLES
    assert not failures, "\n".join(failures)


# -- what a schema cannot express: hostile JSON documents, sent raw to every body --------------

_JSON = st.recursive(st.none() | st.booleans() | st.integers(-(2 ** 63), 2 ** 63 - 1) | st.text(max_size=8),
                     lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner,
                                                                                   max_size=3),
                     max_leaves=8)
_ATTACKS = {
    "surrogate": (st.sampled_from(["\ud800", "a\udfffb", "\udbff"]), "surrogate"),
    "deep": (st.integers(65, 3000), "nested deeper"),
    "huge int": (st.integers(2 ** 63, 10 ** 40) | st.integers(-(10 ** 40), -(2 ** 63) - 1), "64 bits"),
    "huge float": (st.sampled_from(["1e999", "-1e400"]), "64-bit float"),
}
_PLACEHOLDER = "__hostile__"


def _hostile_text(doc, kind: str, value) -> str:
    """A JSON object holding `doc` and, under key `x`, the attack, as the text a client would send."""
    if kind == "deep":
        return json.dumps({"doc": doc, "x": _PLACEHOLDER}).replace(f'"{_PLACEHOLDER}"', "[" * value + "]" * value)
    if kind == "huge float":
        return json.dumps({"doc": doc, "x": _PLACEHOLDER}).replace(f'"{_PLACEHOLDER}"', value)
    return json.dumps({"doc": doc, "x": value})  # ensure_ascii: a surrogate is sent as its \\u escape


def test_hostile_json_is_refused_everywhere(fuzz_ws):
    import httpx

    spec = httpx.get(fuzz_ws.host + OPENAPI_PATH, timeout=120).json()
    targets = [(m, re.sub(r"{\w+}", "x", p)) for m, p, typed in body_operations(spec)
               if typed and not p.startswith("/oidc/") and (not ONLY or re.search(ONLY, p))]
    headers = {"Authorization": f"Bearer {fuzz_ws.token}", "Content-Type": "application/json"}

    with httpx.Client(base_url=fuzz_ws.host, headers=headers, timeout=30) as http:
        for kind, (values, needle) in _ATTACKS.items():
            _attack(http, kind, needle, values, targets)


def _attack(http, kind: str, needle: str, values, targets) -> None:
    @given(doc=_JSON, value=values, target=st.sampled_from(targets))
    @settings(max_examples=max(EXAMPLES * 10, len(targets)), deadline=None, database=None,
              derandomize=EXAMPLES <= 10, suppress_health_check=list(HealthCheck))
    def attack(doc, value, target) -> None:
        method, path = target
        _counts[f"hostile {kind}"] += 1
        r = http.request(method.upper(), path, content=_hostile_text(doc, kind, value).encode())
        assert r.status_code == 400, (kind, method, path, r.status_code, r.text[:200])
        assert needle in r.json()["message"], (kind, path, r.text[:200])

    attack()
