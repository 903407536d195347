"""`审计` lists every change, however it was made: admin chat, a `scrm-bot` command (who: `--by`
or the operating-system user) and `scrm-bot import` — asked by an admin through the sandbox."""

from __future__ import annotations

import asyncio
import getpass
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestServer
from redis.asyncio import Redis

from bot.admin.audit import AuditLog
from bot.cli import main
from bot.config import Settings
from bot.keys import RedisKeys
from bot.sandbox import Sandbox
from tests.pipeline_support import wait_until


async def cli(*argv: str) -> int:
    return await asyncio.to_thread(main, list(argv))


@pytest.fixture
async def admin_bot(
    sandbox_cli_env: Settings, live_sandbox: Sandbox, aiohttp_server: Any
) -> TestServer:
    """The bot with admin1 as its admin, on the same Redis keys as the CLI commands."""
    from bot.app import create_app

    live_sandbox.add_staff("admin1", "管理员")
    settings = replace(sandbox_cli_env, admins=frozenset({"admin1"}))
    server: TestServer = await aiohttp_server(create_app(settings))
    live_sandbox.connect_bot(
        str(server.make_url("/wecom/callback")), settings.token, settings.aes_key
    )
    return server


async def say(sandbox: Sandbox, text: str) -> str:
    """Send `text` to the app as admin1; the answer, however it came back."""
    before = len(sandbox.app_messages("admin1"))
    result = await sandbox.staff_sends_text("admin1", text)
    assert result.delivered
    if result.passive_reply:
        return result.passive_reply

    async def answered() -> bool:
        return len(sandbox.app_messages("admin1")) > before

    await wait_until(answered)
    return str(sandbox.app_messages("admin1")[-1].content["content"])


async def test_audit_lists_cli_and_import_changes_with_who_and_how(
    admin_bot: TestServer,
    sandbox_cli_env: Settings,
    live_sandbox: Sandbox,
    redis: Redis,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = tmp_path / "scrm.toml"
    config.write_text("", encoding="utf-8")  # the environment holds the settings
    create = ["create", "--name", "门店", "--users", "zhangsan"]
    assert await cli("--by", "lisi", "channels", "--config", str(config), *create) == 0
    channel_id = re.search(r'"id": "(\w+)"', capsys.readouterr().out)
    assert channel_id is not None
    tag_rule = ["tags", "set", "--name", "价格", "--keywords", "多少钱,优惠"]
    assert await cli(*tag_rule, "--group", "意向", "--tag", "价格敏感") == 0
    # refused, read-only and dry-run commands change nothing and are not recorded
    assert await cli("--by", "lisi", "channels", "update", channel_id.group(1), "--users", "") == 2
    assert await cli("--by", "lisi", "channels", "list") == 0
    exported = tmp_path / "shop.yaml"
    assert await cli("export", str(exported), "--only", "tag_rules") == 0
    exported.write_text(exported.read_text(encoding="utf-8").replace("多少钱", "几块钱"))
    assert await cli("--by", "wangfang", "import", str(exported), "--dry-run") == 0
    assert await cli("--by", "wangfang", "import", str(exported)) == 0
    capsys.readouterr()

    reply = await say(live_sandbox, "审计")
    lines = reply.split("\n")
    assert lines[0] == "最近 3 条改动（新的在前）：", reply
    assert lines[1].endswith(
        "wangfang（配置导入）导入配置 shop.yaml：自动标签规则 新增 0、修改 1、删除 0"
    )
    # `tags set` of a new rule has a chat twin (标签规则 新增): its entry reads as that one's
    assert re.search(
        rf"{re.escape(getpass.getuser())}（命令行）新增标签规则 [0-9a-f]+「价格」$", lines[2]
    ), lines[2]
    assert lines[3].endswith("lisi（命令行）scrm-bot channels create --name 门店 --users zhangsan")
    keys = RedisKeys(sandbox_cli_env.corp_id, sandbox_cli_env.key_prefix)
    entries = await AuditLog(redis, keys).latest(5)
    assert [(e.actor, e.via, e.action) for e in entries] == [
        ("wangfang", "import", "config.import"),
        (getpass.getuser(), "cli", "tagrule.add"),
        ("lisi", "cli", "channels.create"),
    ]

    # and a chat change beside them, as before
    await say(live_sandbox, "敏感词 新增 竞品 | 某某家")
    latest = await say(live_sandbox, "审计 1")
    assert latest.split("\n")[1].endswith("admin1（管理员对话）新增敏感词（竞品）1 个"), latest


async def test_by_must_be_a_short_visible_name(
    sandbox_cli_env: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exits:
        await cli("--by", " ", "channels", "list")
    assert exits.value.code == 2
    assert "--by" in capsys.readouterr().err
