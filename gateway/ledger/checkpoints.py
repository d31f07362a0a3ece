"""WAL checkpoints of the SQLite ledger, in a thread of their own.

Writes commit on the event loop (see ``Ledger.write``). SQLite's automatic checkpoint would run
inside whichever commit crosses 1,000 WAL pages and fsync the database there, stalling the loop
for that request and everyone behind it. The write connections turn it off; this copies the log
back at most every ``interval`` seconds while writes happen, as a PASSIVE checkpoint, which never
blocks writers or readers.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from concurrent.futures import ThreadPoolExecutor

log = logging.getLogger("fakturaport.ledger")

#: Seconds between checkpoints while the ledger is being written.
CHECKPOINT_INTERVAL = 0.5


class Checkpointer:
    def __init__(self, database: str, interval: float = CHECKPOINT_INTERVAL) -> None:
        self._database = database
        self._interval = interval
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="ledger-checkpoint")
        self._connection: sqlite3.Connection | None = None  #: used in that thread only
        self._last = time.monotonic()
        self._running: asyncio.Future[None] | None = None

    def after_commit(self) -> None:
        """Called on the event loop after each write: start a checkpoint when one is due."""
        if self._running is not None and not self._running.done():
            return
        now = time.monotonic()
        if now - self._last < self._interval:
            return
        self._last = now
        self._running = asyncio.get_running_loop().run_in_executor(self._thread, self._checkpoint)

    def close(self) -> None:
        self._thread.submit(self._close).result()
        self._thread.shutdown()

    def _checkpoint(self) -> None:
        try:
            if self._connection is None:
                self._connection = sqlite3.connect(self._database, timeout=30)
            self._connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        except sqlite3.Error:  # the next one tries again; the log is only longer meanwhile
            log.warning("WAL checkpoint failed", exc_info=True)

    def _close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
