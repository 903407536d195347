"""`/sidebar/admin/stats`: SVG charts drawn on the server for admins only, under the strict CSP,
with every name an admin or a staff member chose escaped."""

from __future__ import annotations

import re
import time
from datetime import timedelta

from redis.asyncio import Redis

from bot.clock import corp_date
from bot.config import Settings
from bot.keys import RedisKeys
from bot.sandbox import Sandbox
from bot.stats import record_sop
from bot.welcome.channels import Channel, ChannelStore
from tests.sidebar.conftest import Browser
from tests.stats.conftest import seed_day

EVIL_CHANNEL = '<img src=x onerror="alert(1)">春季'
EVIL_STAFF = "<script>alert(2)</script>"


async def page(browser: Browser, query: str = "") -> tuple[int, str, dict[str, str]]:
    async with browser.http.get(
        f"{browser.base}/sidebar/admin/stats{query}", allow_redirects=False
    ) as response:
        return response.status, await response.text(), dict(response.headers)


async def test_the_admin_sees_the_charts(
    browser: Browser, live_sandbox: Sandbox, redis: Redis, keys: RedisKeys
) -> None:
    now = int(time.time())
    today = corp_date(now)
    await seed_day(redis, keys, now, channel="evil")
    await ChannelStore(redis, keys).save(Channel("evil", EVIL_CHANNEL, users=["zhangsan"]))
    await record_sop(redis, keys, "sent", EVIL_STAFF, now)
    live_sandbox.add_staff("admin1", "管理员")
    await browser.sign_in("admin1")

    status, html, headers = await page(browser)
    assert status == 200
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert "<script" not in html and "style=" not in html  # nothing the CSP would block
    assert f"{today - timedelta(days=29)} 至 {today}（最近 30 天）" in html
    captions = re.findall(r"<figcaption[^>]*>([^<]+)</figcaption>", html)
    assert captions == [
        "每日新增与流失客户",
        "留存率（按添加日期）",
        "客户群：入群与退群",
        "SOP 提醒：已发与已完成",
        "各渠道新增客户",
    ]
    assert html.count('<svg class="plot"') == 5
    # 30 days × (new, lost): each bar carries its value as a tooltip
    assert len(re.findall(r'<rect class="bar new"', html)) == 30 + 1  # and the channel's bar
    assert f"<title>{today} 新增客户：3</title>" in html
    assert f"<title>{today} 流失客户：1</title>" in html
    assert f"<title>{today} 入群：3</title>" in html
    assert f"<title>{today} SOP已发：3</title>" in html
    assert '<polyline class="line net"' in html
    assert "暂无数据" in html  # the retention chart: no day's retention is known yet
    assert re.search(r'<span class="swatch r7"></span>7日留存', html)

    # what admins and WeCom let people name comes out as text, never as markup
    assert EVIL_CHANNEL not in html and EVIL_STAFF not in html
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;春季" in html
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in html

    status, html, _ = await page(browser, "?days=7")
    assert status == 200 and "（最近 7 天）" in html
    assert len(re.findall(r'<rect class="bar lost"', html)) == 7
    for asked, shown in (("500", 90), ("1", 7), ("abc", 30)):
        status, html, _ = await page(browser, f"?days={asked}")
        assert status == 200 and f"（最近 {shown} 天）" in html

    async with browser.http.get(f"{browser.base}/sidebar/static/stats.css") as css:
        assert css.status == 200 and "polyline.line" in await css.text()


async def test_only_admins_may_look(
    browser: Browser, live_sandbox: Sandbox, sidebar_settings: Settings
) -> None:
    status, _, headers = await page(browser)  # not signed in: off to WeCom's sign-in
    assert status == 302
    assert headers["Location"].startswith(sidebar_settings.oauth_authorize_url + "?")
    assert "back%3Dadmin%252Fstats" in headers["Location"]  # and back here afterwards
    # back from signing in without the cookie (blocked by the browser): no endless round
    status, html, _ = await page(browser, f"?signed_in={int(time.time())}")
    assert status == 400 and "无法保持登录" in html

    live_sandbox.add_staff("admin1", "管理员")
    live_sandbox.sign_in("admin1")
    async with browser.http.get(f"{browser.base}/sidebar/admin/stats") as signed_in:
        assert signed_in.status == 200 and signed_in.url.path == "/sidebar/admin/stats"
        assert "<h1>运营统计</h1>" in await signed_in.text()
    browser.http.cookie_jar.clear()

    await browser.sign_in("zhangsan")
    status, html, _ = await page(browser)
    assert status == 403
    assert "无权查看" in html and "只对管理员开放" in html and "<svg" not in html
