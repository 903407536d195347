"""The operators' console over HTTP: sign-in by WeCom only, roles, CSRF and Origin, commands
run exactly as admin chat runs them (checks, audit, confirmation, undo), the audit log."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp
from aiohttp.test_utils import TestServer
from redis.asyncio import Redis

from bot.admin.audit import AuditLog
from bot.cli import main as cli_main
from bot.config import Settings
from bot.keys import RedisKeys
from bot.sandbox import Sandbox
from bot.text.library import WordLibrary
from tests.console.conftest import SignIn
from tests.helpers import cli_env


def _keys(settings: Settings) -> RedisKeys:
    return RedisKeys(settings.corp_id, settings.key_prefix)


async def _first_hop(settings: Settings, user_agent: str) -> str:
    async with (
        aiohttp.ClientSession(headers={"User-Agent": user_agent}) as http,
        http.get(f"{settings.public_url}/console/", allow_redirects=False) as answer,
    ):
        assert answer.status == 302
        return answer.headers["Location"]


async def test_a_browser_signs_in_by_web_login_and_the_wecom_client_by_oauth(
    console_bot: TestServer, console_settings: Settings, sign_in: SignIn
) -> None:
    desktop = await _first_hop(console_settings, "Mozilla/5.0 (Windows NT 10.0) Chrome/120")
    assert desktop.startswith(console_settings.web_login_url + "?")
    query = parse_qs(urlsplit(desktop).query)
    assert query["login_type"] == ["CorpApp"] and query["appid"] == [console_settings.corp_id]
    assert query["agentid"] == [str(console_settings.agent_id)]
    assert query["redirect_uri"][0].startswith(f"{console_settings.public_url}/console/auth/")
    client = await _first_hop(console_settings, "Mozilla/5.0 wxwork/4.1.0 MicroMessenger")
    assert client.startswith(console_settings.oauth_authorize_url + "?")
    assert parse_qs(urlsplit(client).query)["scope"] == ["snsapi_base"]

    browser = await sign_in("admin1")
    assert browser.status == 200 and "概览" in browser.page and "王管理" in browser.page
    assert "敏感词" in browser.page and "审计日志" in browser.page  # an admin's menu
    phone = await sign_in("admin1", "Mozilla/5.0 (iPhone) wxwork/4.1.0")
    assert phone.status == 200 and "王管理" in phone.page


async def test_a_member_who_is_not_admin_is_refused_and_gets_no_session(
    console_bot: TestServer, console_settings: Settings, sign_in: SignIn, redis: Redis
) -> None:
    browser = await sign_in("member1")
    assert browser.status == 403 and "管理后台只对管理员开放" in browser.page
    assert not browser.csrf
    pattern = f"{_keys(console_settings).base}:console:session:*"
    assert [key async for key in redis.scan_iter(match=pattern)] == []


async def test_a_viewer_sees_the_dashboard_and_changes_nothing(
    console_bot: TestServer, console_settings: Settings, sign_in: SignIn, redis: Redis
) -> None:
    browser = await sign_in("viewer1")
    assert browser.status == 200 and "（只读）" in browser.page and "审计日志" not in browser.page
    async with browser.http.get(f"{browser.base}f/word") as page:
        assert page.status == 403 and "管理后台只对管理员开放" in await page.text()
    status, answer = await browser.post(
        "api/run", {"key": "word.add", "values": {"category": "竞品", "words": "甲品牌"}}
    )
    assert (status, answer["error"]) == (403, "只有管理员可以修改设置")
    words = WordLibrary(redis, _keys(console_settings))
    assert await words.categories(["甲品牌"]) == {}


async def test_a_forged_token_or_a_foreign_origin_changes_nothing(
    console_bot: TestServer, console_settings: Settings, sign_in: SignIn, redis: Redis
) -> None:
    browser = await sign_in("admin1")
    body = {"key": "word.add", "values": {"category": "竞品", "words": "甲品牌"}}
    forged = {"X-CSRF-Token": "x" * 43}
    status, answer = await browser.post("api/run", body, headers=forged)
    assert (status, answer["error"]) == (403, "请求校验失败，请刷新页面后重试")
    status, answer = await browser.post("api/run", body, headers={})
    assert status == 403
    foreign = {**browser.csrf, "Origin": "https://evil.example.com"}
    status, answer = await browser.post("api/run", body, headers=foreign)
    assert (status, answer["error"]) == (403, "请求来源不正确，已拒绝")
    assert await WordLibrary(redis, _keys(console_settings)).categories(["甲品牌"]) == {}
    assert await AuditLog(redis, _keys(console_settings)).latest(5) == []


async def test_bad_input_is_refused_in_chinese_and_nothing_is_saved(
    console_bot: TestServer, console_settings: Settings, sign_in: SignIn, redis: Redis
) -> None:
    browser = await sign_in("admin1")
    long_text = "欢" * 1400  # 4,200 bytes in UTF-8: over WeCom's 4,000 for a welcome
    answer = await browser.run("welcome.add", scope="默认", name="太长", text=long_text)
    assert answer["refused"] and "4000" in answer["reply"].replace(",", "")
    assert long_text not in answer["reply"]  # a huge input is never echoed back
    listed = await browser.run("welcome.list")
    assert "太长" not in listed["reply"]

    single = await browser.run("word.add", category="竞品", words="枪")
    assert single["refused"] and "没有新增" in single["reply"]
    assert await WordLibrary(redis, _keys(console_settings)).categories(["枪"]) == {}

    piped = await browser.run("script.add", category="售后|退货", title="标题", text="内容")
    assert piped["refused"] and "不能有“|”" in piped["reply"]
    missing = await browser.run("script.add", category="售后", title="", text="内容")
    assert missing["refused"] and missing["reply"] == "请填写「标题」"
    status, refused = await browser.post("api/run", {"key": "nothing.here", "values": {}})
    assert status == 200 and refused["refused"] and refused["reply"] == "没有这个操作"
    status, refused = await browser.post("api/run", {"key": "word.add", "values": {"words": 1}})
    assert (status, refused["error"]) == (400, "表单内容应为文字")
    async with browser.http.post(
        f"{browser.base}api/run",
        data=b"{",
        headers={**browser.csrf, "Content-Type": "application/json"},
    ) as answer:
        assert answer.status == 400 and (await answer.json())["error"] == "请求内容不是有效的 JSON"
    assert await AuditLog(redis, _keys(console_settings)).latest(5) == []


async def _audit(redis: Redis, settings: Settings) -> list[Any]:
    return await AuditLog(redis, _keys(settings)).latest(10)


async def test_the_same_change_by_console_chat_and_cli_is_stored_and_audited_alike(
    console_bot: TestServer,
    console_settings: Settings,
    sign_in: SignIn,
    live_sandbox: Sandbox,
    redis: Redis,
    monkeypatch: Any,
) -> None:
    keys = _keys(console_settings)
    browser = await sign_in("admin1")
    by_console = await browser.run("word.add", category="竞品", words="甲品牌")
    assert not by_console["refused"] and "已加入「竞品」：甲品牌" in by_console["reply"]
    live_sandbox.connect_bot(
        f"{console_settings.public_url}/wecom/callback",
        console_settings.token,
        console_settings.aes_key,
    )
    by_chat = await live_sandbox.staff_sends_text("admin1", "敏感词 新增 竞品 | 乙品牌")
    reply = by_chat.passive_reply or ""
    if not reply:
        for _ in range(200):
            messages = live_sandbox.app_messages("admin1")
            if messages:
                reply = str(messages[-1].content["content"])
                break
            await asyncio.sleep(0.05)
    assert "已加入「竞品」：乙品牌" in reply
    for key, value in cli_env(console_settings).items():
        monkeypatch.setenv(key, value)
    argv = ["--by", "admin1", "words", "add", "丙品牌", "--category", "竞品"]
    assert await asyncio.to_thread(cli_main, argv) == 0

    stored = await WordLibrary(redis, keys).categories(["甲品牌", "乙品牌", "丙品牌"])
    assert len(set(stored.values())) == 1 and set(stored) == {"甲品牌", "乙品牌", "丙品牌"}
    entries = await _audit(redis, console_settings)
    console_entry = next(e for e in entries if e.via == "console")
    chat_entry = next(e for e in entries if e.via == "chat")
    cli_entry = next(e for e in entries if e.via == "cli")
    # console and chat are one code path: the same entry but for the way it was made
    assert (console_entry.action, console_entry.actor) == (chat_entry.action, chat_entry.actor)
    assert console_entry.summary == chat_entry.summary == "新增敏感词（竞品）1 个"
    assert console_entry.after == {"甲品牌": stored["甲品牌"]}
    assert chat_entry.after == {"乙品牌": stored["乙品牌"]}
    assert console_entry.how == "管理后台" and chat_entry.how == "管理员对话"
    # and the CLI's entry is chat's too: same action, actor (--by), summary, item before/after
    assert (cli_entry.action, cli_entry.actor, cli_entry.summary) == (
        chat_entry.action,
        chat_entry.actor,
        chat_entry.summary,
    )
    assert cli_entry.after == {"丙品牌": stored["丙品牌"]} and cli_entry.before == {}
    assert cli_entry.how == "命令行"


async def test_a_destructive_command_asks_first_and_undo_takes_it_back(
    console_bot: TestServer, console_settings: Settings, sign_in: SignIn, redis: Redis
) -> None:
    words = WordLibrary(redis, _keys(console_settings))
    browser = await sign_in("admin1")
    await browser.run("word.add", category="竞品", words="甲品牌")
    asked = await browser.run("word.remove", words="甲品牌")
    assert asked["code"] and not asked["refused"] and "甲品牌" in asked["reply"]
    assert "甲品牌" in await words.categories(["甲品牌"])  # nothing removed before the code
    status, wrong = await browser.post("api/confirm", {"code": "12345"})
    assert (status, wrong["error"]) == (400, "确认码应是 4 位数字")
    status, done = await browser.post("api/confirm", {"code": asked["code"]})
    assert status == 200 and not done["refused"] and await words.categories(["甲品牌"]) == {}
    status, undone = await browser.post("api/undo")
    assert status == 200 and "撤销" in undone["reply"]
    assert "甲品牌" in await words.categories(["甲品牌"])


async def test_the_audit_log_names_people_and_filters(
    console_bot: TestServer, console_settings: Settings, sign_in: SignIn, redis: Redis
) -> None:
    browser = await sign_in("admin1")
    async with browser.http.get(f"{browser.base}audit") as page:
        assert "没有符合条件的改动记录" in await page.text()
    await browser.run("word.add", category="竞品", words="甲品牌")
    async with browser.http.get(f"{browser.base}audit") as page:
        text = await page.text()
    assert "王管理" in text and "管理后台" in text and "新增敏感词（竞品）1 个" in text
    async with browser.http.get(f"{browser.base}audit", params={"via": "chat"}) as page:
        assert "新增敏感词" not in await page.text()
    async with browser.http.get(f"{browser.base}audit", params={"action": "word."}) as page:
        assert "新增敏感词" in await page.text()


async def test_signing_out_ends_the_session(
    console_bot: TestServer, console_settings: Settings, sign_in: SignIn
) -> None:
    browser = await sign_in("admin1")
    status, _ = await browser.post("api/signout")
    assert status == 200
    status, answer = await browser.post(
        "api/run", {"key": "word.list", "values": {}}, headers=browser.csrf
    )
    assert (status, answer["error"]) == (401, "登录已过期，请刷新页面重新登录")


async def test_every_answer_carries_a_strict_policy(
    console_bot: TestServer, console_settings: Settings, sign_in: SignIn
) -> None:
    browser = await sign_in("admin1")
    async with browser.http.get(browser.base) as page:
        policy = page.headers["Content-Security-Policy"]
    assert "script-src 'self';" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy


async def test_the_system_page_shows_settings_without_secrets_checks_and_replays(
    console_bot: TestServer, console_settings: Settings, sign_in: SignIn, redis: Redis
) -> None:
    from bot.pipeline.deadletter import list_dead_letters, move_to_dead_letters

    keys = _keys(console_settings)
    xml = "<xml><MsgType>event</MsgType><Event>change_external_contact</Event></xml>"
    await redis.xadd(keys.events, {"xml": xml, "received_ms": "1"})
    [(entry_id, fields)] = await redis.xrange(keys.events)
    await move_to_dead_letters(redis, keys, "nogroup", entry_id, fields, "boom: 超时", 5)
    browser = await sign_in("admin1")
    async with browser.http.get(f"{browser.base}system") as page:
        text = await page.text()
    assert page.status == 200 and "王管理" in text and "event / change_external_contact" in text
    for secret in (console_settings.agent_secret, console_settings.token, console_settings.aes_key):
        assert secret not in text
    status, checked = await browser.post("api/doctor")
    assert status == 200 and all(c["ok"] for c in checked["checks"]), checked
    status, bad = await browser.post("api/deadletters/replay", {"ids": ["../x"]})
    assert (status, bad["error"]) == (400, "请选择要重新处理的失败事件")
    [letter] = await list_dead_letters(redis, keys)
    status, replayed = await browser.post("api/deadletters/replay", {"ids": [letter.id]})
    assert status == 200 and replayed["reply"] == "已重新处理 1 条失败事件"
    assert await list_dead_letters(redis, keys) == []
    [entry] = await AuditLog(redis, keys).latest(1)
    assert (entry.action, entry.via, entry.summary) == (
        "deadletter.replay",
        "console",
        "重新处理失败事件 1 条",
    )
    viewer = await sign_in("viewer1")
    async with viewer.http.get(f"{viewer.base}system") as page:
        assert page.status == 403


async def test_the_dashboard_shows_welcome_outcomes_and_word_hits_by_category(
    console_bot: TestServer, console_settings: Settings, sign_in: SignIn, redis: Redis
) -> None:
    import json
    import time

    from bot.welcome.store import WelcomeStore

    keys = _keys(console_settings)
    welcomes = WelcomeStore(redis, keys)
    await welcomes.count("default", "", "sent")
    await welcomes.count("default", "", "sent")
    await welcomes.count("default", "", "expired", errcode=41051)
    hits = [{"word": "甲品牌", "category": "competitor"}]
    await redis.xadd(
        keys.text_hits,
        {"source": "kf", "sender": "wm1", "time": str(int(time.time())), "hits": json.dumps(hits)},
    )
    browser = await sign_in("viewer1")  # the dashboard is for viewers too
    assert browser.status == 200
    text = browser.page
    assert "欢迎语结果" in text and "<td>已发送</td><td>2</td>" in text
    assert "<td>欢迎语 code 已过期</td><td>1</td>" in text and "<code>41051</code> ×1" in text
    assert "敏感词命中" in text and "竞品" in text


async def test_the_dashboard_shows_rfm_segments_once_computed(
    console_bot: TestServer, console_settings: Settings, sign_in: SignIn, redis: Redis
) -> None:
    import json
    import time

    browser = await sign_in("admin1")
    assert "还没有 RFM 分层" in browser.page
    summary = {
        "at": time.time(),
        "window_days": 365,
        "customers": 7,
        "segments": {"重要价值客户": 5, "一般发展客户": 2},
    }
    await redis.set(_keys(console_settings).rfm_summary, json.dumps(summary))
    async with browser.http.get(browser.base) as page:
        text = await page.text()
    assert "RFM 分层：各层客户数" in text and "重要价值客户" in text and "7 位有订单的客户" in text


async def test_nothing_answers_without_a_session_but_sign_in_and_static_files(
    console_bot: TestServer, console_settings: Settings, redis: Redis
) -> None:
    base = f"{console_settings.public_url}/console/"
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{base}api/run", json={"key": "word.list"}) as answer:
            assert answer.status == 401
            assert (await answer.json())["error"] == "登录已过期，请刷新页面重新登录"
        for path in ("audit", "system", "channels", "f/word", "welcomes/new", "nothing"):
            async with http.get(f"{base}{path}", allow_redirects=False) as answer:
                assert answer.status == 302, path  # off to sign in
        async with http.get(f"{base}static/console.css") as answer:
            assert answer.status == 200 and "text/css" in answer.content_type
        for sneaky in ("static/..%2fapi/me", "static/%2e%2e/api/me", "auth/../api/me"):
            async with http.get(f"{base}{sneaky}", allow_redirects=False) as answer:
                assert answer.status in (302, 401, 403, 404), sneaky
                assert "userid" not in await answer.text()
    pattern = f"{_keys(console_settings).base}:console:*"
    assert [key async for key in redis.scan_iter(match=pattern)] == []  # nothing anonymous kept


def test_qr_images_come_only_from_wecom_or_the_api_host() -> None:
    from bot.wecom.images import image_host_ok as _image_host_ok

    api = "https://qyapi.weixin.qq.com"
    assert _image_host_ok("https://wework.qpic.cn/wwpic/abc/0", api)
    assert _image_host_ok("https://p.qpic.cn/x/0", api)
    assert not _image_host_ok("https://evilqpic.cn/x", api)
    assert not _image_host_ok("https://qpic.cn.evil.com/x", api)
    assert not _image_host_ok("file:///etc/passwd", api)
    assert not _image_host_ok("http://169.254.169.254/latest", api)
    assert _image_host_ok("http://127.0.0.1:9001/wwpic/sandbox/x/0", "http://127.0.0.1:9001")
