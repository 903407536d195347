"""The sidebar against the WeCom sandbox: the bot on a known port (its public URL), two staff
with their own customers and a shared group, scripts with visibility, products."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer, unused_port
from redis.asyncio import Redis

from bot.config import Settings
from bot.keys import RedisKeys
from bot.media import MediaLibrary
from bot.sandbox import Sandbox
from bot.wecom import WeComClient
from bot.welcome.channels import Channel, ChannelStore
from scripts_library.products import Product, ProductStore
from scripts_library.scripts import Script, ScriptStore, Visibility

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
CUSTOMER = "wmZhangCustomer01"  # zhangsan's customer 王小明
OTHERS_CUSTOMER = "wmLisiCustomer001"  # lisi's customer 赵小丽
GROUP = "wrSharedGroup0001"  # owned by lisi; zhangsan is a member
LISI_GROUP = "wrLisiGroup000001"  # owned by lisi; zhangsan is not in it
MINIPROGRAM_APPID = "wx1234567890abcdef"


@dataclass
class Library:
    """Ids of what the fixture seeded."""

    returns: str  # 退货流程 (top hit for 退货)
    shipping: str  # 退货运费说明
    launch: str  # 新品介绍, with a product attachment
    lisi_only: str  # visible to lisi alone
    disabled: str
    bag: str  # mini-program product
    guide: str  # link product
    cover_ref: str


@pytest.fixture
def sidebar_settings(sandbox_settings: Settings, live_sandbox: Sandbox) -> Settings:
    """The bot's public URL is where the test serves it; OAuth goes through the sandbox."""
    port = unused_port()
    return replace(
        sandbox_settings,
        public_url=f"http://127.0.0.1:{port}",
        oauth_authorize_url=f"{live_sandbox.base_url}/connect/oauth2/authorize",
    )


@pytest.fixture
async def sidebar_bot(sidebar_settings: Settings, aiohttp_server: Any) -> TestServer:
    """The web-facing bot (role `callback`: the sidebar without the pipeline)."""
    from bot.app import create_app

    port = int(sidebar_settings.public_url.rsplit(":", 1)[1])
    server: TestServer = await aiohttp_server(
        create_app(sidebar_settings, role="callback"), port=port
    )
    return server


@pytest.fixture
async def library(
    sidebar_settings: Settings,
    live_sandbox: Sandbox,
    sandbox_wecom: WeComClient,
    redis: Redis,
) -> Library:
    sandbox = live_sandbox
    await sandbox.customer_adds_staff("zhangsan", CUSTOMER, name="王小明", state="ch:spring")
    await sandbox.customer_adds_staff("lisi", OTHERS_CUSTOMER, name="赵小丽")
    follow = sandbox.state.follow("zhangsan", CUSTOMER)
    assert follow is not None
    follow.remark = "王先生（老客户）"
    group = await sandbox_wecom.external_contact.add_corp_tag(["VIP"], group_name="客户等级")
    await sandbox_wecom.external_contact.mark_tag("zhangsan", CUSTOMER, [group["tag"][0]["id"]])
    await sandbox.group_created("lisi", GROUP, ["zhangsan", CUSTOMER], name="老客户福利群")
    await sandbox.group_created("lisi", LISI_GROUP, [OTHERS_CUSTOMER], name="李四的群")

    keys = RedisKeys(sidebar_settings.corp_id, sidebar_settings.key_prefix)
    await ChannelStore(redis, keys).save(Channel("spring", "春季海报", users=["zhangsan"]))
    cover = await MediaLibrary(redis, keys, sandbox_wecom.media).add("image", "bag.png", PNG)
    products = ProductStore(redis, keys)
    bag = await products.save(
        Product(
            "bag",
            "托特包",
            price="199",
            description="帆布托特包",
            image_ref=cover,
            appid=MINIPROGRAM_APPID,
            page="pages/item/index?id=bag",
        ),
        None,
    )
    guide = await products.save(
        Product("guide", "尺码指南", url="https://shop.example.com/size", image_url=""), None
    )
    scripts = ScriptStore(redis, keys)

    async def add(script: Script) -> str:
        return (await scripts.save(script, "admin1", None)).id

    return Library(
        returns=await add(
            Script(
                "",
                "售后/退货",
                "退货流程",
                "{{ customer_name }}您好，退货请在订单页点「申请退货」，"
                "收到商品后 3 个工作日内退款。",
                keywords=["退货", "退款"],
            )
        ),
        shipping=await add(
            Script("", "售后/退货", "退货运费说明", "质量问题退货的运费由我们承担。")
        ),
        launch=await add(
            Script(
                "",
                "售前/新品",
                "新品介绍",
                "{{ customer_name }}，新款托特包上市了，点开看看吧～",
                attachments=[{"msgtype": "product", "product": {"id": bag.id}}],
            )
        ),
        lisi_only=await add(
            Script(
                "",
                "内部/价格",
                "内部退货底价",
                "退货底价说明（仅李四可见）",
                visibility=Visibility(everyone=False, staff=["lisi"]),
            )
        ),
        disabled=await add(Script("", "售后/退货", "旧退货政策", "已停用", enabled=False)),
        bag=bag.id,
        guide=guide.id,
        cover_ref=cover,
    )


class Browser:
    """A cookie-keeping HTTP client that signs in through the sandbox's OAuth page."""

    def __init__(self, settings: Settings, sandbox: Sandbox) -> None:
        self.base = settings.public_url
        self.sandbox = sandbox
        # aiohttp refuses cookies from IP hosts unless told otherwise; browsers don't
        self.http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        self.csrf = ""

    async def sign_in(self, userid: str) -> str:
        self.sandbox.sign_in(userid)
        async with self.http.get(f"{self.base}/sidebar/") as response:
            assert response.status == 200, await response.text()
            page = await response.text()
        found = re.search(r'name="csrf-token" content="([^"]+)"', page)
        assert found is not None
        self.csrf = found.group(1)
        return page

    async def get(self, path: str, **params: str) -> tuple[int, Any]:
        async with self.http.get(f"{self.base}/sidebar/{path}", params=params) as response:
            return response.status, await response.json()

    async def post(
        self, path: str, body: Any = None, *, csrf: str | None = None, **headers: str
    ) -> tuple[int, Any]:
        sent = {"X-CSRF-Token": self.csrf if csrf is None else csrf, **headers}
        async with self.http.post(
            f"{self.base}/sidebar/{path}", json=body, headers=sent
        ) as response:
            return response.status, await response.json()

    async def close(self) -> None:
        await self.http.close()


@pytest.fixture
async def browser(
    sidebar_settings: Settings, live_sandbox: Sandbox, sidebar_bot: TestServer
) -> AsyncIterator[Browser]:
    client = Browser(sidebar_settings, live_sandbox)
    yield client
    await client.close()
