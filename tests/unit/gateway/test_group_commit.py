"""Group commit: concurrent submissions share writes, keep their order, and a failure reaches
only the caller whose item caused it."""

from __future__ import annotations

import asyncio

import pytest

from gateway.ledger.group_commit import GroupCommit


async def test_concurrent_items_are_written_together_in_order():
    batches: list[list[int]] = []

    async def write(items):
        batches.append(list(items))
        await asyncio.sleep(0.01)
        return [item * 10 for item in items]

    group = GroupCommit(write, max_batch=100)
    first = asyncio.create_task(group.submit(0))
    await asyncio.sleep(0.001)  # the first is written at once, not held back for company
    rest = await asyncio.gather(*(group.submit(n) for n in range(1, 20)))
    assert [await first, *rest] == [n * 10 for n in range(20)]
    assert batches == [[0], list(range(1, 20))]


async def test_batches_are_capped():
    sizes: list[int] = []

    async def write(items):
        sizes.append(len(items))
        await asyncio.sleep(0)
        return list(items)

    group = GroupCommit(write, max_batch=4)
    await asyncio.gather(*(group.submit(n) for n in range(10)))
    assert max(sizes) <= 4 and sum(sizes) == 10


async def test_a_failed_write_fails_its_batch_only():
    async def write(items):
        if 3 in items:
            raise RuntimeError("disk full")
        return list(items)

    group = GroupCommit(write, max_batch=1)
    results = await asyncio.gather(*(group.submit(n) for n in range(5)), return_exceptions=True)
    assert [type(r) for r in results] == [int, int, int, RuntimeError, int]


async def test_a_failing_item_fails_alone_and_the_rest_of_its_batch_is_written_again():
    written: list[list[int]] = []

    async def write(items):
        await asyncio.sleep(0)
        if 3 in items:
            raise RuntimeError("value out of range")
        written.append(list(items))
        return [item * 10 for item in items]

    group = GroupCommit(write, max_batch=10)
    results = await asyncio.gather(*(group.submit(n) for n in range(5)), return_exceptions=True)
    assert results[:3] == [0, 10, 20] and results[4] == 40
    assert isinstance(results[3], RuntimeError)
    assert sorted(n for batch in written for n in batch) == [0, 1, 2, 4], "each written once"


async def test_a_caller_that_goes_away_does_not_stop_the_write():
    written: list[int] = []

    async def write(items):
        await asyncio.sleep(0.02)
        written.extend(items)
        return list(items)

    group = GroupCommit(write, max_batch=10)
    task = asyncio.create_task(group.submit(7))
    await asyncio.sleep(0.005)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await group.aclose()
    assert written == [7]
