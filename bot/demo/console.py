"""The demo's console scene: the admin signs in to the operators' console from a desktop
browser (WeCom's web login, the scan done by the sandbox), adds a sensitive word through a
console form, and sees the change in the audit log beside the ones made by chat."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import aiohttp

from bot.appkeys import SETTINGS
from bot.demo.admin import ADMIN

if TYPE_CHECKING:
    from bot.demo import Demo


def console_url(demo: Demo) -> str:
    return f"{demo.app[SETTINGS].public_url}/console/"


async def scene_console(demo: Demo) -> None:
    demo.sandbox.scan_in(ADMIN)  # from here on, whoever opens the console is signed in as 李四
    url = console_url(demo)
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        async with http.get(url) as page:  # → the sandbox's web login → callback → dashboard
            found = re.search(r'name="csrf-token" content="([^"]+)"', await page.text())
        if page.status != 200 or found is None:
            raise RuntimeError(f"demo: console sign-in failed (HTTP {page.status})")
        demo.say(f"管理员「李四」在电脑浏览器打开管理后台 {url} → 扫码登录成功，看到概览")
        headers = {"X-CSRF-Token": found.group(1)}
        form = {"key": "word.add", "values": {"category": "竞品", "words": "隔壁家"}}
        async with http.post(f"{url}api/run", json=form, headers=headers) as answer:
            result = await answer.json()
        demo.say(f"  在「敏感词」页面新增：{result['reply'].splitlines()[0]}")
        async with http.get(f"{url}audit") as audit:
            listed = "管理后台" in await audit.text()
        demo.say(f"  审计日志里这条改动记为「管理后台」：{'是' if listed else '否'}")
