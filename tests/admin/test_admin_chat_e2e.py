"""Admin commands end to end: the sandbox delivers an admin's text to the app, the bot answers
(passive reply or app message), and the change shows in the sidebar."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest
from aiohttp.test_utils import TestServer
from redis.asyncio import Redis

from bot.config import Settings
from bot.keys import RedisKeys
from bot.sandbox import Sandbox
from bot.text.lexicon import MAX_WORD_CHARS
from scripts_library.scripts import ScriptStore
from tests.pipeline_support import wait_until
from tests.sidebar.conftest import Browser

ADD = "话术 新增 售后/退货 | 退货流程 | 亲，七天无理由退货，\n请在订单页点「申请售后」。"


@pytest.fixture
def admin_settings(sandbox_settings: Settings, live_sandbox: Sandbox) -> Settings:
    from aiohttp.test_utils import unused_port

    port = unused_port()
    live_sandbox.add_staff("admin1", "管理员")
    return replace(
        sandbox_settings,
        admins=frozenset({"admin1"}),
        public_url=f"http://127.0.0.1:{port}",
        oauth_authorize_url=f"{live_sandbox.base_url}/connect/oauth2/authorize",
    )


@pytest.fixture
async def admin_bot(
    admin_settings: Settings, live_sandbox: Sandbox, aiohttp_server: Any
) -> TestServer:
    from bot.app import create_app

    port = int(admin_settings.public_url.rsplit(":", 1)[1])
    server: TestServer = await aiohttp_server(create_app(admin_settings), port=port)
    live_sandbox.connect_bot(
        str(server.make_url("/wecom/callback")), admin_settings.token, admin_settings.aes_key
    )
    return server


@pytest.fixture
async def browser(
    admin_settings: Settings, live_sandbox: Sandbox, admin_bot: TestServer
) -> AsyncIterator[Browser]:
    client = Browser(admin_settings, live_sandbox)
    yield client
    await client.close()


async def say(sandbox: Sandbox, userid: str, text: str) -> str:
    """Send `text` to the app as `userid`; the answer, however it came back."""
    before = len(sandbox.app_messages(userid))
    result = await sandbox.staff_sends_text(userid, text)
    assert result.delivered
    if result.passive_reply:
        return result.passive_reply

    async def answered() -> bool:
        return len(sandbox.app_messages(userid)) > before

    await wait_until(answered)
    return str(sandbox.app_messages(userid)[-1].content["content"])


async def found_in_sidebar(browser: Browser, query: str) -> list[str]:
    status, payload = await browser.get("api/scripts", q=query)
    assert status == 200, payload
    return [item["id"] for item in payload["scripts"]]


async def test_admin_adds_script_by_chat_and_the_sidebar_finds_it(
    admin_bot: TestServer,
    admin_settings: Settings,
    live_sandbox: Sandbox,
    browser: Browser,
    redis: Redis,
) -> None:
    keys = RedisKeys(admin_settings.corp_id, admin_settings.key_prefix)
    store = ScriptStore(redis, keys)
    helped = await live_sandbox.staff_sends_text("admin1", "帮助")
    assert "管理命令" in helped.passive_reply  # answered within the callback's own request

    reply = await say(live_sandbox, "admin1", ADD)
    match = re.search(r"编号 ([0-9a-f]{8})", reply)
    assert match is not None, reply
    script_id = match.group(1)
    script = await store.get(script_id)
    assert script is not None
    assert (script.category, script.title) == ("售后/退货", "退货流程")
    assert script.text == "亲，七天无理由退货，\n请在订单页点「申请售后」。"  # multi-line kept
    await browser.sign_in("zhangsan")
    assert script_id in await found_in_sidebar(browser, "退货流程")

    # a non-admin's identical command is refused and changes nothing
    refusal = await say(live_sandbox, "zhangsan", ADD)
    assert "只有管理员" in refusal
    assert [s.id for s in await store.all()] == [script_id]

    # delete asks for a code; an expired code does nothing
    ask = await say(live_sandbox, "admin1", f"话术 删除 {script_id}")
    code = re.search(r"确认 (\d{4})", ask)
    assert code is not None and "退货流程" in ask, ask
    await redis.delete(keys.admin_confirm("admin1"))  # what its TTL does after 2 minutes
    late = await say(live_sandbox, "admin1", f"确认 {code.group(1)}")
    assert "过期" in late
    assert await store.get(script_id) is not None

    ask = await say(live_sandbox, "admin1", f"script delete {script_id}")  # English alias
    code = re.search(r"确认 (\d{4})", ask)
    assert code is not None, ask
    wrong = f"{(int(code.group(1)) + 1) % 10_000:04d}"
    assert "不对" in await say(live_sandbox, "admin1", f"确认 {wrong}")
    done = await say(live_sandbox, "admin1", f"确认 {code.group(1)}")
    assert "已删除" in done
    assert await store.get(script_id) is None
    assert script_id not in await found_in_sidebar(browser, "退货流程")

    # 撤销 brings it back, and the sidebar finds it again
    undone = await say(live_sandbox, "admin1", "撤销")
    assert "已撤销" in undone
    restored = await store.get(script_id)
    assert restored is not None and restored.text == script.text
    assert script_id in await found_in_sidebar(browser, "退货流程")

    audit = await say(live_sandbox, "admin1", "审计")
    assert "新增话术" in audit and "删除话术" in audit and "撤销" in audit
    assert "admin1" in audit


async def test_typos_get_a_hint_and_change_nothing(
    admin_bot: TestServer, admin_settings: Settings, live_sandbox: Sandbox, redis: Redis
) -> None:
    keys = RedisKeys(admin_settings.corp_id, admin_settings.key_prefix)
    hint = await say(live_sandbox, "admin1", "话述 新增 售后 | 标题 | 内容")
    assert "话术" in hint and "是不是" in hint
    usage = await say(live_sandbox, "admin1", "话术 新增 售后 | 只有标题")
    assert "用法" in usage
    assert await ScriptStore(redis, keys).all() == []
    blocked = await say(live_sandbox, "admin1", "敏感词 新增 竞品 | 某某牌")
    assert "已加入" in blocked
    refused = await say(live_sandbox, "admin1", "话术 新增 售后 | 对比 | 我们比某某牌好")
    assert "没有保存" in refused and "某某牌" in refused
    assert await ScriptStore(redis, keys).all() == []


async def test_a_tag_rule_keyword_over_the_word_limit_is_refused(
    admin_bot: TestServer, admin_settings: Settings, live_sandbox: Sandbox, redis: Redis
) -> None:
    keys = RedisKeys(admin_settings.corp_id, admin_settings.key_prefix)
    word = "问" * (MAX_WORD_CHARS + 1)
    refused = await say(live_sandbox, "admin1", f"标签规则 新增 长词 | 意向/高意向 | 价格 {word}")
    assert refused == f"没有保存：关键词「{'问' * 20}…」超过 {MAX_WORD_CHARS} 个字符"
    assert await redis.hlen(keys.tag_rules) == 0
    added = await say(live_sandbox, "admin1", f"标签规则 新增 长词 | 意向/高意向 | 价格 {word[1:]}")
    assert added.startswith("已新增标签规则")
    assert await redis.hlen(keys.tag_rules) == 1
