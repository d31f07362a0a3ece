"""One SQLite writer at a time across processes, queued in the kernel rather than in SQLite.

SQLite's busy handler polls: a writer that finds the database locked sleeps 1, 2, 5, 10 … ms and
tries again, so with two server processes each write waited for the other's in coarse naps, and
the sleeping process's event loop ran dry. An exclusive ``flock`` on a file beside the database
wakes the next writer the moment the lock is released. It is taken without blocking the event
loop: at once when free, else by a thread that waits in the kernel.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
from pathlib import Path
from types import TracebackType


class ProcessLock:
    """An exclusive inter-process lock; callers in one process must already be serialised (the
    lock belongs to the open file, so a second holder in the same process would not wait)."""

    def __init__(self, path: Path) -> None:
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)

    async def __aenter__(self) -> None:
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            pass
        waiting = asyncio.get_running_loop().run_in_executor(
            None, fcntl.flock, self._fd, fcntl.LOCK_EX
        )
        try:
            await asyncio.shield(waiting)
        except asyncio.CancelledError:
            # The thread still gets the lock; hand it straight back so nobody waits forever.
            waiting.add_done_callback(self._release_if_taken)
            raise

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        fcntl.flock(self._fd, fcntl.LOCK_UN)

    def close(self) -> None:
        os.close(self._fd)

    def _release_if_taken(self, waiting: asyncio.Future[None]) -> None:
        if not waiting.cancelled() and waiting.exception() is None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
