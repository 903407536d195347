"""`欢迎语 新增 <范围> | <名称> | <内容>`: a template for a scope, used for that scope's new
customers, checked by the word guard, audited, and deleted again by `撤销`."""

from __future__ import annotations

import re

import pytest

from bot.admin.commands import AdminCommands
from bot.context import HandlerContext
from bot.welcome.store import WelcomeStore
from bot.welcome.templates import WelcomeTemplate
from tests.admin.conftest import NOTHING_TO_UNDO, audit_entries, say

ADDED = re.compile(r"已新增欢迎语，编号 ([0-9a-f]{8})\n")


def added_id(reply: str) -> str:
    match = ADDED.match(reply)
    assert match is not None, reply
    return match.group(1)


async def templates(ctx: HandlerContext) -> list[WelcomeTemplate]:
    return await WelcomeStore(ctx.redis, ctx.keys).list()


async def test_a_channel_template_is_added_chosen_for_the_channel_and_undo_deletes_it(
    ctx: HandlerContext, commands: AdminCommands
) -> None:
    store = WelcomeStore(ctx.redis, ctx.keys)
    text = "欢迎从直播间来的朋友！我是{{ staff_name }}，\n回复「福利」领取专享券。"
    reply = await say(commands, f"欢迎语 新增 渠道 live2024 ｜ 直播渠道 | {text}")
    template_id = added_id(reply)
    assert reply == (
        f"已新增欢迎语，编号 {template_id}\n渠道 live2024 · 直播渠道\n"
        "欢迎从直播间来的朋友！我是{{ staff_name }}， 回复「福利」领取专享券。"
    )
    template = await store.get(template_id)
    assert template is not None
    assert (template.scope, template.target, template.name) == ("channel", "live2024", "直播渠道")
    assert template.text == text  # the line break is kept
    chosen = await store.choose("live2024", "zhangsan")
    assert chosen is not None and chosen.id == template_id  # what a new customer gets
    assert f"{template_id} · 渠道 live2024 · 直播渠道" in await say(commands, "欢迎语 列表")

    [entry] = await audit_entries(ctx)
    assert (entry.actor, entry.action, entry.target) == ("admin1", "welcome.add", template_id)
    assert entry.summary == f"新增欢迎语 {template_id}「直播渠道」"
    assert entry.before is None and entry.after["text"] == text

    assert await say(commands, "撤销") == f"已撤销：欢迎语 {template_id} 已删除。"
    assert await store.get(template_id) is None
    assert await store.choose_exact("channel", "live2024") is None
    assert await say(commands, "撤销") == NOTHING_TO_UNDO
    assert (await audit_entries(ctx))[0].summary == f"撤销：新增欢迎语 {template_id}「直播渠道」"


@pytest.mark.parametrize(
    ("scope_text", "scope", "target"),
    [
        ("员工 zhangsan", "staff", "zhangsan"),
        ("部门　7", "department", "7"),  # a full-width space works too
        ("staff lisi", "staff", "lisi"),
        ("Department 12", "department", "12"),
        ("channel ch:spring", "channel", "ch:spring"),
    ],
)
async def test_every_scope_can_be_named_in_chinese_or_english(
    ctx: HandlerContext, commands: AdminCommands, scope_text: str, scope: str, target: str
) -> None:
    reply = await say(commands, f"welcome add {scope_text} | 专属欢迎 | 您好，我是您的顾问。")
    template = await WelcomeStore(ctx.redis, ctx.keys).get(added_id(reply))
    assert template is not None
    assert (template.scope, template.target) == (scope, target)


async def test_the_default_scope_takes_no_target_and_keeps_one_template(
    ctx: HandlerContext, commands: AdminCommands
) -> None:
    reply = await say(commands, "欢迎语 新增 默认 | 新的默认 | 您好！")
    template_id = added_id(reply)
    assert reply.split("\n")[1] == "默认 · 新的默认"
    again = await say(commands, "欢迎语 新增 default | 又一个默认 | 您好呀")
    assert again == (
        f"默认 已有欢迎语 {template_id}「新的默认」，每个范围只能有一个。"
        f"要换内容请发：欢迎语 修改 {template_id} <新内容>"
    )
    assert [t.name for t in await templates(ctx)] == ["新的默认"]


