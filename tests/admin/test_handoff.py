"""The answer to an admin's message goes back exactly one way: the passive reply while the
callback request waits, `message/send` after it gave up."""

from __future__ import annotations

import asyncio

from redis.asyncio import Redis

from bot.admin.handoff import ReplyHandoff
from bot.config import Settings
from bot.keys import RedisKeys


def handoff(redis: Redis, settings: Settings) -> ReplyHandoff:
    return ReplyHandoff(redis, RedisKeys(settings.corp_id, settings.key_prefix))


async def test_answer_while_the_request_waits_is_the_passive_reply(
    redis: Redis, settings: Settings
) -> None:
    meeting = handoff(redis, settings)
    waiting = asyncio.create_task(meeting.wait("m1", seconds=2.5))
    await asyncio.sleep(0.1)
    assert await meeting.offer("m1", "已新增话术") is True
    assert await waiting == "已新增话术"


async def test_answer_after_the_request_gave_up_is_sent_by_the_worker(
    redis: Redis, settings: Settings
) -> None:
    meeting = handoff(redis, settings)
    assert await meeting.wait("m2", seconds=0.2) is None
    assert await meeting.offer("m2", "太晚了") is False  # the worker sends it itself


async def test_answer_ready_before_the_request_waits_is_picked_up(
    redis: Redis, settings: Settings
) -> None:
    meeting = handoff(redis, settings)
    assert await meeting.offer("m3", "早到的答复") is True
    assert await meeting.wait("m3", seconds=0.5) == "早到的答复"
