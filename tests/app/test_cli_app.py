"""`agent-lib app` as a user runs it: against the embedded emulated workspace, it prints its URL,
answers over real HTTP, restarts on a change with `--reload`, and Ctrl-C stops it and everything it
started (exit 0 or 130, nothing left listening, no process left behind).

No clock in the assertions: each wait is for an event (a line the command prints, an HTTP answer
from the socket it bound before printing), and pytest-timeout bounds the test."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import psutil
import pytest
import yaml

pytestmark = pytest.mark.slow

QUESTION = "What is the status of order SO-10042?"
WORKER = r"agent-lib app: worker (\d+) ready"


class Console:
    """The command's merged output, read on a thread; `wait_for` blocks until a line matches."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.lines: list[str] = []
        self.closed = False
        self._seen = 0
        self._cond = threading.Condition()
        threading.Thread(target=self._read, args=(proc,), daemon=True).start()

    def _read(self, proc: subprocess.Popen[str]) -> None:
        for line in proc.stdout:
            with self._cond:
                self.lines.append(line)
                self._cond.notify_all()
        with self._cond:
            self.closed = True
            self._cond.notify_all()

    def wait_for(self, pattern: str) -> re.Match[str]:
        """The first line after the last match that matches `pattern`."""
        with self._cond:
            while True:
                for i in range(self._seen, len(self.lines)):
                    found = re.search(pattern, self.lines[i])
                    if found:
                        self._seen = i + 1
                        return found
                assert not self.closed, f"the command ended before printing {pattern!r}:\n{self.text}"
                self._cond.wait()

    @property
    def text(self) -> str:
        return "".join(self.lines)


def _start(tmp_path: Path, spec: Path, *extra: str) -> tuple[subprocess.Popen[str], Console, str]:
    """`agent-lib app` in a session of its own (as a terminal's foreground job is); its URL."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DATABRICKS_")}
    proc = subprocess.Popen([sys.executable, "-m", "agent_lib.cli", "app", "--port", "0", "--spec", str(spec),
                             "--state", str(tmp_path / "state"), *extra], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, env=env, cwd=tmp_path, start_new_session=True)
    console = Console(proc)
    url = console.wait_for(r"serving .* at (http://127\.0\.0\.1:\d+)").group(1)
    return proc, console, url


def _ask(url: str) -> dict:
    r = httpx.post(f"{url}/invocations", json={"input": QUESTION}, timeout=180)
    assert r.status_code == 200, r.text
    return r.json()


def _ctrl_c(proc: subprocess.Popen[str], console: Console, started: set[int]) -> None:
    """SIGINT to the whole process group, as Ctrl-C in a terminal; then nothing of it may remain."""
    os.killpg(proc.pid, signal.SIGINT)
    assert proc.wait(120) in (0, 130), console.text  # 130: the shell convention for Ctrl-C
    assert "Traceback" not in console.text, console.text
    # helpers such as multiprocessing's resource tracker end when their pipe to the command closes
    _, left = psutil.wait_procs(_alive(started), timeout=60)
    assert not left, [(p.pid, p.cmdline()) for p in left if p.is_running()]
    assert not [p for p in psutil.process_iter() if _pgid(p) == proc.pid]


def _alive(pids: set[int]) -> list[psutil.Process]:
    out = []
    for pid in pids:
        try:
            out.append(psutil.Process(pid))
        except psutil.NoSuchProcess:
            continue
    return out


def _pgid(p: psutil.Process) -> int | None:
    try:
        return os.getpgid(p.pid) if p.status() != psutil.STATUS_ZOMBIE else None
    except (ProcessLookupError, psutil.NoSuchProcess):
        return None


def _tree(proc: subprocess.Popen[str]) -> set[int]:
    """The command and every process below it now (the App workers, the workspace's MLflow server)."""
    return {proc.pid, *(c.pid for c in psutil.Process(proc.pid).children(recursive=True))}


def _stop(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


@pytest.mark.timeout(600)
@pytest.mark.parametrize("extra", [[], ["--workers", "2"]], ids=["one-process", "two-workers"])
def test_agent_lib_app_serves_until_ctrl_c(tmp_path, spec_file, app_kit, extra):
    spec = spec_file([app_kit.ORDER_TOOL], model="databricks-claude-sonnet-4-5")
    proc, console, url = _start(tmp_path, spec, *extra)
    try:
        # the socket is bound before the URL is printed: the first request waits for the server
        assert httpx.get(f"{url}/health", timeout=180).json() == {"status": "healthy"}
        assert _ask(url)["output"][0]["name"] == "main__sales__get_order_status"
        assert "<title>agent-test</title>" in httpx.get(f"{url}/").text
        started = _tree(proc)
        _ctrl_c(proc, console, started)
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"{url}/health")
    finally:
        _stop(proc)


@pytest.mark.timeout(900)
def test_reload_restarts_on_a_source_or_spec_change_and_ctrl_c_stops_everything(tmp_path, spec_file, app_kit):
    import agent_lib.app

    spec = spec_file([app_kit.ORDER_TOOL], model="databricks-claude-sonnet-4-5")
    source = tmp_path / "app-source"  # a copy of the App's source to edit: never the repository's files
    shutil.copytree(Path(agent_lib.app.__file__).parent, source, ignore=shutil.ignore_patterns("__pycache__"))
    proc, console, url = _start(tmp_path, spec, "--reload", "--reload-dir", str(source))
    try:
        first = console.wait_for(WORKER).group(1)
        assert _ask(url)["output"][0]["name"] == "main__sales__get_order_status"
        started = _tree(proc)

        handlers = source / "handlers.py"
        handlers.write_text(handlers.read_text() + "\n# changed by the test\n")
        console.wait_for(r"detected changes in .*handlers\.py.*Reloading")
        second = console.wait_for(WORKER).group(1)  # the old worker has gone: only the new one accepts
        assert second != first
        assert _ask(url)["output"][0]["name"] == "main__sales__get_order_status"
        started |= _tree(proc)

        spec.write_text(yaml.safe_dump({**yaml.safe_load(spec.read_text()), "name": "agent-renamed"}))
        console.wait_for(rf"detected changes in .*{re.escape(spec.name)}.*Reloading")
        assert console.wait_for(WORKER).group(1) not in (first, second)
        assert "<title>agent-renamed</title>" in httpx.get(f"{url}/", timeout=180).text
        assert _ask(url)["output"][0]["name"] == "main__sales__get_order_status"
        started |= _tree(proc)
        _ctrl_c(proc, console, started)
    finally:
        _stop(proc)
