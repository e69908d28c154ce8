"""`agent-lib app`: serves the App locally against the embedded emulated workspace, prints its URL,
answers over real HTTP, and Ctrl-C stops it (exit 0, nothing left listening)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time

import httpx
import pytest

pytestmark = pytest.mark.slow


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("extra", [[], ["--workers", "2"]], ids=["one-process", "two-workers"])
def test_agent_lib_app_serves_until_ctrl_c(tmp_path, spec_file, app_kit, extra):
    spec = spec_file([app_kit.ORDER_TOOL], model="databricks-claude-sonnet-4-5")
    env = {k: v for k, v in os.environ.items() if not k.startswith("DATABRICKS_")}
    port = "0" if not extra else str(_free_port())  # uvicorn's workers share a port named up front
    proc = subprocess.Popen([sys.executable, "-m", "agent_lib.cli", "app", "--port", port, "--spec", str(spec),
                             "--state", str(tmp_path / "state"), *extra], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, env=env, cwd=tmp_path)
    try:
        url, lines = None, []
        deadline = time.monotonic() + 120
        while url is None and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            found = re.search(r"serving .* at (http://127\.0\.0\.1:\d+)", line)
            url = found.group(1) if found else None
        assert url, "".join(lines)
        deadline = time.monotonic() + 120
        while True:  # workers start after the URL is printed
            try:
                httpx.get(f"{url}/health")
                break
            except httpx.ConnectError:
                assert time.monotonic() < deadline
                time.sleep(0.2)
        r = httpx.post(f"{url}/invocations", json={"input": "What is the status of order SO-10042?"},
                       timeout=120)
        assert r.status_code == 200, r.text
        assert r.json()["output"][0]["name"] == "main__sales__get_order_status"
        assert httpx.get(f"{url}/health").json() == {"status": "healthy"}
        assert "<title>agent-test</title>" in httpx.get(f"{url}/").text
        proc.send_signal(signal.SIGINT)
        assert proc.wait(30) in (0, 130)  # 130: the shell convention for Ctrl-C, after a graceful shutdown
        assert "Traceback" not in proc.stdout.read()
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"{url}/health")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
