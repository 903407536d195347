"""The admins' daily digest of welcomes that did not go out."""

from __future__ import annotations

from datetime import datetime, timedelta

from aiohttp.test_utils import TestServer
from redis.asyncio import Redis

from bot.clock import CORP_TIME, corp_now
from bot.config import Settings
from bot.keys import RedisKeys
from bot.sandbox import Sandbox
from bot.wecom import WeComClient
from bot.welcome.digest import compose, send_daily_digest
from bot.welcome.store import WelcomeStore
from bot.welcome.templates import WelcomeTemplate
from tests.pipeline_support import wait_until


def test_compose_names_outcomes_errors_templates_and_channels() -> None:
    tally = {
        "outcome:sent": 40,
        "outcome:failed": 3,
        "outcome:no_code": 2,
        "error:41096": 2,
        "error:48002": 1,
        "template:t1:failed": 3,
        "template:t1:sent": 30,
        "template:t2:no_code": 2,
        "channel:ch:poster:failed": 1,
    }
    text = compose("2026-11-22", tally, {"t1": "春季海报", "t2": "默认"}, {"ch:poster": "地铁海报"})
    assert text is not None
    lines = text.splitlines()
    assert lines[0] == "【欢迎语日报】2026-11-22"
    assert lines[1] == "已发送 40 条，未发送 5 条："
    assert "· 发送失败：3" in lines and "· 欢迎语 code 已过期：0" not in lines
    assert lines.index("错误码：") < next(
        i for i, x in enumerate(lines) if x.startswith("· 41096 ×2")
    )
    assert "· 春季海报：3" in lines and "· 默认：2" in lines  # names, worst first
    assert "· 地铁海报（ch:poster）：1" in lines  # a channel by its name, the id for admins


def test_a_day_without_failures_sends_nothing() -> None:
    assert compose("2026-11-22", {"outcome:sent": 12, "template:t1:sent": 12}, {}) is None


def test_a_long_digest_fits_one_message() -> None:
    tally = {f"error:{code}": 1 for code in range(40000, 40100)} | {"outcome:failed": 100}
    tally |= {f"channel:{'很长的渠道名' * 20}{n}:failed": 1 for n in range(10)}
    text = compose("2026-11-22", tally, {})
    assert text is not None and len(text.encode()) <= 2000


async def test_digest_goes_out_once_the_next_morning(
    sandbox_bot: TestServer,
    live_sandbox: Sandbox,
    sandbox_settings: Settings,
    sandbox_wecom: WeComClient,
    redis: Redis,
) -> None:
    keys = RedisKeys(sandbox_settings.corp_id, sandbox_settings.key_prefix)
    store = WelcomeStore(redis, keys)
    await store.save(WelcomeTemplate("", "张三专属", "staff", "zhangsan", "我是张三"), None)
    await live_sandbox.customer_adds_staff("zhangsan", "wmOk")

    async def welcomed() -> bool:
        return bool(live_sandbox.welcomes("wmOk"))

    await wait_until(welcomed)
    live_sandbox.faults.add("externalcontact/send_welcome_msg", errcode=41096, times=100)
    await live_sandbox.customer_adds_staff("zhangsan", "wmBusy")

    async def counted() -> bool:
        tally = await store.daily(corp_now().date().isoformat())
        return tally.get("outcome:failed") == 1 and tally.get("outcome:sent") == 1

    await wait_until(counted)
    admins = frozenset({"zhangsan"})
    today = corp_now().date()
    tomorrow_early = datetime(today.year, today.month, today.day, 8, 59, tzinfo=CORP_TIME)
    tomorrow_early += timedelta(days=1)
    message = sandbox_wecom.message
    assert not await send_daily_digest(redis, keys, message, admins, 9, tomorrow_early)
    assert live_sandbox.app_messages("zhangsan") == []
    on_time = tomorrow_early + timedelta(minutes=2)
    assert await send_daily_digest(redis, keys, message, admins, 9, on_time)
    assert not await send_daily_digest(redis, keys, message, admins, 9, on_time)  # once a day
    [digest] = live_sandbox.app_messages("zhangsan")
    text = digest.content["content"]
    assert text.startswith(f"【欢迎语日报】{today.isoformat()}\n已发送 1 条，未发送 1 条：")
    assert "· 41096 ×1" in text and "· 张三专属：1" in text


async def test_a_digest_wecom_refused_is_tried_again(
    live_sandbox: Sandbox, sandbox_settings: Settings, sandbox_wecom: WeComClient, redis: Redis
) -> None:
    keys = RedisKeys(sandbox_settings.corp_id, sandbox_settings.key_prefix)
    await WelcomeStore(redis, keys).count("t1", "", "failed", errcode=-1)
    tomorrow = corp_now() + timedelta(days=1)
    at_ten = tomorrow.replace(hour=10)
    live_sandbox.faults.add("message/send", errcode=48002, times=1)
    admins = frozenset({"zhangsan"})
    assert not await send_daily_digest(redis, keys, sandbox_wecom.message, admins, 9, at_ten)
    assert await send_daily_digest(redis, keys, sandbox_wecom.message, admins, 9, at_ten)
    assert len(live_sandbox.app_messages("zhangsan")) == 1
