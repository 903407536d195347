"""Group commit: concurrent calls share one round trip; errors reach every caller."""

from __future__ import annotations

import asyncio

import pytest

from bot.storage.batching import GroupCommit


async def test_concurrent_calls_share_batches_in_order() -> None:
    batches: list[list[int]] = []

    async def run(items: list[int]) -> list[int]:
        batches.append(items)
        await asyncio.sleep(0.01)
        return [item * 10 for item in items]

    group: GroupCommit[int, int] = GroupCommit(run)
    results = await asyncio.gather(*(group.submit(n) for n in range(50)))
    assert results == [n * 10 for n in range(50)]
    assert len(batches) < 50  # shared round trips
    assert [n for batch in batches for n in batch] == list(range(50))


async def test_a_lone_call_goes_at_once_and_batches_are_capped() -> None:
    batches: list[list[int]] = []

    async def run(items: list[int]) -> list[int]:
        batches.append(items)
        return items

    group: GroupCommit[int, int] = GroupCommit(run, max_batch=4)
    assert await group.submit(1) == 1
    await asyncio.gather(*(group.submit(n) for n in range(10)))
    assert batches[0] == [1]
    assert max(len(batch) for batch in batches) == 4


async def test_an_error_reaches_every_caller_of_its_batch_only() -> None:
    calls = 0

    async def run(items: list[int]) -> list[int]:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise ConnectionError("redis went away")
        return items

    group: GroupCommit[int, int] = GroupCommit(run)
    first = await asyncio.gather(*(group.submit(n) for n in range(3)), return_exceptions=True)
    assert all(isinstance(result, ConnectionError) for result in first)
    assert await group.submit(7) == 7  # the next batch is unaffected


async def test_a_caller_that_went_away_does_not_break_the_batch() -> None:
    release = asyncio.Event()

    async def run(items: list[int]) -> list[int]:
        await release.wait()
        return items

    group: GroupCommit[int, int] = GroupCommit(run)
    gone = asyncio.create_task(group.submit(1))
    stays = asyncio.create_task(group.submit(2))
    await asyncio.sleep(0.01)
    gone.cancel()
    release.set()
    assert await stays == 2
    with pytest.raises(asyncio.CancelledError):
        await gone
