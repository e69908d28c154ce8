"""Servers the emulator runs as child processes (MCP servers, the MLflow tracking server).

Each child watches its stdin and exits when it closes, so stopping is graceful first (close stdin),
then SIGTERM, then SIGKILL; and a killed emulator, whose pipes close with it, leaves no child behind.
"""

from __future__ import annotations

import subprocess


class ChildServer:
    """A started child process and the URL it serves at."""

    def __init__(self, process: subprocess.Popen[bytes], url: str) -> None:
        self.process = process
        self.url = url

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self, timeout: float = 3.0) -> None:
        proc = self.process
        if proc.poll() is None:
            try:
                if proc.stdin:
                    proc.stdin.close()  # the child's stdin watcher stops it gracefully
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.terminate()
                try:
                    proc.wait(timeout=3)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(timeout=3)
        for stream in (proc.stdin, proc.stdout):
            if stream:
                try:
                    stream.close()
                except OSError:
                    pass
