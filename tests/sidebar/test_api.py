"""The sidebar's JSON API against the sandbox: follow and group checks, visibility, signatures,
the payloads handed to `ww.sendChatMessage`, the sensitive-word check, bad input."""

from __future__ import annotations

import asyncio
import time

import aiohttp
from aiohttp.test_utils import TestServer
from redis.asyncio import Redis

from bot.appkeys import FILTER
from bot.config import Settings
from bot.events import ChatText
from bot.keys import RedisKeys
from bot.profiles.store import ProfileStore
from bot.rfm.orders import OrderStore, parse_order
from bot.rfm.runner import RfmRunner
from bot.sandbox import Sandbox
from bot.text.library import WordLibrary
from bot.wecom import WeComClient
from bot.wecom.api.jsapi import jsapi_signature
from scripts_library.scripts import ScriptStore
from sidebar_web.api_context import corp_time
from sidebar_web.common import NOT_IN_GROUP, NOT_YOUR_CUSTOMER
from tests.sidebar.conftest import (
    CUSTOMER,
    GROUP,
    LISI_GROUP,
    MINIPROGRAM_APPID,
    OTHERS_CUSTOMER,
    PNG,
    Browser,
    Library,
)


async def test_the_profile_of_my_customer(
    browser: Browser, library: Library, redis: Redis, sidebar_settings: Settings
) -> None:
    await browser.sign_in("zhangsan")
    status, profile = await browser.get(f"api/customers/{CUSTOMER}")
    assert status == 200
    assert profile["name"] == "王小明" and profile["remark"] == "王先生（老客户）"
    assert profile["tags"] == [{"group": "客户等级", "name": "VIP"}]
    assert profile["channel"] == "春季海报"  # from the add's State ch:spring
    assert profile["added_at"]
    assert profile["last_activity"] is None and profile["messages"] == 0  # no chat seen yet
    # a message the bot saw (any source) shows up as the latest activity, with the counts
    keys = RedisKeys(sidebar_settings.corp_id, sidebar_settings.key_prefix)
    sent = ChatText(
        msgid="m1",
        source="ingest",
        sender="customer",
        external_userid=CUSTOMER,
        staff_userid="zhangsan",
        text="在吗",
        sent_at=1_767_225_600,  # 2026-01-01 08:00 in Shanghai
    )
    await ProfileStore(redis, keys).message(sent)
    status, profile = await browser.get(f"api/customers/{CUSTOMER}")
    assert profile["last_activity"] == "2026-01-01 08:00"
    assert (profile["messages"], profile["messages_with_me"]) == (1, 1)
    assert profile["segment"] is None  # no orders yet
    # two orders and an RFM run: the segment shows (alone in the population, above average)
    now = time.time()
    rows = [
        parse_order(
            {
                "order_id": f"T{i}",
                "external_userid": CUSTOMER,
                "amount": "64.50",
                "paid_at": int(now) - 86400 * i,
            },
            now,
        )
        for i in (1, 2)
    ]
    await OrderStore(redis, keys).apply(rows)
    async with aiohttp.ClientSession() as session:
        api = WeComClient.from_settings(sidebar_settings, session, redis).external_contact
        await RfmRunner(redis, keys, api, window_days=90).run(now)
    status, profile = await browser.get(f"api/customers/{CUSTOMER}")
    assert profile["segment"] == {
        "name": "头部活跃",
        "orders": 2,
        "spent": "129.00",
        "window_days": 90,
        "last_order": corp_time(int(now) - 86400),
    }


async def test_another_members_customer_is_refused(
    browser: Browser, library: Library, live_sandbox: Sandbox
) -> None:
    await browser.sign_in("zhangsan")
    refused = (403, {"error": NOT_YOUR_CUSTOMER})
    assert await browser.get(f"api/customers/{OTHERS_CUSTOMER}") == refused
    # nor can a script be rendered with their name
    path = f"api/scripts/{library.returns}/messages"
    assert await browser.get(path, external_userid=OTHERS_CUSTOMER) == refused
    # a customer nobody follows any more (84061 from WeCom) is refused the same way
    await live_sandbox.customer_deletes_staff("lisi", OTHERS_CUSTOMER)
    assert await browser.get(f"api/customers/{OTHERS_CUSTOMER}") == refused
    status, body = await browser.get("api/customers/wmNoSuchCustomer")
    assert status == 404 and "找不到" in body["error"]


