"""COVERAGE.md tells the truth: its route list is what the app serves, and every SDK call is listed."""

from __future__ import annotations

import re
from pathlib import Path

from agent_lib.emulator.core.state import EmulatorConfig, EmulatorState
from agent_lib.emulator.server import create_app

SRC = Path(__file__).resolve().parents[2] / "src" / "agent_lib"
COVERAGE = (SRC / "emulator" / "COVERAGE.md").read_text()
SERVICES = ("current_user|genie|statement_execution|knowledge_assistants|apps|serving_endpoints|functions|"
            "grants|permissions|workspace|connections|warehouses|catalogs|schemas|experiments|jobs")
SDK_CALL = re.compile(rf"\.({SERVICES})\.([a-z_]+)\(")


def _served() -> set[str]:
    app = create_app(EmulatorState(EmulatorConfig(seed_demo=False)))
    lines: set[str] = set()

    def walk(routes) -> None:
        for route in routes:
            if hasattr(route, "original_router"):
                walk(route.original_router.routes)
            elif hasattr(route, "path"):
                methods = sorted(m for m in (getattr(route, "methods", None) or {"*"}) if m != "HEAD")
                lines.add(f"{','.join(methods)} {route.path}")

    walk(app.routes)
    return lines


def _listed() -> set[str]:
    block = COVERAGE.split("## Routes served", 1)[1].split("```")[1]
    return {line.strip() for line in block.strip().splitlines() if line.strip()}


def test_route_list_matches_the_app():
    served, listed = _served(), _listed()
    assert not served - listed, f"served but missing from COVERAGE.md: {sorted(served - listed)}"
    assert not listed - served, f"listed in COVERAGE.md but not served: {sorted(listed - served)}"


def test_every_sdk_operation_the_package_calls_is_listed_as_emulated():
    calls = set()
    for path in SRC.rglob("*.py"):
        if "emulator" in path.parts:
            continue
        calls |= {f"{svc}.{op}" for svc, op in SDK_CALL.findall(path.read_text())}
    assert calls, "the scan found no SDK calls at all: the pattern is broken"
    rows = {m for m in re.findall(r"\| `([a-z_]+\.[a-z_]+)` \|.*\| yes \|", COVERAGE)}
    missing = sorted(calls - rows)
    assert not missing, f"SDK operations called by the package but not in COVERAGE.md: {missing}"
