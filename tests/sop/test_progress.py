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
    assert await store.progress() == {"r1": (2, 1), "r2": (1, 0)}
    assert [t.id for t in await store.pending("zhangsan")] == ["t2", "t3"]