async def test_a_scope_with_a_template_already_is_named_and_nothing_is_added(
    ctx: HandlerContext, commands: AdminCommands
) -> None:
    store = WelcomeStore(ctx.redis, ctx.keys)
    shipped = await store.ensure_default()
    assert shipped is not None
    await say(commands, "欢迎语 新增 员工 zhangsan | 张三的欢迎语 | 您好，我是张三。")
    taken = await say(commands, "欢迎语 新增 员工 zhangsan | 另一个 | 您好")
    assert taken.startswith("员工 zhangsan 已有欢迎语 ")
    default = await say(commands, "欢迎语 新增 默认 | 默认二 | 您好")
    assert default.startswith(f"默认 已有欢迎语 {shipped.id}「默认欢迎语」")
    assert sorted(t.name for t in await templates(ctx)) == ["张三的欢迎语", "默认欢迎语"]
    await say(commands, "撤销")
    assert [t.name for t in await templates(ctx)] == ["默认欢迎语"]  # only the add was undone


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("欢迎语 新增 火星 x | 名称 | 内容", "「火星」不是欢迎语的范围。范围写成："),
        ("欢迎语 新增 员工 | 名称 | 内容", "「员工」后面要写员工的账号。"),
        ("欢迎语 新增 默认 全部 | 名称 | 内容", "默认欢迎语不用写对象。"),
        ("欢迎语 新增 渠道 a b | 名称 | 内容", "渠道的 state不能含空格。"),
        ("欢迎语 新增 部门 销售部 | 名称 | 内容", "没有保存：部门 ID 应是数字，而不是「销售部」"),
        ("欢迎语 新增 渠道 live | 名称", "格式不对。用法：欢迎语 新增 渠道 live2024 | 直播渠道 |"),
        (
            "欢迎语 新增 渠道 live | 名称 | {{ customer_name }}您好",
            "没有保存：模板用了 {{ customer_name }}，请同时提供不含姓名的版本",
        ),
        ("欢迎语 新增 渠道 live | 名称 | {{ foo }}", "没有保存：模板文字第 1 行用了未知变量 foo"),
    ],
)
async def test_a_bad_add_gets_a_hint_and_saves_nothing(
    ctx: HandlerContext, commands: AdminCommands, text: str, expected: str
) -> None:
    reply = await say(commands, text)
    assert reply.startswith(expected), reply
    assert await templates(ctx) == []
    assert await say(commands, "撤销") == NOTHING_TO_UNDO


async def test_a_blocked_word_is_named_and_nothing_is_saved(
    ctx: HandlerContext, commands: AdminCommands
) -> None:
    await say(commands, "敏感词 新增 竞品 | 某某牌")
    blocked = await say(commands, "欢迎语 新增 渠道 live | 直播 | 我们比某某牌便宜")
    assert blocked.startswith("没有保存：") and "「某某牌」（竞品）" in blocked
    assert await templates(ctx) == []
    assert await say(commands, "撤销") == "已撤销：去掉了刚加入的 1 个敏感词。"  # the word add


async def test_undo_takes_back_an_edit_of_the_new_template_then_the_add(
    ctx: HandlerContext, commands: AdminCommands
) -> None:
    store = WelcomeStore(ctx.redis, ctx.keys)
    template_id = added_id(await say(commands, "欢迎语 新增 部门 7 | 销售部 | 第一版"))
    await say(commands, f"欢迎语 修改 {template_id} 第二版")
    assert await say(commands, "撤销") == f"已撤销：欢迎语 {template_id} 已改回。"
    template = await store.get(template_id)
    assert template is not None and template.text == "第一版"
    assert await say(commands, "撤销") == f"已撤销：欢迎语 {template_id} 已删除。"
    assert await store.get(template_id) is None


async def test_undo_of_an_add_whose_template_is_gone_answers(
    ctx: HandlerContext, commands: AdminCommands
) -> None:
    template_id = added_id(await say(commands, "欢迎语 新增 部门 7 | 销售部 | 您好"))
    await WelcomeStore(ctx.redis, ctx.keys).delete(template_id)  # e.g. by scrm-bot meanwhile
    assert await say(commands, "撤销") == f"已撤销：欢迎语 {template_id} 已不存在，无需删除。"
