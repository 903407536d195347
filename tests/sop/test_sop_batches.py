"""SOP mass steps that batch: a mass step due for five customers of one member at once becomes
one WeCom task for the five (each step marked sent with its msgid), however many workers run
the jobs and when a step is retried after its batch was made; a step that names the customer
is still sent alone; a customer over the mass quota is left out of the batch, the step marked
skipped with the reason and counted so."""

from __future__ import annotations

import asyncio
from dataclasses import replace

from redis.asyncio import Redis

from bot.clock import corp_date
from bot.config import Settings
from bot.keys import RedisKeys
from bot.mass.quota import MassQuota
from bot.sandbox import Sandbox
from bot.sandbox.state import FollowUser
from bot.sop.batches import BATCH_SECONDS, CLOSE_AFTER
from bot.sop.jobs import step_id
from bot.sop.rules import SopRule, SopStep
from bot.sop.runner import job_runner
from bot.sop.store import SopStore
from bot.sop.tasks import TaskStore, task_id
from bot.wecom import WeComClient
from tests.helpers import handler_context

CUSTOMERS = [f"wmB{n}" for n in range(5)]


async def test_five_steps_one_task_exactly_once(
    sandbox_settings: Settings, live_sandbox: Sandbox, redis: Redis, sandbox_wecom: WeComClient
) -> None:
    ctx = handler_context(replace(sandbox_settings, mass_quota="day"), redis, sandbox_wecom)
    keys = RedisKeys(sandbox_settings.corp_id, sandbox_settings.key_prefix)
    now = live_sandbox.now()
    for eid in [*CUSTOMERS, "wmNamed"]:
        live_sandbox.state.follows[("zhangsan", eid)] = FollowUser("zhangsan", eid, int(now))
    store = SopStore(redis, keys)
    shared = await store.save(
        SopRule("", "新品群发", [SopStep(text="{{ staff_name }}：新品到店", delivery="mass")]),
        "admin1",
        None,
    )
    named = await store.save(
        SopRule("", "点名", [SopStep(text="{{ customer_name }}，新品到店", delivery="mass")]),
        "admin1",
        None,
    )
    # the last customer already got today's one mass message (the day policy)
    quota = MassQuota(redis, keys, "day")
    await quota.reserve([CUSTOMERS[-1]], corp_date(now))
    due = {step_id(shared.id, 0, "zhangsan", eid, now): now for eid in CUSTOMERS}
    due[step_id(named.id, 0, "zhangsan", "wmNamed", now)] = now
    await store.scheduler.add(due)

    workers = [job_runner(ctx), job_runner(ctx)]
    await asyncio.gather(*(w.run_due(now + 1) for w in workers))
    # only the step that names the customer went at once, alone
    assert [t.recipients for t in live_sandbox.mass_tasks] == [["wmNamed"]]
    live_sandbox.advance(BATCH_SECONDS + CLOSE_AFTER)
    later = live_sandbox.now()
    await asyncio.gather(*(w.run_due(later) for w in workers))
    batch_tasks = [t for t in live_sandbox.mass_tasks if t.recipients != ["wmNamed"]]
    assert len(batch_tasks) == 1
    [task] = batch_tasks
    assert (task.sender, sorted(task.recipients)) == ("zhangsan", CUSTOMERS[:-1])
    assert task.text == "张三：新品到店"
    tasks = TaskStore(redis, keys)
    for eid in CUSTOMERS[:-1]:
        record = await tasks.get(task_id(step_id(shared.id, 0, "zhangsan", eid, now)))
        assert record is not None and (record.status, record.mass_msgid) == ("sent", task.msgid)
    left_out = await tasks.get(task_id(step_id(shared.id, 0, "zhangsan", CUSTOMERS[-1], now)))
    assert left_out is not None and left_out.status == "skipped"  # not "sending" for good
    assert left_out.skip_reason == "客户本期的群发次数已用完"
    assert (await tasks.progress())[shared.id] == (len(CUSTOMERS) - 1, 0, 1)

    # a step retried after its batch was made (a crash before its job finished) finds itself
    # in the batch: nothing is sent again
    retried = step_id(shared.id, 0, "zhangsan", CUSTOMERS[0], now)
    await redis.hset(keys.sop_task(task_id(retried)), "status", "sending")
    await store.scheduler.add({retried: later})
    await workers[0].run_due(later + 1)
    live_sandbox.advance(BATCH_SECONDS + CLOSE_AFTER)
    await workers[1].run_due(live_sandbox.now())
    assert len(live_sandbox.mass_tasks) == 2
