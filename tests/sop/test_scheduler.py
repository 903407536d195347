"""The scheduler and job runner: idempotent ids, leases that lapse, retries, failures reported."""

from __future__ import annotations

from redis.asyncio import Redis

from bot.config import Settings
from bot.jobs import Done, Failed, JobRunner, Later, Outcome
from bot.keys import RedisKeys
from bot.scheduler import Claimed, Scheduler


async def test_jobs_are_idempotent_and_survive_a_dead_holder(
    redis: Redis, settings: Settings
) -> None:
    scheduler = Scheduler(redis, RedisKeys(settings.corp_id, settings.key_prefix), 30)
    assert await scheduler.add({"x|1": 100.0, "x|2": 200.0}) == 2
    assert await scheduler.add({"x|1": 150.0}) == 0  # scheduled once, its time kept
    [held] = await scheduler.claim(120.0)
    assert (held.id, held.due, held.attempts) == ("x|1", 100.0, 0)
    assert await scheduler.add({"x|1": 130.0}) == 0  # running: not scheduled again
    assert await scheduler.claim(125.0) == []
    # the holder died: after its lease the job is due again, for another process
    assert await scheduler.reclaim(149.0) == 0
    assert await scheduler.reclaim(151.0) == 1
    [again] = await scheduler.claim(151.0)
    assert again.id == "x|1"
    await scheduler.done("x|1")
    assert await scheduler.counts() == {"scheduled": 1, "running": 0, "failed": 0}


async def test_failures_are_retried_then_reported(redis: Redis, settings: Settings) -> None:
    keys = RedisKeys(settings.corp_id, settings.key_prefix)
    scheduler = Scheduler(redis, keys)
    attempts: list[int] = []
    reported: list[tuple[str, str]] = []

    async def flaky(job: Claimed, now: float) -> Outcome:
        attempts.append(job.attempts)
        return Failed("企业微信系统繁忙")

    async def waits(job: Claimed, now: float) -> Outcome:
        return Later(now + 10) if now < 1010 else Done()

    async def report(job: Claimed, reason: str) -> None:
        reported.append((job.id, reason))

    runner = JobRunner(scheduler, {"flaky": flaky, "wait": waits}, report, max_attempts=3)
    await scheduler.add({"flaky|a": 1000.0, "wait|b": 1000.0, "nobody|c": 1000.0})
    now = 1000.0
    for _ in range(10):
        await runner.run_due(now)
        now += 3600
    assert attempts == [0, 1, 2]  # three attempts, then given up
    assert sorted(reported) == [("flaky|a", "企业微信系统繁忙"), ("nobody|c", "未知的任务类型")]
    failures = await scheduler.failures()
    assert {f["job"] for f in failures} == {"flaky|a", "nobody|c"}
    assert await scheduler.counts() == {"scheduled": 0, "running": 0, "failed": 2}
