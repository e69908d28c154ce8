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


def test_agent_lib_app_serves_until_ctrl_c(tmp_path, spec_file, app_kit):
    spec = spec_file([app_kit.ORDER_TOOL], model="databricks-claude-sonnet-4-5")
    env = {k: v for k, v in os.environ.items() if not k.startswith("DATABRICKS_")}
    proc = subprocess.Popen([sys.executable, "-m", "agent_lib.cli", "app", "--port", "0", "--spec", str(spec),
                             "--state", str(tmp_path / "state")], stdout=subprocess.PIPE,
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
        assert httpx.get(f"{url}/health").json() == {"status": "healthy"}
        assert "<title>agent-test</title>" in httpx.get(f"{url}/").text
        r = httpx.post(f"{url}/invocations", json={"input": "What is the status of order SO-10042?"},
                       timeout=120)
        assert r.status_code == 200, r.text
        assert r.json()["output"][0]["name"] == "main__sales__get_order_status"
        proc.send_signal(signal.SIGINT)
        assert proc.wait(30) == 130  # the shell convention for Ctrl-C, after a graceful shutdown
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"{url}/health")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
