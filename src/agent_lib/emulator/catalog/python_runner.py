"""Python function bodies, run outside the emulator's process.

A body runs in an isolated interpreter (`python -I`, an empty environment, the temp directory as
working directory) that reads one JSON request per line on stdin and answers one JSON line on
stdout (the body's own prints go to stderr, which is discarded). Each call gets a fresh namespace.

* `run(...)` outside a session: a one-off interpreter per call, killed on timeout.
* inside `session()` (a SQL statement calling a function once per row): one interpreter serves
  every call of the statement, so a 10,000-row query does not start 10,000 processes; a call that
  times out kills it and the next call starts a new one.
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

MAX_OUTPUT = 16 * 1024 * 1024
_local = threading.local()

_RUNNER = r'''
import datetime, json, sys
def _default(o):
    if isinstance(o, (datetime.date, datetime.datetime)):
        return o.isoformat()
    if isinstance(o, (set, tuple, frozenset)):
        return list(o)
    return str(o)
def _call(req):
    try:
        ns = {"__name__": "__uc_function__"}
        exec(compile(req["source"], req["filename"], "exec"), ns)
        args = {}
        for name, kind, value in req["args"]:
            if value is not None and kind == "DATE":
                value = datetime.date.fromisoformat(value)
            elif value is not None and kind in ("TIMESTAMP", "TIMESTAMP_NTZ"):
                value = datetime.datetime.fromisoformat(value)
            args[name] = value
        return json.dumps({"ok": True, "value": ns["__uc_body__"](**args)}, default=_default)
    except BaseException as exc:
        line, tb = None, exc.__traceback__
        while tb is not None:
            if tb.tb_frame.f_code.co_filename == req["filename"]:
                line = tb.tb_lineno - 1
            tb = tb.tb_next
        return json.dumps({"ok": False, "type": type(exc).__name__, "message": str(exc), "line": line})
def _main():
    out = sys.stdout
    sys.stdout = sys.stderr
    while True:
        line = sys.stdin.readline()
        if not line:
            return
        out.write(_call(json.loads(line)) + "\n")
        out.flush()
_main()
'''


class PythonBodyError(Exception):
    """The body raised, returned something unserializable, crashed or timed out."""

    def __init__(self, message: str, *, reason: str = "error") -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason  # "error" or "timeout"


def source(body: str, names: list[str]) -> str:
    """The body as the function `__uc_body__(<params>)`; line N of the body is line N+1 here."""
    inner = textwrap.indent(textwrap.dedent(body).strip("\n"), "    ") or "    pass"
    return f"def __uc_body__({', '.join(names)}):\n{inner}\n"


def _env() -> dict[str, str]:
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8",
            "PYTHONIOENCODING": "utf-8", "PYTHONDONTWRITEBYTECODE": "1"}


def _reply(raw: bytes | str, returncode: int | None) -> dict[str, Any]:
    try:
        reply = json.loads(raw)
    except ValueError:
        raise PythonBodyError(f"the Python body exited (code {returncode}) without a result") from None
    if not isinstance(reply, dict):
        raise PythonBodyError("the Python body's interpreter answered garbage")
    return reply


def _one_off(request: dict[str, Any], timeout: float) -> dict[str, Any]:
    try:
        proc = subprocess.run([sys.executable, "-I", "-c", _RUNNER],
                              input=json.dumps(request, default=str) + "\n", capture_output=True,
                              text=True, timeout=timeout, env=_env(), cwd=tempfile.gettempdir())
    except subprocess.TimeoutExpired:
        raise PythonBodyError("timeout", reason="timeout") from None
    except OSError as exc:
        raise PythonBodyError(f"could not start Python ({exc})") from None
    return _reply(proc.stdout.splitlines()[0] if proc.stdout else "", proc.returncode)


class _Worker:
    """One interpreter answering many calls (POSIX: reads its stdout with select and a deadline)."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen([sys.executable, "-I", "-c", _RUNNER], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=_env(),
                                     cwd=tempfile.gettempdir())
        self._buf = b""

    def call(self, request: dict[str, Any], timeout: float) -> dict[str, Any]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        try:
            self.proc.stdin.write((json.dumps(request, default=str) + "\n").encode())
            self.proc.stdin.flush()
        except OSError:
            self.close()
            raise PythonBodyError(
                f"the Python body's interpreter died (code {self.proc.returncode})") from None
        fd = self.proc.stdout.fileno()
        deadline = time.monotonic() + timeout
        while b"\n" not in self._buf:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.close()
                raise PythonBodyError("timeout", reason="timeout")
            ready, _, _ = select.select([fd], [], [], remaining)
            if not ready:
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                self.close()
                raise PythonBodyError(f"the Python body exited (code {self.proc.returncode}) "
                                      "without a result")
            self._buf += chunk
            if len(self._buf) > MAX_OUTPUT:
                self.close()
                raise PythonBodyError("the Python body's result is larger than 16 MiB")
        line, _, self._buf = self._buf.partition(b"\n")
        return _reply(line, None)

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        for stream in (self.proc.stdin, self.proc.stdout):
            if stream is not None:
                try:
                    stream.close()
                except OSError:
                    pass


class _Session:
    def __init__(self) -> None:
        self.worker: _Worker | None = None
        self.cache: dict[str, Any] = {}

    def call(self, request: dict[str, Any], timeout: float) -> dict[str, Any]:
        if self.worker is None or not self.worker.alive:
            self.worker = _Worker()
        return self.worker.call(request, timeout)

    def close(self) -> None:
        if self.worker is not None:
            self.worker.close()
            self.worker = None


@contextmanager
def session() -> Iterator[None]:
    """Share one interpreter between the Python calls made in this thread inside the block."""
    if getattr(_local, "session", None) is not None or os.name != "posix":
        yield
        return
    _local.session = _Session()
    try:
        yield
    finally:
        s, _local.session = _local.session, None
        s.close()


def run(filename: str, body: str, params: list[tuple[str, str, Any]], timeout: float, *,
        deterministic: bool = False) -> Any:
    """Run a body with `params` [(name, type_name, value)]; returns the value or raises PythonBodyError.

    Messages of PythonBodyError: "timeout", or "<ExceptionType>: <message> (line N of the body)".
    """
    request = {"source": source(body, [n for n, _, _ in params]), "filename": filename,
               "args": [[n, t, v] for n, t, v in params]}
    s: _Session | None = getattr(_local, "session", None)
    key = json.dumps(request, default=str, sort_keys=True) if s is not None and deterministic else None
    if key is not None and key in s.cache:  # type: ignore[union-attr]
        return s.cache[key]  # type: ignore[union-attr]
    reply = s.call(request, timeout) if s is not None else _one_off(request, timeout)
    if not reply.get("ok"):
        where = f" (line {reply['line']} of the body)" if reply.get("line") else ""
        raise PythonBodyError(f"{reply.get('type')}: {reply.get('message')}{where}")
    value = reply.get("value")
    if key is not None:
        s.cache[key] = value  # type: ignore[union-attr]
    return value
