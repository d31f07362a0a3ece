"""The SQLite writer lock across processes: held by one at a time, waited for without blocking the
event loop, and handed back when a waiter is cancelled; WAL checkpoints leave the log copied back."""

from __future__ import annotations

import asyncio
import fcntl
import os
import sqlite3
import subprocess
import sys
import time

from gateway.ledger.checkpoints import Checkpointer
from gateway.ledger.process_lock import ProcessLock

_HOLD = """
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)
fcntl.flock(fd, fcntl.LOCK_EX)
print("held", flush=True)
time.sleep(float(sys.argv[2]))
"""


def _holder(path, seconds: float) -> subprocess.Popen:
    """Another process holding the lock for ``seconds``."""
    proc = subprocess.Popen(
        [sys.executable, "-c", _HOLD, str(path), str(seconds)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    return proc


async def test_a_writer_waits_for_another_process_without_blocking_the_loop(tmp_path):
    path = tmp_path / "db-writer.lock"
    lock = ProcessLock(path)
    holder = _holder(path, 0.3)
    ticks = 0

    async def tick():
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.01)

    ticker = asyncio.create_task(tick())
    started = time.monotonic()
    async with lock:
        waited = time.monotonic() - started
    ticker.cancel()
    holder.wait()
    lock.close()
    assert waited >= 0.15  # it did wait for the other process …
    assert ticks >= 5  # … while the event loop kept running


async def test_a_cancelled_waiter_hands_the_lock_back(tmp_path):
    path = tmp_path / "db-writer.lock"
    lock = ProcessLock(path)
    holder = _holder(path, 0.2)
    waiter = asyncio.create_task(lock.__aenter__())
    await asyncio.sleep(0.05)
    waiter.cancel()
    holder.wait()
    await asyncio.sleep(0.1)  # the waiting thread got the lock after the holder left
    probe = os.open(path, os.O_RDWR)
    try:
        fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)  # free again: it was handed back
    finally:
        os.close(probe)
        lock.close()


async def test_checkpoints_copy_the_log_back_into_the_database(tmp_path):
    database = str(tmp_path / "ledger.db")
    conn = sqlite3.connect(database)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA wal_autocheckpoint=0")
    conn.execute("CREATE TABLE t (v TEXT)")
    conn.executemany("INSERT INTO t VALUES (?)", [("x" * 1000,)] * 500)
    conn.commit()
    checkpointer = Checkpointer(database, interval=0)
    checkpointer.after_commit()
    await asyncio.sleep(0.3)
    checkpointer.close()
    assert os.path.getsize(database) > 500 * 1000  # the rows are in the database file itself
    conn.close()
