"""Group commit: concurrent writes of the same kind share one transaction.

A database commit costs about the same for one row as for a hundred, and on SQLite only one
writer runs at a time, so requests that arrive while a transaction is being written wait for the
next one together instead of queueing one by one. Nothing is delayed on purpose: a lone request
is written at once; batches form only under load, as large as the load makes them.

A batch whose write fails is written again one item at a time (its transaction rolled back, so
nothing of it was kept): a failure reaches only the caller whose item caused it.
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
                await self._write_batch(batch)
            except BaseException as exc:  # cancelled: nothing more gets written
                for _, future in (*batch, *self._pending):
                    if not future.done():
                        future.set_exception(exc)
                self._pending.clear()
                raise

    async def _write_batch(self, batch: list[tuple[Item, asyncio.Future[Result]]]) -> None:
        try:
            results = await self._write([item for item, _ in batch])
        except Exception as exc:
            if len(batch) == 1:
                _settle(batch[0][1], exception=exc)
                return
            for one in batch:
                await self._write_batch([one])
            return
        for (_, future), result in zip(batch, results, strict=True):
            _settle(future, result=result)


def _settle(
    future: asyncio.Future[Result],
    *,
    result: Result | None = None,
    exception: BaseException | None = None,
) -> None:
    if future.done():  # only a cancelled drain settles futures early
        return
    if exception is not None:
        future.set_exception(exception)
    else:
        future.set_result(result)  # type: ignore[arg-type]
