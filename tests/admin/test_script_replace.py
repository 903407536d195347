"""`话术 替换 <旧文本> | <新文本>`: confirmed with a code after a (paged) list, every script
saved as a new version, refused as a whole when one new text is blocked or when the scripts
changed after the preview, one audit entry, and one `撤销` for all of them."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import redis as sync_redis

from bot.admin.commands import AdminCommands
from bot.context import HandlerContext
from scripts_library import admin_replace
from scripts_library.scripts import Script, ScriptStore
from tests.admin.conftest import NOTHING_TO_UNDO, audit_entries, code_in, say

NOT_CHANGED = "所有话术都没有改动"


@pytest.fixture
async def store(ctx: HandlerContext) -> ScriptStore:
    store = ScriptStore(ctx.redis, ctx.keys)
    await store.save_many(
        [
            Script("s0000001", "售后/退货", "退货流程", "七天无理由退货，运费自理。"),
            Script("s0000002", "售后/物流", "运费说明", "满 99 元包邮。"),
            Script("s0000003", "售后/物流", "催发货", "48 小时内发货。"),
        ],
        "admin1",
        None,
    )
    return store


async def state(store: ScriptStore) -> dict[str, tuple[int, str, str]]:
    return {s.id: (s.version, s.title, s.text) for s in await store.all()}


ORIGINAL = {
    "s0000001": (1, "退货流程", "七天无理由退货，运费自理。"),
    "s0000002": (1, "运费说明", "满 99 元包邮。"),
    "s0000003": (1, "催发货", "48 小时内发货。"),
}


async def test_replace_lists_asks_saves_new_versions_and_one_undo_restores_all(
    ctx: HandlerContext, commands: AdminCommands, store: ScriptStore
) -> None:
    ask = await say(commands, "话术 替换 运费 | 邮费")
    code = code_in(ask)
    assert ask == (
        "将把 2 条话术里的「运费」换成「邮费」。\n"
        f"请在 2 分钟内回复「确认 {code}」执行；不回复则不执行。\n"
        "涉及的话术（编号 · 标题）：\n"
        "s0000001 · 退货流程\n"
        "s0000002 · 运费说明"
    )
    assert await state(store) == ORIGINAL  # nothing before the code comes back

    done = await say(commands, f"确认 {code}")
    assert done == (
        "已把 2 条话术里的「运费」换成「邮费」，每条都存为新版本。\n"
        "编号：s0000001、s0000002\n发送「撤销」可全部改回。"
    )
    assert await state(store) == {
        "s0000001": (2, "退货流程", "七天无理由退货，邮费自理。"),
        "s0000002": (2, "邮费说明", "满 99 元包邮。"),
        "s0000003": ORIGINAL["s0000003"],
    }
    [old] = await store.history("s0000001")
    assert (old.version, old.text) == (1, "七天无理由退货，运费自理。")
    history = await say(commands, "话术 历史 s0000002")
    assert "第 1 版 · " in history and "第 2 版（当前）· 邮费说明" in history

    [entry] = await audit_entries(ctx)
    assert (entry.action, entry.target) == ("script.replace", "s0000001,s0000002")
    assert entry.summary == "把 2 条话术里的「运费」换成「邮费」"
    assert [s["title"] for s in entry.before] == ["退货流程", "运费说明"]
    assert [s["title"] for s in entry.after] == ["退货流程", "邮费说明"]

    assert await say(commands, "撤销") == "已撤销：2 条话术已恢复为替换前的样子。"
    assert await state(store) == {
        "s0000001": (3, "退货流程", "七天无理由退货，运费自理。"),
        "s0000002": (3, "运费说明", "满 99 元包邮。"),
        "s0000003": ORIGINAL["s0000003"],
    }
    assert await say(commands, "撤销") == NOTHING_TO_UNDO  # one undo took back all of them
    assert "话术 恢复" in await say(commands, "话术 历史 s0000001")
    assert (await say(commands, "话术 恢复 s0000001 2")).startswith(
        "已把话术 s0000001 恢复到第 2 版"
    )


async def test_a_blocked_new_text_refuses_the_whole_replace_naming_words_and_ids(
    ctx: HandlerContext, commands: AdminCommands, store: ScriptStore
) -> None:
    await say(commands, "敏感词 新增 竞品 | 某某牌")
    refused = await say(commands, "话术 替换 运费 | 某某牌运费")
    assert refused == (
        f"不能替换：这些话术会含有禁止使用的词，{NOT_CHANGED}：\n"
        "s0000001「退货流程」：「某某牌」（竞品）\n"
        "s0000002「运费说明」：「某某牌」（竞品）"
    )
    assert not await ctx.redis.exists(ctx.keys.admin_confirm("admin1"))  # no code given
    assert await state(store) == ORIGINAL


async def test_a_word_blocked_between_preview_and_confirmation_refuses_at_confirmation(
    ctx: HandlerContext, commands: AdminCommands, store: ScriptStore
) -> None:
    ask = await say(commands, "script replace 运费 | 差价")  # the English alias
    await say(commands, "敏感词 新增 竞品 | 差价", "admin2")
    refused = await say(commands, f"确认 {code_in(ask)}")
    assert refused.startswith(f"没有替换：这些话术会含有禁止使用的词，{NOT_CHANGED}：\n")
    assert "s0000001「退货流程」：「差价」（竞品）" in refused
    assert "s0000002「运费说明」：「差价」（竞品）" in refused
    assert await state(store) == ORIGINAL
    assert [e.action for e in await audit_entries(ctx)] == ["word.add"]


async def test_scripts_changed_after_the_preview_are_not_overwritten(
    ctx: HandlerContext, commands: AdminCommands, store: ScriptStore
) -> None:
    ask = await say(commands, "话术 替换 运费 | 邮费")
    await say(commands, "话术 修改 s0000002 内容 满 199 元包邮。", "admin2")
    refused = await say(commands, f"确认 {code_in(ask)}")
    assert refused == (
        f"没有替换：确认前话术有了改动（s0000002），为免覆盖别人的修改，{NOT_CHANGED}。"
        "请重新发送这条替换命令，看最新的列表。"
    )
    current = await state(store)
    assert current["s0000001"] == ORIGINAL["s0000001"]
    assert current["s0000002"] == (2, "运费说明", "满 199 元包邮。")

    # a script that starts to match after the preview counts as a change too
    ask = await say(commands, "话术 替换 运费 | 邮费")
    await store.save(Script("s0000004", "售前", "新品", "新品运费减半。"), "admin2", None)
    refused = await say(commands, f"确认 {code_in(ask)}")
    assert refused.startswith("没有替换：确认前话术有了改动（s0000004）")
    added = await store.get("s0000004")
    assert added is not None and added.text == "新品运费减半。"
    assert (await state(store))["s0000001"] == ORIGINAL["s0000001"]


async def test_a_long_list_comes_in_pages_with_the_code_on_the_first(
    commands: AdminCommands, store: ScriptStore
) -> None:
    title = "换季活动说明" * 10  # 60 characters: about 8 lines a page
    await store.save_many(
        [Script(f"t{n:07d}", "活动", f"{title}{n:02d}", "旧活动内容") for n in range(25)],
        "admin1",
        None,
    )
    first = await say(commands, "话术 替换 旧活动 | 新活动")
    assert first.startswith(
        "将把 25 条话术里的「旧活动」换成「新活动」。\n请在 2 分钟内回复「确认 "
    )
    match = re.search(r"（第 1/(\d+) 页，回复「下一页」继续）$", first)
    assert match is not None and int(match.group(1)) >= 3, first[-40:]
    pages = [first] + [await say(commands, "下一页") for _ in range(int(match.group(1)) - 1)]
    listed = re.findall(r"^(t\d{7}) · ", "\n".join(pages), flags=re.MULTILINE)
    assert listed == [f"t{n:07d}" for n in range(25)]
    done = await say(commands, f"确认 {code_in(first)}")
    assert done.startswith("已把 25 条话术里的「旧活动」换成「新活动」")
    assert {s.text for s in await store.all() if s.id.startswith("t")} == {"新活动内容"}


@pytest.fixture
def edit_during_save(
    ctx: HandlerContext, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[list[Script]]:
    """Scripts to write (from another connection) while the replace queues its first save,
    between its WATCH and its EXEC."""
    writer = sync_redis.Redis.from_url(redis_url, decode_responses=True)
    pending: list[Script] = []
    queue_save = ScriptStore.queue_save

    def racing(self: ScriptStore, tx: Any, script: Script, *args: Any) -> None:
        while pending:
            edited = pending.pop()
            writer.hset(ctx.keys.scripts, edited.id, edited.to_json())
        queue_save(self, tx, script, *args)

    monkeypatch.setattr(ScriptStore, "queue_save", racing)
    yield pending
    writer.close()


async def test_an_edit_during_the_save_is_caught_and_nothing_is_overwritten(
    commands: AdminCommands, store: ScriptStore, edit_during_save: list[Script]
) -> None:
    ask = await say(commands, "话术 替换 运费 | 邮费")
    edit_during_save.append(
        Script("s0000002", "售后/物流", "运费说明", "满 199 元包邮。", version=2)
    )
    refused = await say(commands, f"确认 {code_in(ask)}")
    assert refused.startswith("没有替换：确认前话术有了改动（s0000002）")
    current = await state(store)
    assert current["s0000001"] == ORIGINAL["s0000001"]  # the transaction did not run
    assert current["s0000002"] == (2, "运费说明", "满 199 元包邮。")


async def test_an_edit_of_another_script_during_the_save_only_retries_it(
    commands: AdminCommands, store: ScriptStore, edit_during_save: list[Script]
) -> None:
    ask = await say(commands, "话术 替换 运费 | 邮费")
    edit_during_save.append(Script("s0000003", "售后/物流", "催发货", "24 小时内发货。", version=2))
    done = await say(commands, f"确认 {code_in(ask)}")
    assert done.startswith("已把 2 条话术里的「运费」换成「邮费」")
    assert await state(store) == {
        "s0000001": (2, "退货流程", "七天无理由退货，邮费自理。"),
        "s0000002": (2, "邮费说明", "满 99 元包邮。"),
        "s0000003": (2, "催发货", "24 小时内发货。"),
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("话术 替换 运费 | 运费", "旧文本和新文本一样，不用替换。"),
        ("话术 替换 天气预报 | 晴", "没有标题或内容含「天气预报」的话术，没有改动。"),
        ("话术 替换 运费", "格式不对。用法：话术 替换 <旧文本> | <新文本>"),
    ],
)
async def test_nothing_to_replace_gets_an_answer_and_no_code(
    ctx: HandlerContext, commands: AdminCommands, store: ScriptStore, text: str, expected: str
) -> None:
    assert await say(commands, text) == expected
    assert not await ctx.redis.exists(ctx.keys.admin_confirm("admin1"))
    assert await state(store) == ORIGINAL


async def test_too_many_matches_are_refused(
    commands: AdminCommands, store: ScriptStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(admin_replace, "MAX_SCRIPTS", 1)
    refused = await say(commands, "话术 替换 运费 | 邮费")
    assert refused.startswith("有 2 条话术含「运费」，一次最多替换 1 条。")
    assert await state(store) == ORIGINAL


async def test_an_undo_that_would_bring_back_a_blocked_word_is_skipped(
    ctx: HandlerContext, commands: AdminCommands, store: ScriptStore
) -> None:
    ask = await say(commands, "话术 替换 运费 | 邮费")
    await say(commands, f"确认 {code_in(ask)}")
    await ScriptStore(ctx.redis, ctx.keys).delete("s0000003", "admin2")  # unrelated
    await say(commands, "敏感词 新增 竞品 | 运费", "admin2")
    refused = await say(commands, "撤销")
    assert refused.startswith("没有保存：这些话术会含有禁止使用的词")
    assert "s0000001「退货流程」：「运费」（竞品）" in refused
    assert "无法撤销，已跳过" in refused
    kept = await store.get("s0000001")
    assert kept is not None and kept.text == "七天无理由退货，邮费自理。"
