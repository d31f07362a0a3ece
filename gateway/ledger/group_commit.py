"""Group commit: concurrent writes of the same kind share one transaction.

A database commit costs about the same for one row as for a hundred, and on SQLite only one
writer runs at a time, so requests that arrive while a transaction is being written wait for the
next one together instead of queueing one by one. Nothing is delayed on purpose: a lone request
is written at once; batches form only under load, as large as the load makes them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")


class GroupCommit(Generic[Item, Result]):
    """Coalesces ``submit(item)`` calls into ``write(items) -> results`` calls (same order)."""

    def __init__(
        self, write: Callable[[Sequence[Item]], Awaitable[Sequence[Result]]], *, max_batch: int
    ) -> None:
        self._write = write
        self._max_batch = max_batch
        self._pending: list[tuple[Item, asyncio.Future[Result]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def submit(self, item: Item) -> Result:
        future: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        self._pending.append((item, future))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._drain())
        # A caller that goes away (client disconnect) does not stop the write: its invoice is
        # still committed, and a retry with the same idempotency key finds it.
        return await asyncio.shield(future)

    async def aclose(self) -> None:
        """Wait until everything submitted so far is written."""
        if self._writer is not None:
            await asyncio.shield(self._writer)

    async def _drain(self) -> None:
        while self._pending:
            batch = self._pending[: self._max_batch]
            del self._pending[: self._max_batch]
            try:
                results = await self._write([item for item, _ in batch])
            except BaseException as exc:  # every waiter hears of the failure, then it propagates
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                if not isinstance(exc, Exception):  # cancelled: nothing more gets written
                    for _, future in self._pending:
                        future.set_exception(exc)
                    self._pending.clear()
                    raise
                continue
            for (_, future), result in zip(batch, results, strict=True):
                if not future.done():
                    future.set_result(result)
