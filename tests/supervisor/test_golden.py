"""Golden event sequences: a text turn and a tool turn stream the same events on both engines.

Each event is reduced to its type, sequence number, output index, item (type, normalized ids, name,
status) and text delta; ids become `<prefix_n>` in order of appearance. Regenerate after an
intended change with `UPDATE_GOLDEN=1 uv run --frozen pytest tests/supervisor/test_golden.py`; a
missing golden file fails the test (a run never writes one by itself).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest

from agent_lib.supervisor import Supervisor

GOLDEN = Path(__file__).parent / "golden"
_ID = re.compile(r"^(resp|msg|fc|fco|mcpr|call)_[0-9a-zA-Z]+$")

TURNS = {
    "text_turn": ([{"text": "Hello! Ask me about orders.", "expect": "hello"}], "hello"),
    "tool_turn": ([
        {"tool_calls": [{"name": "main__sales__get_order_status", "arguments": {"order_id": "SO-10042"}}]},
        {"text": "Order SO-10042 was delivered on 22 January.", "expect": "delivered"},
    ], "Where is order SO-10042?"),
}


def normalize(events: list[Any]) -> list[dict[str, Any]]:
    names: dict[str, str] = {}

    def norm(value: Any) -> Any:
        if isinstance(value, str) and _ID.match(value):
            prefix = value.split("_", 1)[0]
            if value not in names:
                names[value] = f"<{prefix}_{sum(1 for v in names.values() if v.startswith('<' + prefix))}>"
            return names[value]
        return value

    out = []
    for event in events:
        row: dict[str, Any] = {"type": event.type, "sequence_number": event.sequence_number}
        if getattr(event, "output_index", None) is not None:
            row["output_index"] = event.output_index
        item = getattr(event, "item", None)
        if item is not None:
            row["item"] = {k: norm(getattr(item, k)) for k in ("type", "id", "call_id", "name", "status")
                           if getattr(item, k, None) is not None}
        if getattr(event, "delta", None) is not None:
            row["delta"] = event.delta
        response = getattr(event, "response", None)
        if response is not None:
            row["response"] = {"id": norm(response.id), "status": response.status,
                               "output": [norm(getattr(i, "id", None)) for i in response.output]}
        out.append(row)
    return out


@pytest.mark.parametrize("engine", ["client", "hosted"])
@pytest.mark.parametrize("name", sorted(TURNS))
def test_golden_event_sequence(kit, script, admin, engine, name):
    turns, question = TURNS[name]
    script(turns)
    sup = Supervisor(kit.spec_with(kit.UC_FUNCTION), admin, engine=engine, tracing=False)
    got = normalize(list(sup.stream(question)))
    path = GOLDEN / f"{name}.json"
    if os.environ.get("UPDATE_GOLDEN"):  # the explicit regeneration command (module docstring)
        path.write_text(json.dumps(got, indent=1) + "\n")
    if not path.exists():
        pytest.fail(f"golden file {path} is missing: regenerate it with UPDATE_GOLDEN=1 uv run --frozen "
                    "pytest tests/supervisor/test_golden.py, check the diff, commit it")
    assert got == json.loads(path.read_text())
