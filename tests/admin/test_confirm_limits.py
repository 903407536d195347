"""Wrong confirmation codes: each says how many tries are left, the fifth drops the command
waiting (it must be sent again), and a new command starts the count again."""

from __future__ import annotations

import pytest

from bot.admin.commands import AdminCommands
from bot.admin.session import MAX_WRONG_CODES
from bot.context import HandlerContext
from scripts_library.scripts import Script, ScriptStore
from tests.admin.conftest import code_in, other_code, say

DROPPED = "确认码已连续错了 5 次，这个操作已取消，什么都没有改。如仍要执行，请重新发送命令。"
NOTHING_WAITING = "没有等待确认的操作（确认码已过期或已用过），请重新发送命令。"


def wrong(left: int) -> str:
    return f"确认码不对，请核对后重发（还可再试 {left} 次）。"


@pytest.fixture
async def store(ctx: HandlerContext) -> ScriptStore:
    store = ScriptStore(ctx.redis, ctx.keys)
    await store.save(Script("s0000001", "售后/物流", "催发货", "48 小时内发货。"), "admin1", None)
    return store


async def test_the_fifth_wrong_code_drops_the_waiting_delete(
    ctx: HandlerContext, commands: AdminCommands, store: ScriptStore
) -> None:
    assert MAX_WRONG_CODES == 5
    code = code_in(await say(commands, "话术 删除 s0000001"))
    for left in (4, 3, 2, 1):
        assert await say(commands, f"确认 {other_code(code)}") == wrong(left)
    assert await say(commands, f"确认 {other_code(code)}") == DROPPED
    assert await say(commands, f"确认 {code}") == NOTHING_WAITING  # the right code is too late
    assert await store.get("s0000001") is not None
    assert not await ctx.redis.exists(ctx.keys.admin_confirm("admin1"))


async def test_the_right_code_after_four_wrong_ones_still_runs_the_command(
    commands: AdminCommands, store: ScriptStore
) -> None:
    code = code_in(await say(commands, "话术 删除 s0000001"))
    for left in (4, 3, 2, 1):
        assert await say(commands, f"确认 {other_code(code)}") == wrong(left)
    assert (
        await say(commands, f"确认 {code}") == "已删除话术 s0000001「催发货」。发送「撤销」可恢复。"
    )
    assert await store.get("s0000001") is None


async def test_a_new_command_starts_the_count_again(
    commands: AdminCommands, store: ScriptStore
) -> None:
    first = code_in(await say(commands, "话术 删除 s0000001"))
    for left in (4, 3, 2):
        assert await say(commands, f"确认 {other_code(first)}") == wrong(left)
    second = code_in(await say(commands, "话术 删除 s0000001"))  # replaces the first
    for left in (4, 3, 2, 1):
        assert await say(commands, f"确认 {other_code(second)}") == wrong(left)
    assert await say(commands, f"确认 {second}") == (
        "已删除话术 s0000001「催发货」。发送「撤销」可恢复。"
    )


async def test_wrong_codes_of_one_admin_do_not_count_against_another(
    commands: AdminCommands, store: ScriptStore
) -> None:
    code = code_in(await say(commands, "话术 删除 s0000001", "admin1"))
    for _ in range(MAX_WRONG_CODES):
        assert await say(commands, f"确认 {other_code(code)}", "admin2") == NOTHING_WAITING
    assert await say(commands, f"确认 {code}", "admin1") == (
        "已删除话术 s0000001「催发货」。发送「撤销」可恢复。"
    )


@pytest.mark.parametrize("typed", ["一二三四", "１２３４", "12345", "abcd", "🙂"])
async def test_odd_codes_are_just_wrong(
    commands: AdminCommands, store: ScriptStore, typed: str
) -> None:
    code_in(await say(commands, "话术 删除 s0000001"))
    assert await say(commands, f"确认 {typed}") == wrong(4)
    assert await store.get("s0000001") is not None