async def test_groups_need_the_member_in_them(browser: Browser, library: Library) -> None:
    await browser.sign_in("zhangsan")
    status, group = await browser.get(f"api/groups/{GROUP}")
    assert status == 200
    assert group["name"] == "老客户福利群" and group["owner"] == "李四"
    assert (group["customers"], group["staff"], group["is_owner"]) == (1, 2, False)
    status, body = await browser.get(f"api/groups/{LISI_GROUP}")
    assert (status, body["error"]) == (403, NOT_IN_GROUP)
    status, payload = await browser.get(f"api/scripts/{library.returns}/messages", chat_id=GROUP)
    assert status == 200
    assert payload["messages"][0]["text"]["content"].startswith("大家您好，退货请在")
    assert (await browser.get(f"api/scripts/{library.returns}/messages", chat_id=LISI_GROUP))[
        0
    ] == 403


async def test_scripts_respect_visibility_and_enabled(browser: Browser, library: Library) -> None:
    await browser.sign_in("zhangsan")
    status, home = await browser.get("api/scripts/home")
    assert status == 200
    shown = {s["id"] for s in home["scripts"]}
    assert shown == {library.returns, library.shipping, library.launch}
    assert "内部/价格" not in home["categories"] and "售后/退货" in home["categories"]
    status, found = await browser.get("api/scripts", q="退货")
    assert [s["id"] for s in found["scripts"]][:2] == [library.returns, library.shipping]
    for hidden in (library.lisi_only, library.disabled):
        path = f"api/scripts/{hidden}/messages"
        assert await browser.get(path, external_userid=CUSTOMER) == (
            404,
            {"error": "话术不存在或已停用"},
        )
        assert (await browser.post(f"api/scripts/{hidden}/sent"))[0] == 404

    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        lisi = Browser.__new__(Browser)
        lisi.__dict__.update(browser.__dict__)
        lisi.http = http
        await lisi.sign_in("lisi")
        status, found = await lisi.get("api/scripts", q="退货")
        assert library.lisi_only in {s["id"] for s in found["scripts"]}


async def test_a_script_becomes_messages_for_the_customer(
    browser: Browser, library: Library, sidebar_settings: Settings, redis: Redis
) -> None:
    await browser.sign_in("zhangsan")
    status, payload = await browser.get(
        f"api/scripts/{library.launch}/messages", external_userid=CUSTOMER
    )
    assert status == 200
    text, card = payload["messages"]
    assert text == {
        "msgtype": "text",
        "text": {"content": "王小明，新款托特包上市了，点开看看吧～"},
    }
    cover_url = f"{sidebar_settings.public_url}/sidebar/media/{library.cover_ref}"
    assert card == {
        "msgtype": "miniprogram",
        "miniprogram": {
            "appid": MINIPROGRAM_APPID,
            "title": "托特包 ¥199",
            "imgUrl": cover_url,
            "page": "pages/item/index.html?id=bag",  # the JS-SDK wants .html
        },
    }
    async with browser.http.get(cover_url) as cover:  # WeCom's client fetches it: no cookie
        assert cover.status == 200 and cover.content_type == "image/png"
        assert await cover.read() == PNG
    async with browser.http.get(f"{browser.base}/sidebar/media/image-{'0' * 32}") as missing:
        assert missing.status == 404

    assert (await browser.post(f"api/scripts/{library.launch}/sent"))[0] == 200
    keys = RedisKeys(sidebar_settings.corp_id, sidebar_settings.key_prefix)
    assert await ScriptStore(redis, keys).recent("zhangsan") == [library.launch]
    status, home = await browser.get("api/scripts/home")
    assert [s["id"] for s in home["recent"]] == [library.launch]


async def test_products(browser: Browser, library: Library) -> None:
    await browser.sign_in("zhangsan")
    status, listed = await browser.get("api/products")
    assert status == 200
    assert [(p["id"], p["kind"]) for p in listed["products"]] == [
        (library.bag, "小程序"),
        (library.guide, "链接"),
    ]
    status, body = await browser.get(f"api/products/{library.guide}/message")
    assert body["message"] == {
        "msgtype": "news",
        "news": {
            "link": "https://shop.example.com/size",
            "title": "尺码指南",
            "desc": "",
            "imgUrl": "",
        },
    }
    status, body = await browser.get(f"api/products/{library.bag}/message")
    assert body["message"]["msgtype"] == "miniprogram"
    assert (await browser.get("api/products/nope/message"))[0] == 404


