"""A chat message that fails every attempt is dead-lettered with its content and replays as the
same message: found by the soak harness, where such dead letters had lost the message (chat text
enters the stream as JSON in `chat`, and only `xml` was copied)."""

from __future__ import annotations

from redis.asyncio import Redis

from bot.chat_log import ChatLog
from bot.config import Settings
from bot.context import HandlerContext
from bot.events import ChatText
from bot.keys import RedisKeys
from bot.pipeline.deadletter import list_dead_letters, replay_dead_letters
from bot.routing import Router
from tests.pipeline_support import running_pipeline, wait_until


async def test_a_dead_lettered_chat_message_keeps_its_text_and_replays(
    redis: Redis, settings: Settings
) -> None:
    keys = RedisKeys(settings.corp_id, settings.key_prefix)
    broken = True
    handled: list[tuple[str, str]] = []
    router = Router(name="t")

    @router.on(ChatText)
    async def tag(event: ChatText, ctx: HandlerContext) -> None:
        if broken:
            raise RuntimeError("WeCom answered HTTP 502")
        handled.append((event.msgid, event.text))

    async def empty() -> bool:
        return int(await redis.xlen(keys.events)) == 0

    message = ChatText(
        msgid="kf-1", source="kf", sender="customer", external_userid="wmA", text="我要退款"
    )
    async with running_pipeline(redis, settings, [router], max_attempts=2):
        await ChatLog(redis, keys).append([message])
        await wait_until(empty)
        [dead] = await list_dead_letters(redis, keys)
        assert "我要退款" in dead.chat and dead.as_dict()["chat"] == dead.chat
        broken = False
        await replay_dead_letters(redis, keys, [dead.id])
        await wait_until(empty)
    assert handled == [("kf-1", "我要退款")]
    assert await list_dead_letters(redis, keys) == []
