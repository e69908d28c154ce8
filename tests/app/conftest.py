"""Fixtures for App tests: serve an agent App over real HTTP against the session's emulated workspace.

    def test_x(serve_app, spec_file):
        url = serve_app(spec_file(tools=[ORDER_TOOL]))          # http://127.0.0.1:<port>
        httpx.post(f"{url}/invocations", json={"input": "hi"})

`scripted` sets the turns of the scripted model endpoint (`app_kit.MODEL`) the test specs use.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

ORDER_CALL = {"name": "main__sales__get_order_status", "arguments": {"order_id": "SO-10042"}}


@pytest.fixture
def spec_file(tmp_path: Path, demo_tools: Any) -> Callable[..., Path]:
    """Write an agent spec (scripted model by default) and return its path."""
    def write(tools: list[dict[str, Any]] = (), **fields: Any) -> Path:
        spec = {"name": "agent-test", "model": demo_tools.MODEL, "engine": "client", "authorization": "app",
                "instructions": "Answer with the tools.", "tools": list(tools), **fields}
        path = tmp_path / f"agent-{len(list(tmp_path.glob('agent-*.yml')))}.yml"
        path.write_text(yaml.safe_dump(spec, sort_keys=False))
        return path

    return write


@pytest.fixture
def scripted(scripted_model: Callable[[list[Any]], None]) -> Callable[[list[Any]], None]:
    """The scripted model's turns (the shared `scripted_model`); restored after the test."""
    return scripted_model


@pytest.fixture(scope="session")
def app_state(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One state folder for every App of the session (its MLflow store is created once)."""
    return tmp_path_factory.mktemp("app-state")


def start_app(emulator: Any, spec_path: Path, *, state_dir: Path, token: str | None = None,
              make_supervisor: Any = None, **settings: Any) -> tuple[str, Callable[[], None]]:
    """Serve an agent App (uvicorn on a thread, a free port): its URL and the function that stops it."""
    import uvicorn

    from agent_lib.app import AppConfig
    from agent_lib.app.server import build_server, listen
    from agent_lib.workspace import Workspace

    settings.setdefault("state_dir", str(state_dir))
    config = AppConfig(spec_path=spec_path, workspace="emulated", host=emulator.host, **settings)
    workspace = Workspace(emulator.client(token), "emulated", emulator)
    built = build_server(config, workspace=workspace, make_supervisor=make_supervisor)
    sock = listen("127.0.0.1", 0)
    server = uvicorn.Server(uvicorn.Config(built.app, log_level="warning", access_log=False,
                                           lifespan="off", timeout_graceful_shutdown=1))
    server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)

    def stop() -> None:
        server.should_exit = True
        thread.join(10)
        built.close()

    return f"http://127.0.0.1:{sock.getsockname()[1]}", stop


@pytest.fixture
def serve_app(emulator: Any, app_state: Path) -> Iterator[Callable[..., str]]:
    """Start agent Apps (uvicorn on a thread, a free port) for this test; stopped afterwards."""
    stops: list[Callable[[], None]] = []

    def start(spec_path: Path, **settings: Any) -> str:
        url, stop = start_app(emulator, spec_path, state_dir=app_state, **settings)
        stops.append(stop)
        return url

    yield start
    for stop in stops:
        stop()


@pytest.fixture(scope="session")
def app_starter() -> Callable[..., tuple[str, Callable[[], None]]]:
    """`start_app` for fixtures of a wider scope than `serve_app`'s (one App for a whole module)."""
    return start_app


def sse_frames(text: str) -> list[str]:
    """The `data:` payloads of an SSE body, in order."""
    frames = []
    for block in text.split("\n\n"):
        data = [line[5:].strip() for line in block.split("\n") if line.startswith("data:")]
        if data:
            frames.append("\n".join(data))
    return frames


@pytest.fixture(scope="session")
def app_kit(demo_tools: Any) -> Any:
    """Constants (the shared `demo_tools`) and helpers of this folder (test modules cannot import each
    other in importlib mode)."""
    from types import SimpleNamespace

    return SimpleNamespace(ORDER_TOOL=demo_tools.UC_FUNCTION, TICKETING_TOOL=demo_tools.TICKETING,
                           GENIE_TOOL=demo_tools.GENIE, ORDER_CALL=ORDER_CALL, MODEL=demo_tools.MODEL,
                           sse_frames=sse_frames)