async def test_free_text_is_checked(browser: Browser) -> None:
    await browser.sign_in("zhangsan")
    status, body = await browser.post("api/text/check", {"text": "这款面霜销量第一"})
    assert status == 422
    assert body["error"] == "内容含有禁止发送的词，已拦截，未发送"
    assert body["hits"] == [
        {
            "text": "销量第一",
            "word": "销量第一",
            "category": "广告法极限词",
            "reason": "《广告法》第九条禁止绝对化用语，请换成不绝对的说法（如「很受欢迎」）",
            "action": "block",
        }
    ]
    status, body = await browser.post("api/text/check", {"text": "明天发货"})
    assert (status, body) == (
        200,
        {"message": {"msgtype": "text", "text": {"content": "明天发货"}}},
    )


async def test_js_sdk_signatures(
    browser: Browser, live_sandbox: Sandbox, sidebar_settings: Settings
) -> None:
    await browser.sign_in("zhangsan")
    page = f"{browser.base}/sidebar/?signed_in=1"
    status, signed = await browser.get("api/signature", url=page + "#/profile")
    assert status == 200
    assert (signed["corpId"], signed["agentId"]) == (live_sandbox.corp_id, live_sandbox.agent_id)
    for part, kind in (("config", "corp"), ("agentConfig", "agent")):
        ticket = live_sandbox.state.tickets[kind].value
        s = signed[part]
        assert s["signature"] == jsapi_signature(ticket, s["nonceStr"], s["timestamp"], page)
    await browser.get("api/signature", url=page)
    # both tickets are cached: one fetch each however often pages are signed
    assert len(live_sandbox.calls_to("get_jsapi_ticket")) == 1
    assert len(live_sandbox.calls_to("ticket/get")) == 1
    for foreign in (
        "https://evil.example.com/sidebar/",
        f"{browser.base}/wecom/callback",
        sidebar_settings.public_url.replace("http://", "https://") + "/sidebar/",
        "",
    ):
        status, body = await browser.get("api/signature", url=foreign)
        assert (status, body["error"]) == (400, "只能为本应用侧边栏的页面生成签名")


async def test_bad_input_gets_a_clear_4xx(browser: Browser, library: Library) -> None:
    await browser.sign_in("zhangsan")
    assert (await browser.get("api/customers/bad%20id"))[0] == 400
    assert (await browser.get("api/groups/" + "x" * 65))[0] == 400
    status, body = await browser.get(f"api/scripts/{library.returns}/messages")
    assert (status, body["error"]) == (400, "缺少当前客户或客户群")
    assert (await browser.get("api/scripts", q="退" * 51))[0] == 400
    assert (await browser.post("api/text/check", {"text": ""}))[1]["error"] == "请填写要发送的内容"
    assert (await browser.post("api/text/check", ["not", "an", "object"]))[0] == 400
    status, body = await browser.post("api/text/check", {"text": "好" * 2000})
    assert (status, body["error"]) == (400, "内容过长（上限 4000 字节）")
    async with browser.http.post(
        f"{browser.base}/sidebar/api/text/check",
        data=b"x" * 20000,
        headers={"X-CSRF-Token": browser.csrf, "Content-Type": "application/json"},
    ) as big:
        assert big.status == 413 and "请求内容过大" in (await big.json())["error"]
    async with browser.http.post(
        f"{browser.base}/sidebar/api/text/check",
        data="{not json",
        headers={"X-CSRF-Token": browser.csrf, "Content-Type": "application/json"},
    ) as broken:
        assert broken.status == 400 and (await broken.json())["error"] == "请求内容不是有效的 JSON"
    async with browser.http.post(
        f"{browser.base}/sidebar/api/text/check",
        data="text=hi",
        headers={"X-CSRF-Token": browser.csrf},
    ) as form:
        assert form.status == 415
    assert await browser.get("api/no/such/thing") == (404, {"error": "没有这个接口"})
    async with browser.http.delete(
        f"{browser.base}/sidebar/api/products", headers={"X-CSRF-Token": browser.csrf}
    ) as wrong_method:
        assert wrong_method.status == 405 and "error" in await wrong_method.json()


async def test_mask_words_are_starred_in_free_text(
    browser: Browser, sidebar_bot: TestServer, sidebar_settings: Settings, redis: Redis
) -> None:
    reloader = sidebar_bot.app[FILTER]
    reloader.reloaded.clear()
    keys = RedisKeys(sidebar_settings.corp_id, sidebar_settings.key_prefix)
    await WordLibrary(redis, keys).add([(1, "笨蛋", "uncivil")])  # 不文明: mask by default
    await asyncio.wait_for(reloader.reloaded.wait(), timeout=5)
    await browser.sign_in("zhangsan")
    status, body = await browser.post("api/text/check", {"text": "别说笨蛋这种话"})
    assert (status, body["message"]["text"]["content"]) == (200, "别说**这种话")
