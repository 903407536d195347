"""Per-rule SOP progress: each reminder counted once as sent and once as done, however often
a crash makes a step repeat its writes."""

from __future__ import annotations

from redis.asyncio import Redis

from bot.config import Settings
from bot.keys import RedisKeys
from bot.sop.tasks import SopTask, TaskStore


def _task(tid: str, rule: str) -> SopTask:
    return SopTask(
        tid, "job", rule, "新客关怀", 1, "zhangsan", "wm1", "customer", "reminder", "问候"
    )


async def test_sent_and_done_are_counted_once_per_task(settings: Settings, redis: Redis) -> None:
    store = TaskStore(redis, RedisKeys(settings.corp_id, settings.key_prefix))
    first, second, other = _task("t1", "r1"), _task("t2", "r1"), _task("t3", "r2")
    for task in (first, second, other):
        await store.begin(task)
        await store.sent(task, 100)
    await store.sent(first, 101)  # the send repeated after a crash
    assert await store.complete(first, 200) is True
    assert await store.complete(first, 201) is False  # marked done twice
    assert await store.progress() == {"r1": (2, 1, 0), "r2": (1, 0, 0)}
    assert [t.id for t in await store.pending("zhangsan")] == ["t2", "t3"]


async def test_waiting_steps_are_counted_per_rule_in_one_bounded_pass(
    settings: Settings, redis: Redis
) -> None:
    from bot.sop import jobs
    from bot.sop.store import SopStore

    store = SopStore(redis, RedisKeys(settings.corp_id, settings.key_prefix))
    await store.scheduler.add(
        {
            jobs.step_id("r1", 0, "zhangsan", "wm1", 100): 200.0,
            jobs.step_id("r1", 1, "zhangsan", "wm1", 100): 300.0,
            jobs.fire_id("r2", 400): 400.0,
            jobs.step_id("r2", 0, "lisi", "wm2", 100): 500.0,
        }
    )
    assert await store.waiting() == ({"r1": 2, "r2": 2}, False)
    assert len(await store.jobs_of("r1")) == 2  # the same count as a rule's own listing
    counts, partly = await store.waiting(most=3)  # stops early: a lower bound, said so
    assert partly and sum(counts.values()) == 3
