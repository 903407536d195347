"""The demo's sidebar scene and its simulated chat window.

The scene stocks a small script library and a product, then plays a staff member opening the
chat toolbar over real HTTP: OAuth2 through the sandbox's authorize page, a search, a script
rendered for the customer, a typed text with a banned word, another member's customer. The
chat window (`/sandbox/chat` on the sandbox) frames the real sidebar page with a stub `ww`, so
a newcomer can tap a script and watch it arrive in the chat as a sent message.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import aiohttp

from bot.appkeys import HANDLER_CONTEXT, KEYS, REDIS, SETTINGS, WECOM
from bot.media import MediaLibrary
from scripts_library.products import Product, ProductStore
from scripts_library.scripts import Script, ScriptStore

if TYPE_CHECKING:
    from bot.demo import Demo

CUSTOMER = "wmDemoCustomer02"  # 赵小丽, zhangsan's customer from the channel-code scene
OTHERS_CUSTOMER = "wmDemoCustomer03"  # 孙小美, wangwu's
# a 1×1 PNG: the product card's cover, uploaded to the sandbox like an admin's picture
COVER = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cfc0f01f0005000201e221bc330000000049454e44ae426082"
)
SCRIPTS = [
    Script(
        "",
        "售后/退货",
        "退货流程",
        "{{ customer_name }}您好，退货请在订单页点「申请退货」，我们收到商品后 3 个工作日内退款。",
        keywords=["退货", "退款"],
    ),
    Script("", "售后/退货", "退货运费", "{{ customer_name }}，质量问题退货的运费由我们承担。"),
    Script("", "售后/物流", "发货时间", "您好，付款后 48 小时内发货，发货后会短信通知您。"),
    Script(
        "",
        "售前/新品",
        "新品推荐",
        "{{ customer_name }}，新款帆布托特包上市了，点开看看吧～",
        attachments=[{"msgtype": "product", "product": {"id": "tote"}}],
    ),
]


def chat_window_url(sandbox_url: str, bot_url: str, external_userid: str = CUSTOMER) -> str:
    query = urlencode(
        {
            "sidebar": f"{bot_url}/sidebar/",
            "entry": "single_chat_tools",
            "external_userid": external_userid,
        }
    )
    return f"{sandbox_url}/sandbox/chat?{query}"


async def stock_library(demo: Demo) -> None:
    app = demo.app
    redis, keys, guard = app[REDIS], app[KEYS], app[HANDLER_CONTEXT].text
    cover = await MediaLibrary(redis, keys, app[WECOM].media).add("image", "tote.png", COVER)
    await ProductStore(redis, keys).save(
        Product(
            "tote",
            "帆布托特包",
            price="129",
            description="通勤、买菜都合适",
            image_ref=cover,
            appid="wxdemo00000000001",
            page="pages/item/index?id=tote",
        ),
        guard,
    )
    store = ScriptStore(redis, keys)
    for script in SCRIPTS:
        await store.save(replace(script), "lisi", guard)  # a copy: saving assigns the id


Call = Callable[..., Awaitable[tuple[int, Any]]]


@asynccontextmanager
async def signed_in(demo: Demo, userid: str) -> AsyncIterator[tuple[Call, dict[str, str]]]:
    """A browser session of `userid` in the sidebar (OAuth2 through the sandbox): a function
    calling the sidebar's API, and the CSRF header for its POSTs."""
    demo.sandbox.sign_in(userid)
    base = demo.app[SETTINGS].public_url
    # a browser's cookie rules: aiohttp keeps cookies from IP hosts only when told to
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:

        async def call(method: str, path: str, **kwargs: Any) -> tuple[int, Any]:
            async with http.request(method, f"{base}/sidebar/{path}", **kwargs) as answer:
                return answer.status, await answer.json()

        async with http.get(f"{base}/sidebar/") as page:  # → sandbox authorize → callback
            found = re.search(r'name="csrf-token" content="([^"]+)"', await page.text())
        if page.status != 200 or found is None:
            raise RuntimeError(f"demo: sidebar sign-in failed (HTTP {page.status})")
        yield call, {"X-CSRF-Token": found.group(1)}


async def scene_sidebar(demo: Demo) -> None:
    await stock_library(demo)
    demo.say("管理员「李四」建好话术库（售后/退货、售后/物流、售前/新品）和商品「帆布托特包」")
    await demo.sandbox.customer_adds_staff("wangwu", OTHERS_CUSTOMER, name="孙小美")
    async with signed_in(demo, "zhangsan") as (call, csrf):
        demo.say("员工「张三」在与「赵小丽」的聊天中打开聊天工具栏 → OAuth2 登录成功")
        _, result = await call("GET", "api/scripts", params={"q": "退货"})
        top = result["scripts"][0]
        _, payload = await call(
            "GET", f"api/scripts/{top['id']}/messages", params={"external_userid": CUSTOMER}
        )
        await call("POST", f"api/scripts/{top['id']}/sent", headers=csrf)
        text = payload["messages"][0]["text"]["content"]
        demo.say(f"  搜索「退货」→ 点第一条「{top['title']}」→ ww.sendChatMessage：{text}")
        status, blocked = await call(
            "POST", "api/text/check", json={"text": "这款是全网最好的包"}, headers=csrf
        )
        words = "、".join(f"「{hit['text']}」（{hit['category']}）" for hit in blocked["hits"])
        demo.say(f"  手动输入「这款是全网最好的包」→ {status} 已拦截，未发送：{words}")
        status, refused = await call("GET", f"api/customers/{OTHERS_CUSTOMER}")
        demo.say(f"  打开王五的客户「孙小美」→ {status} {refused['error']}")
