"""The console's 企业微信统计 page: WeCom's figures beside ours per day, a day where WeCom counted
more new customers flagged with the member by name, the members' reply figures and the
customer groups' figures of the day."""

from __future__ import annotations

from datetime import datetime, timedelta

from aiohttp.test_utils import TestServer
from redis.asyncio import Redis

from bot.clock import CORP_TIME
from bot.config import Settings
from bot.keys import RedisKeys
from bot.wecom_stats.pull import WeComStatsStore
from tests.console.conftest import SignIn


async def test_flagged_day_with_the_member_by_name(
    console_bot: TestServer, console_settings: Settings, sign_in: SignIn, redis: Redis
) -> None:
    browser = await sign_in("admin1")
    async with browser.http.get(f"{browser.base}wecom-stats") as page:
        assert "还没有读取企业微信的统计" in await page.text()
    keys = RedisKeys(console_settings.corp_id, console_settings.key_prefix)
    yesterday = datetime.now(CORP_TIME).date() - timedelta(days=1)
    lisi = {"new_contact_cnt": 5, "chat_cnt": 9, "reply_percentage": 80.0, "avg_reply_time": 3}
    zhangsan = {"new_contact_cnt": 0, "reply_percentage": 100, "avg_reply_time": 6}
    groups = {"new_chat_cnt": 2, "chat_total": 17, "member_total": 431, "msg_total": 1208}
    await WeComStatsStore(redis, keys).save(
        yesterday, {"lisi": lisi, "zhangsan": zhangsan, "groups": groups}
    )
    async with browser.http.get(f"{browser.base}wecom-stats") as page:
        html = await page.text()
    assert yesterday.isoformat() in html and "不一致（+5）" in html
    assert "李四（lisi） 0/5" in html
    assert "<td>90%</td>" in html and "<td>4 分钟</td>" in html  # the members' means (4.5 → 4)
    assert "客户群（企业微信的统计）" in html
    assert (
        f"<td>{yesterday.isoformat()}</td><td>2</td><td>17</td><td>0</td><td>0</td><td>431</td>"
        in html
    )
