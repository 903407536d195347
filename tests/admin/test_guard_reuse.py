"""An admin's save is checked against the library as it stands, without building the whole
word filter on the event loop when the process's own filter is already current."""

from __future__ import annotations

from dataclasses import replace

from redis.asyncio import Redis

from bot.admin.call import Call
from bot.admin.session import AdminSession
from bot.context import HandlerContext
from bot.text import SensitiveFilter
from bot.text.guard import BlockedText, TextGuard
from bot.text.library import WordLibrary


async def test_the_current_filter_is_reused_and_a_newer_library_is_built(
    ctx: HandlerContext, redis: Redis
) -> None:
    library = WordLibrary(redis, ctx.keys)
    await library.add([(1, "竞品甲", "competitor")])
    current = SensitiveFilter.from_words([("竞品甲", "competitor")])
    version = await library.version()
    guard = TextGuard(lambda: current, redis, ctx.keys, version=lambda: version)
    call = Call(replace(ctx, text=guard), AdminSession(redis, ctx.keys, "admin1"))
    assert await call.guard() is guard  # nothing built

    await library.add([(2, "竞品乙", "competitor")])  # the process hasn't reloaded yet
    fresh = await call.guard()
    assert fresh is not guard
    try:
        fresh.check_outgoing("买竞品乙吧")
    except BlockedText as exc:
        assert exc.hits[0].word == "竞品乙"
    else:
        raise AssertionError("a word added a moment ago must count")
