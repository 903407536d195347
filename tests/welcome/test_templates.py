"""Welcome templates: the choice of template, time slots and save-time checks."""

from __future__ import annotations

from datetime import datetime

import pytest
from redis.asyncio import Redis

from bot.config import Settings
from bot.keys import RedisKeys
from bot.templating import render
from bot.text import SensitiveFilter
from bot.text.guard import TextGuard
from bot.welcome.store import DEFAULT_WELCOME_TEXT, WelcomeStore
from bot.welcome.templates import TemplateError, TimeSlot, WelcomeTemplate, validate


@pytest.fixture
def store(redis: Redis, settings: Settings) -> WelcomeStore:
    return WelcomeStore(redis, RedisKeys(settings.corp_id, settings.key_prefix))


def template(scope: str = "default", target: str = "", **fields: object) -> WelcomeTemplate:
    values: dict[str, object] = {"text": "欢迎！"}
    values.update(fields)
    return WelcomeTemplate("", f"{scope}-{target}", scope, target, **values)  # type: ignore[arg-type]


async def test_channel_then_staff_then_default(store: WelcomeStore) -> None:
    assert await store.choose("poster", "zhangsan") is None
    await store.ensure_default()
    default = await store.choose("poster", "zhangsan")
    assert default is not None and default.text == DEFAULT_WELCOME_TEXT
    staff = await store.save(template("staff", "zhangsan", text="张三的欢迎语"), None)
    channel = await store.save(template("channel", "poster", text="海报渠道欢迎语"), None)
    assert (await store.choose("poster", "zhangsan")).id == channel.id  # type: ignore[union-attr]
    assert (await store.choose("other", "zhangsan")).id == staff.id  # type: ignore[union-attr]
    assert (await store.choose("", "lisi")).id == "default"  # type: ignore[union-attr]
    with pytest.raises(TemplateError, match="已有模板"):
        await store.save(template("channel", "poster"), None)
    assert await store.delete(channel.id)
    assert (await store.choose("poster", "zhangsan")).id == staff.id  # type: ignore[union-attr]


def test_time_slots_first_match_wins() -> None:
    t = template(
        text="平时好",
        slots=[
            TimeSlot("双十一快乐", date_from="2026-11-10", date_to="2026-11-12"),
            TimeSlot("晚安，明早回复您", start="22:00", end="08:00"),
            TimeSlot("周末愉快", weekdays=[6, 7]),
        ],
    )
    assert t.content_for(datetime(2026, 11, 11, 23, 0))[0] == "双十一快乐"
    assert t.content_for(datetime(2026, 11, 23, 23, 30))[0] == "晚安，明早回复您"  # wraps midnight
    assert t.content_for(datetime(2026, 11, 24, 7, 59))[0] == "晚安，明早回复您"
    assert t.content_for(datetime(2026, 11, 28, 12, 0))[0] == "周末愉快"  # a Saturday
    assert t.content_for(datetime(2026, 11, 24, 12, 0))[0] == "平时好"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"text": "好" * 1700}, "5100 字节，超过企业微信 4000 字节的上限"),
        (
            {"attachments": [{"msgtype": "image", "image": {"media_id": "m"}}] * 10},
            "10 个附件，企业微信最多 9 个",
        ),
        ({"text": "{{ customer_name }}您好"}, "不含姓名的版本"),
        ({"text": "{{ phone }}"}, "未知变量 phone"),
        ({"text": "{% if %}"}, "模板语法错误"),
        ({"text": "{{ date.__class__.__mro__ }}"}, "模板不支持的属性访问"),
        ({"text": "{{ 1 / 0 }}"}, "模板不支持的算术运算"),
        ({"text": "", "attachments": []}, "文字和附件不能都为空"),
        (
            {
                "attachments": [
                    {"msgtype": "link", "link": {"title": "标" * 50, "url": "https://x"}}
                ]
            },
            "title 共 150 字节，上限 128 字节",
        ),
        ({"slots": [TimeSlot("x", start="25:00", end="26:00")]}, "应为 HH:MM"),
        ({"slots": [TimeSlot("好" * 1400)]}, "第 1 个时段文字共 4200 字节"),
    ],
)
def test_refused_at_save_with_the_reason(fields: dict[str, object], message: str) -> None:
    with pytest.raises(TemplateError) as caught:
        validate(template(**fields), None)
    assert message in str(caught.value)


async def test_blocked_words_are_refused_at_save(
    store: WelcomeStore, redis: Redis, settings: Settings
) -> None:
    keys = RedisKeys(settings.corp_id, settings.key_prefix)
    guard = TextGuard(lambda: SensitiveFilter.from_words([("竞品甲", "competitor")]), redis, keys)
    with pytest.raises(TemplateError, match="「竞品-甲」（竞品）"):
        await store.save(template(text="我们比竞品-甲好"), guard)
    assert await store.list() == []


def test_rendering_is_sandboxed_plain_text() -> None:
    assert (
        render("{{ customer_name }}，<b>欢迎</b>", {"customer_name": "<王>"}) == "<王>，<b>欢迎</b>"
    )
