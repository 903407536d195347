"""The answer to an admin's message goes back exactly one way: the passive reply while the
callback request waits, `message/send` after it gave up."""

from __future__ import annotations

import asyncio

import pytest
from redis.asyncio import Redis

from bot.admin import handoff as handoff_module
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
    offering = asyncio.create_task(meeting.offer("m3", "早到的答复"))
    await asyncio.sleep(0.1)  # offered before the request starts waiting
    assert await meeting.wait("m3", seconds=0.5) == "早到的答复"
    assert await offering is True


async def test_an_answer_nobody_takes_is_taken_back_for_the_worker_to_send(
    redis: Redis, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the request lost Redis mid-wait (a restart): it neither took the answer nor gave up
    monkeypatch.setattr(handoff_module, "CONFIRM_SECONDS", 0.3)
    meeting = handoff(redis, settings)
    assert await meeting.offer("m4", "没人等的答复") is False  # the worker sends it itself
    assert await meeting.wait("m4", seconds=0.1) is None  # and it is not handed out later


async def test_a_retried_offer_after_the_request_replied_is_not_sent_again(
    redis: Redis, settings: Settings
) -> None:
    meeting = handoff(redis, settings)
    waiting = asyncio.create_task(meeting.wait("m5", seconds=2.5))
    await asyncio.sleep(0.1)
    assert await meeting.offer("m5", "已新增话术") is True
    assert await waiting == "已新增话术"
    assert await meeting.offer("m5", "已新增话术") is True  # already replied: don't send
