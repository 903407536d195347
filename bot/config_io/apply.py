"""Applying a plan: every Redis write of the import in one MULTI/EXEC, under WATCH.

The keys the plan read are watched and read again first: if anything differs from the plan,
or changes before EXEC, nothing is written (`ConfigChanged`). All keys of a corp share one
hash tag, so the one transaction is also valid in Redis Cluster. Each section queues its
writes through its own store (`ConfigSection.queue`), so the effects that follow the data ride
in the same transaction: script versions, history and the search index's change stream, the
tag matchers' version, the word library's version, the welcome scope index, the SOP scheduler
moves. After the commit each section announces what it must (the word library's new version),
and removed codes and templates are deleted in WeCom (`bot.welcome.config_remote`).
"""

from __future__ import annotations

import time

from redis.asyncio import Redis
from redis.exceptions import WatchError

from bot.config_io.items import ConfigChanged
from bot.config_io.plan import Plan
from bot.config_io.sections import all_sections
from bot.keys import RedisKeys
from bot.storage.topology import watched_exists
from bot.welcome.config_remote import RemoteSide


async def apply_plan(
    redis: Redis, keys: RedisKeys, plan: Plan, remote: RemoteSide, by: str
) -> list[str]:
    """Write the plan; returns warnings (WeCom leftovers). `ConfigChanged` if the stored
    configuration moved on since the plan: then nothing was written, WeCom writes undone."""
    if not plan.has_changes:
        return []
    sections = all_sections()
    now = time.time()
    writing = [name for name, section in plan.sections.items() if section.writes]
    async with redis.pipeline(transaction=True) as tx:
        await tx.watch(*plan.watched)
        state = {name: await sections[name].read(tx, keys) for name in plan.state}
        media = {key: await watched_exists(tx, key) for key in plan.media}
        if state != plan.state or media != plan.media:
            raise ConfigChanged()
        prepared = {name: await sections[name].prepare(redis, keys, plan, now) for name in writing}
        undo = await remote.prepare(plan)
        try:
            tx.multi()
            for name in writing:
                await sections[name].queue(tx, redis, keys, plan, prepared[name], by, now)
        except BaseException:
            await undo.run()
            raise
        try:
            await tx.execute()
        except WatchError:
            failed = await undo.run()
            detail = (
                f"有 {failed} 处企业微信改动未能撤回，请运行 group-welcome sync" if failed else ""
            )
            raise ConfigChanged(detail) from None
    for name in writing:
        await sections[name].committed(redis, keys, plan)
    return await remote.finish(plan)
