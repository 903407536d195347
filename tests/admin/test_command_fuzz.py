"""Property tests of the command layer: any text parses without error, and only a complete
command changes anything stored — whoever sends it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as examples
from hypothesis import strategies as st
from redis.asyncio import Redis

from bot.admin.commands import AdminCommands
from bot.admin.grammar import NotCommand, Parsed, Usage
from bot.admin.specs import all_specs, grammar
from bot.config import Settings
from bot.context import HandlerContext
from bot.keys import RedisKeys
from bot.wecom import WeComClient
from scripts_library.scripts import Script, ScriptStore
from tests.helpers import handler_context

WORDS = sorted(
    {w for spec in all_specs() for w in spec.words}
    | {w for n in grammar().nouns.values() for w in n.words}
)
PIECES = [
    *WORDS,
    "|",
    "｜",
    " ",
    "\n",
    "/",
    "售后",
    "退货",
    "ab12cd34",
    "1",
    "0000",
    "内容",
    "{{",
    "}}",
]

commandish = st.lists(st.sampled_from(PIECES) | st.text(max_size=6), max_size=12).map("".join)
anything = st.text(max_size=300) | commandish


@given(anything)
@examples(max_examples=2000, deadline=None)
def test_parse_never_fails(text: str) -> None:
    result = grammar().parse(text)
    assert isinstance(result, Parsed | Usage | NotCommand)
    if isinstance(result, Parsed):  # a complete command has all its required arguments
        required = result.spec.args[: len(result.spec.args) - result.spec.optional]
        assert all(result.values.get(name) for name in required)


async def snapshot(redis: Redis, keys: RedisKeys) -> dict[str, object]:
    state: dict[str, object] = {}
    async for key in redis.scan_iter(match=keys.pattern(), count=500):
        state[key] = await redis.dump(key)
    return state


@pytest.fixture
async def ctx(
    settings: Settings, redis: Redis, sandbox_wecom: WeComClient
) -> AsyncIterator[HandlerContext]:
    yield handler_context(settings, redis, sandbox_wecom)


@given(st.lists(anything, min_size=1, max_size=20))
@examples(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
async def test_only_complete_commands_change_state(ctx: HandlerContext, texts: list[str]) -> None:
    store = ScriptStore(ctx.redis, ctx.keys)
    if not await store.all():
        await store.save(Script("", "售后/退货", "退货流程", "七天无理由"), "admin1", None)
    commands = AdminCommands(ctx)
    for text in texts:
        for who in ("admin1", "zhangsan"):  # an admin and a non-admin
            before = await snapshot(ctx.redis, ctx.keys)
            await commands.answer(who, text)
            after = await snapshot(ctx.redis, ctx.keys)
            if who != "admin1" or not isinstance(grammar().parse(text), Parsed):
                assert after == before, (who, text)
