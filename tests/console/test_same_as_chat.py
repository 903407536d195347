"""A change made in the console is the change admin chat makes, and the CLI's twin command
makes: for each feature, the same command through each stores the same kind of item and writes
the same audit entry (action, actor, summary, the item before and after), apart from how it was
made."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable

import pytest
from aiohttp.test_utils import TestServer
from redis.asyncio import Redis

from bot.admin.audit import AuditLog
from bot.appkeys import HANDLER_CONTEXT
from bot.cli import main as cli_main
from bot.config import Settings
from bot.context import HandlerContext
from bot.keys import RedisKeys
from bot.sandbox import Sandbox
from tests.console.conftest import SignIn
from tests.helpers import cli_env


async def _script_titles(ctx: HandlerContext) -> set[str]:
    return {script.title for script in await ctx.services.scripts.all()}


async def _welcome_names(ctx: HandlerContext) -> set[str]:
    return {template.name for template in await ctx.services.welcomes.list()}


async def _rule_names(ctx: HandlerContext) -> set[str]:
    return {rule.name for rule in await ctx.services.tag_rules.all()}


async def _allowed(ctx: HandlerContext) -> set[str]:
    return set((await ctx.services.words.snapshot()).allow)


Stored = Callable[[HandlerContext], Awaitable[set[str]]]
CLI_SCRIPT = [
    "scripts",
    "add",
    "--category",
    "售后/退货",
    "--title",
    "退货丙",
    "--text",
    "退货说明",
]
CLI_WELCOME = [
    "welcome",
    "set",
    "--scope",
    "staff",
    "--target",
    "admin1",
    "--name",
    "王管理的欢迎语",
]
CASES: list[tuple[str, dict[str, str], str, Stored, set[str], list[str] | None]] = [
    (
        "script.add",
        {"category": "售后/退货", "title": "退货甲", "text": "退货请在订单页申请"},
        "话术 新增 售后/退货 | 退货乙 | 退货请在订单页申请",
        _script_titles,
        {"退货甲", "退货乙", "退货丙"},
        CLI_SCRIPT,
    ),
    (
        "welcome.add",
        {"scope": "员工 zhangsan", "name": "张三的欢迎语", "text": "您好，我是张三"},
        "欢迎语 新增 员工 lisi | 李四的欢迎语 | 您好，我是李四",
        _welcome_names,
        {"张三的欢迎语", "李四的欢迎语", "王管理的欢迎语"},
        [*CLI_WELCOME, "--text", "您好，我是王管理"],
    ),
    (
        "tagrule.add",
        {"name": "问价甲", "tag": "意向/高意向", "keywords": "多少钱 价格"},
        "标签规则 新增 问价乙 | 意向/高意向 | 优惠",
        _rule_names,
        {"问价甲", "问价乙", "问价丙"},
        [
            "tags",
            "set",
            "--name",
            "问价丙",
            "--keywords",
            "打折",
            "--group",
            "意向",
            "--tag",
            "高意向",
        ],
    ),
    (
        "word.allow",
        {"phrase": "最好的选择"},
        "敏感词 放行 最好的朋友",
        _allowed,
        {"最好的选择", "最好的朋友"},
        None,  # `words allow` records its command line
    ),
]


async def _chat(sandbox: Sandbox, text: str) -> str:
    before = len(sandbox.app_messages("admin1"))
    result = await sandbox.staff_sends_text("admin1", text)
    if result.passive_reply:
        return result.passive_reply
    for _ in range(200):
        messages = sandbox.app_messages("admin1")
        if len(messages) > before:
            return str(messages[-1].content["content"])
        await asyncio.sleep(0.05)
    raise AssertionError(f"no answer to {text}")


def _shape(summary: str) -> str:
    """A summary with the item's own words and ids taken out."""
    return re.sub(r"「[^」]*」|[0-9a-f]{8}|[A-Za-z]+\b", "…", summary)


@pytest.mark.parametrize(("key", "values", "chat", "stored", "made", "cli"), CASES)
async def test_console_chat_and_cli_make_the_same_change(
    key: str,
    values: dict[str, str],
    chat: str,
    stored: Stored,
    made: set[str],
    cli: list[str] | None,
    console_bot: TestServer,
    console_settings: Settings,
    live_sandbox: Sandbox,
    sign_in: SignIn,
    redis: Redis,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    audit = AuditLog(redis, RedisKeys(console_settings.corp_id, console_settings.key_prefix))
    browser = await sign_in("admin1")
    by_console = await browser.run(key, **values)
    assert not by_console["refused"], by_console
    live_sandbox.connect_bot(
        f"{console_settings.public_url}/wecom/callback",
        console_settings.token,
        console_settings.aes_key,
    )
    answer = await _chat(live_sandbox, chat)
    assert _shape(answer.splitlines()[0]) == _shape(by_console["reply"].splitlines()[0])
    chat_entry, console_entry = await audit.latest(2)
    assert (chat_entry.via, console_entry.via) == ("chat", "console")
    assert chat_entry.action == console_entry.action == key
    assert chat_entry.actor == console_entry.actor == "admin1"
    assert _shape(chat_entry.summary) == _shape(console_entry.summary)
    if cli is not None:
        for name, value in cli_env(console_settings).items():
            monkeypatch.setenv(name, value)
        assert await asyncio.to_thread(cli_main, ["--by", "admin1", *cli]) == 0
        [cli_entry] = await audit.latest(1)
        assert (cli_entry.via, cli_entry.action, cli_entry.actor) == ("cli", key, "admin1")
        assert _shape(cli_entry.summary) == _shape(chat_entry.summary)
        assert cli_entry.before is None and isinstance(cli_entry.after, dict)
    assert made <= await stored(console_bot.app[HANDLER_CONTEXT])
