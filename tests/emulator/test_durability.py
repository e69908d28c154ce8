"""Durability: the standalone emulator killed with SIGKILL in the middle of writes, then restarted on
the same state folder: both databases are intact and nothing it acknowledged is lost."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading

import httpx

from agent_lib.emulator.core.demo_ids import WAREHOUSE_ID


def _launch(state_dir) -> tuple[subprocess.Popen[str], str, str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "agent_lib.cli", "emulator", "--port", "0", "--state", str(state_dir)],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    host = proc.stdout.readline().strip().split("=", 1)[1]
    token = proc.stdout.readline().strip().split("=", 1)[1]
    return proc, host, token


def _sql(http: httpx.Client, statement: str) -> dict:
    r = http.post("/api/2.0/sql/statements", json={"statement": statement, "warehouse_id": WAREHOUSE_ID})
    r.raise_for_status()
    return r.json()


def test_sigkill_during_writes_loses_nothing_acknowledged(tmp_path):
    proc, host, token = _launch(tmp_path)
    acked_schemas: list[str] = []
    acked_totals: list[int] = []
    enough = threading.Event()
    stop = threading.Event()

    def create_schemas() -> None:
        with httpx.Client(base_url=host, headers={"Authorization": f"Bearer {token}"}, timeout=10) as http:
            for i in range(10_000):
                if stop.is_set():
                    return
                try:
                    r = http.post("/api/2.1/unity-catalog/schemas", json={"name": f"dur_{i}", "catalog_name": "main"})
                except httpx.HTTPError:
                    return  # the server was killed mid-request: not acknowledged
                if r.status_code == 200:
                    acked_schemas.append(f"main.dur_{i}")
                if len(acked_schemas) >= 25 and len(acked_totals) >= 25:
                    enough.set()

    def update_rows() -> None:
        with httpx.Client(base_url=host, headers={"Authorization": f"Bearer {token}"}, timeout=10) as http:
            for i in range(1, 10_000):
                if stop.is_set():
                    return
                try:
                    body = _sql(http, f"UPDATE main.sales.orders SET total = {i} WHERE order_id = 'SO-10042'")
                except httpx.HTTPError:
                    return
                if body["status"]["state"] == "SUCCEEDED":
                    acked_totals.append(i)

    writers = [threading.Thread(target=create_schemas), threading.Thread(target=update_rows)]
    for t in writers:
        t.start()
    try:
        assert enough.wait(timeout=120), "the writers did not get 25 writes each acknowledged"
        proc.send_signal(signal.SIGKILL)  # while both are still writing
        proc.wait(timeout=10)
    finally:
        stop.set()
        for t in writers:
            t.join(timeout=30)
        if proc.poll() is None:
            proc.kill()

    for db in ("emulator.db", "warehouse.db"):
        with sqlite3.connect(tmp_path / db) as check:
            assert check.execute("PRAGMA integrity_check").fetchone() == ("ok",), db

    proc, host2, token2 = _launch(tmp_path)
    try:
        assert token2 == token  # the admin's token survives, as the state does
        with httpx.Client(base_url=host2, headers={"Authorization": f"Bearer {token}"}, timeout=10) as http:
            for name in acked_schemas:
                assert http.get(f"/api/2.1/unity-catalog/schemas/{name}").status_code == 200, name
            total = _sql(http, "SELECT total FROM main.sales.orders WHERE order_id = 'SO-10042'")
            assert float(total["result"]["data_array"][0][0]) >= acked_totals[-1]  # at least the last acked
            assert _sql(http, "SELECT count(*) FROM main.sales.orders")["result"]["data_array"] == [["2500"]]
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=15)
