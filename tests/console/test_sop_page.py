"""The console's SOP page (the sop feature's own): rules built step by step, saved through the
same checks as `scrm-bot sop set`, audited, and taken back by 撤销."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestServer
from redis.asyncio import Redis

from bot.admin.audit import AuditLog
from bot.config import Settings
from bot.keys import RedisKeys
from bot.sop.store import SopStore
from tests.console.conftest import SignIn

RULE: dict[str, Any] = {
    "name": "新客关怀",
    "kind": "customer",
    "trigger": "added",
    "steps": [
        {"days": 1, "at": "10:00", "delivery": "reminder", "text": "问候{{ customer_name }}"},
        {"days": 3, "at": "15:00", "delivery": "reminder", "text": "回访使用体验"},
    ],
    "quiet_start": "22:00",
    "quiet_end": "08:00",
}


def _store(settings: Settings, redis: Redis, console_bot: TestServer) -> SopStore:
    from bot.appkeys import HANDLER_CONTEXT

    store: SopStore = console_bot.app[HANDLER_CONTEXT].services.sops
    return store


async def test_build_edit_undo_delete(
    console_bot: TestServer, console_settings: Settings, sign_in: SignIn, redis: Redis
) -> None:
    store = _store(console_settings, redis, console_bot)
    audit = AuditLog(redis, RedisKeys(console_settings.corp_id, console_settings.key_prefix))
    browser = await sign_in("admin1")
    async with browser.http.get(f"{browser.base}sops") as page:
        assert "还没有 SOP 规则" in await page.text()
    status, saved = await browser.post("api/sops/save", {"rule": RULE})
    assert status == 200 and not saved["refused"] and "共 2 步" in saved["reply"]
    [rule] = await store.all()
    assert [s.days for s in rule.steps] == [1, 3] and rule.updated_by == "admin1"
    async with browser.http.get(f"{browser.base}sops") as page:
        text = await page.text()
    assert "新客关怀" in text and "添加客户后" in text

    edited = RULE | {"id": rule.id, "name": "新客关怀（改）"}
    status, saved = await browser.post("api/sops/save", {"rule": edited})
    assert not saved["refused"] and (await store.get(rule.id)).name == "新客关怀（改）"  # type: ignore[union-attr]
    [entry] = await audit.latest(1)
    assert (entry.action, entry.via) == ("sop.update", "console")
    status, undone = await browser.post("api/undo")
    assert "恢复为改动前" in undone["reply"]
    assert (await store.get(rule.id)).name == "新客关怀"  # type: ignore[union-attr]

    status, deleted = await browser.post("api/sops/delete", {"id": rule.id})
    assert not deleted["refused"] and await store.all() == []
    status, undone = await browser.post("api/undo")
    assert (await store.get(rule.id)) is not None


async def test_bad_rules_are_refused_in_chinese_and_nothing_is_saved(
    console_bot: TestServer, console_settings: Settings, sign_in: SignIn, redis: Redis
) -> None:
    store = _store(console_settings, redis, console_bot)
    browser = await sign_in("admin1")
    await browser.run("word.add", category="竞品", words="甲品牌")

    async def refused(rule: dict[str, Any]) -> str:
        status, answer = await browser.post("api/sops/save", {"rule": rule})
        assert status == 200 and answer["refused"], answer
        return str(answer["reply"])

    negative = RULE | {"steps": [RULE["steps"][0] | {"days": -1}]}
    assert "第 1 步的时间偏移无效" in await refused(negative)
    assert "1–20 个步骤" in await refused(RULE | {"steps": []})
    assert "甲品牌" in await refused(RULE | {"steps": [RULE["steps"][0] | {"text": "比甲品牌好"}]})
    assert "days" in await refused(RULE | {"steps": [RULE["steps"][0] | {"days": "abc"}]})
    assert "免打扰" in await refused(RULE | {"quiet_end": ""})
    assert "没有 SOP nope" in await refused(RULE | {"id": "nope"})
    status, answer = await browser.post("api/sops/save", {"rule": "x"})
    assert (status, answer["error"]) == (400, "请填写 SOP 规则")
    status, answer = await browser.post("api/sops/delete", {"id": "nope"})
    assert status == 404
    assert await store.all() == []


async def test_pausing_by_console_chat_and_cli_is_audited_alike(
    console_bot: TestServer,
    console_settings: Settings,
    sign_in: SignIn,
    redis: Redis,
    monkeypatch: Any,
) -> None:
    import asyncio

    from bot.cli import main as cli_main
    from tests.helpers import cli_env

    store = _store(console_settings, redis, console_bot)
    audit = AuditLog(redis, RedisKeys(console_settings.corp_id, console_settings.key_prefix))
    browser = await sign_in("admin1")
    _, saved = await browser.post("api/sops/save", {"rule": RULE})
    assert not saved["refused"]
    [rule] = await store.all()
    paused = await browser.run("sop.pause", id=rule.id)
    assert not paused["refused"] and not (await store.get(rule.id)).enabled  # type: ignore[union-attr]
    for name, value in cli_env(console_settings).items():
        monkeypatch.setenv(name, value)
    assert await asyncio.to_thread(cli_main, ["--by", "admin1", "sop", "resume", rule.id]) == 0
    assert await asyncio.to_thread(cli_main, ["--by", "admin1", "sop", "pause", rule.id]) == 0
    by_cli_pause, by_cli_resume, by_console = await audit.latest(3)
    assert (by_console.via, by_cli_pause.via, by_cli_resume.via) == ("console", "cli", "cli")
    for entry in (by_console, by_cli_pause):
        assert (entry.action, entry.actor) == ("sop.pause", "admin1")
        assert (entry.before, entry.after) == ({"enabled": True}, {"enabled": False})
    assert by_console.summary == by_cli_pause.summary == f"暂停 SOP {rule.id}「新客关怀」"
    assert by_cli_resume.action == "sop.resume" and by_cli_resume.after == {"enabled": True}
