"""Department precedence, file and product attachments, and failures that outlast the window."""

from __future__ import annotations

import time

import pytest
from aiohttp.test_utils import TestServer
from redis.asyncio import Redis

from bot.clock import corp_now
from bot.config import Settings
from bot.keys import RedisKeys
from bot.media import MediaLibrary
from bot.sandbox import Sandbox
from bot.wecom import WeComClient
from bot.welcome.store import WelcomeStore
from bot.welcome.templates import TemplateError, WelcomeTemplate
from scripts_library.products import Product, ProductStore
from tests.pipeline_support import wait_until

PNG = b"\x89PNG\r\n\x1a\n" + bytes(200)


@pytest.fixture
def keys(sandbox_settings: Settings) -> RedisKeys:
    return RedisKeys(sandbox_settings.corp_id, sandbox_settings.key_prefix)


@pytest.fixture
def store(redis: Redis, keys: RedisKeys) -> WelcomeStore:
    return WelcomeStore(redis, keys)


@pytest.fixture
def media(redis: Redis, keys: RedisKeys, sandbox_wecom: WeComClient) -> MediaLibrary:
    return MediaLibrary(redis, keys, sandbox_wecom.media)


def age(sandbox: Sandbox, media_id: str, days: float) -> None:
    """Make an upload older in the sandbox without moving its clock (callbacks would go stale)."""
    sandbox.state.media[media_id].created_at -= int(days * 86400)


async def welcome_of(sandbox: Sandbox, who: str) -> tuple[str, list[dict[str, object]]]:
    async def arrived() -> bool:
        return bool(sandbox.welcomes(who))

    await wait_until(arrived)
    [welcome] = sandbox.welcomes(who)
    return welcome.text, welcome.attachments


async def test_department_between_staff_and_default(
    sandbox_bot: TestServer, live_sandbox: Sandbox, store: WelcomeStore
) -> None:
    live_sandbox.add_staff("zhaoliu", "赵六", [7, 5])  # main department 7, also in 5
    await live_sandbox.customer_adds_staff("zhaoliu", "wmNoDept")
    await welcome_of(live_sandbox, "wmNoDept")
    assert live_sandbox.calls_to("user/get") == []  # no department template: no lookup

    await store.save(WelcomeTemplate("", "华东", "department", "5", "华东团队欢迎您"), None)
    await live_sandbox.customer_adds_staff("zhaoliu", "wmEast1")
    assert (await welcome_of(live_sandbox, "wmEast1"))[0] == "华东团队欢迎您"
    await live_sandbox.customer_adds_staff("zhaoliu", "wmEast2")
    await welcome_of(live_sandbox, "wmEast2")
    assert len(live_sandbox.calls_to("user/get")) == 1  # the second add used the cache

    await store.save(WelcomeTemplate("", "主部门", "department", "7", "总部欢迎您"), None)
    await live_sandbox.customer_adds_staff("zhaoliu", "wmMain")
    assert (await welcome_of(live_sandbox, "wmMain"))[0] == "总部欢迎您"  # main dept first

    await store.save(WelcomeTemplate("", "赵六", "staff", "zhaoliu", "我是赵六"), None)
    await live_sandbox.customer_adds_staff("zhaoliu", "wmStaff")
    assert (await welcome_of(live_sandbox, "wmStaff"))[0] == "我是赵六"


async def test_department_lookup_failure_falls_back_to_default(
    sandbox_bot: TestServer, live_sandbox: Sandbox, store: WelcomeStore
) -> None:
    await store.save(WelcomeTemplate("", "华东", "department", "5", "华东团队欢迎您"), None)
    live_sandbox.add_staff("qianqi", "钱七", [5])
    live_sandbox.faults.add("user/get", errcode=60011, times=1)
    await live_sandbox.customer_adds_staff("qianqi", "wmHidden")
    text, _ = await welcome_of(live_sandbox, "wmHidden")
    assert text.startswith("您好，很高兴认识您")  # the default, sent in time anyway


async def test_department_target_must_be_an_id(store: WelcomeStore) -> None:
    with pytest.raises(TemplateError, match="部门 ID 应是数字"):
        await store.save(WelcomeTemplate("", "x", "department", "华东", "hi"), None)


async def test_image_is_uploaded_again_before_it_expires(
    sandbox_bot: TestServer,
    live_sandbox: Sandbox,
    store: WelcomeStore,
    sandbox_wecom: WeComClient,
    redis: Redis,
    keys: RedisKeys,
) -> None:
    days_later = 0.0
    media = MediaLibrary(
        redis, keys, sandbox_wecom.media, clock=lambda: time.time() + days_later * 86400
    )
    ref = await media.add("image", "poster.png", PNG)
    first_id = await media.media_id(ref)
    image = {"msgtype": "image", "image": {"media_ref": ref}}
    await store.save(WelcomeTemplate("", "海报", "default", "", "看看海报", [image]), None)

    days_later = 2.0
    assert await media.refresh_due() == 0
    days_later = 2.6
    assert await media.refresh_due() == 1
    second_id = await media.media_id(ref)
    assert second_id != first_id and await media.refresh_due() == 0
    age(live_sandbox, first_id, days=3.1)  # WeCom forgot the first upload
    await live_sandbox.customer_adds_staff("zhangsan", "wmPoster")
    _, attachments = await welcome_of(live_sandbox, "wmPoster")
    assert attachments == [{"msgtype": "image", "image": {"media_id": second_id}}]


async def test_a_media_id_wecom_forgot_is_uploaded_again_for_the_retry(
    sandbox_bot: TestServer,
    live_sandbox: Sandbox,
    store: WelcomeStore,
    media: MediaLibrary,
) -> None:
    ref = await media.add("image", "poster.png", PNG)
    image = {"msgtype": "image", "image": {"media_ref": ref}}
    await store.save(WelcomeTemplate("", "海报", "default", "", "看海报", [image]), None)
    stale = await media.media_id(ref)
    age(live_sandbox, stale, days=3.1)  # nobody refreshed it: WeCom answers 40007
    await live_sandbox.customer_adds_staff("zhangsan", "wmStale")
    _, attachments = await welcome_of(live_sandbox, "wmStale")
    fresh = attachments[0]["image"]["media_id"]  # type: ignore[index]
    assert fresh != stale and fresh == await media.media_id(ref)
    assert [c.errcode for c in live_sandbox.calls_to("externalcontact/send_welcome_msg")] == [
        40007,
        0,
    ]


async def test_product_cards_are_built_when_sent(
    sandbox_bot: TestServer,
    live_sandbox: Sandbox,
    store: WelcomeStore,
    media: MediaLibrary,
    redis: Redis,
    keys: RedisKeys,
) -> None:
    products = ProductStore(redis, keys)
    cover = await media.add("image", "cream.png", PNG)
    await products.save(
        Product("cream", "保湿霜", "199", "补水保湿", cover, appid="wx1234", page="pages/p?id=1"),
        None,
    )
    await products.save(Product("card", "会员卡", "0", "免费领取", url="https://e.com/c"), None)
    cards = [
        {"msgtype": "product", "product": {"id": "cream"}},
        {"msgtype": "product", "product": {"id": "card"}},
    ]
    await store.save(WelcomeTemplate("", "新品", "default", "", "新品推荐", cards), None)
    await products.save(
        Product("cream", "保湿霜", "159", "补水保湿", cover, appid="wx1234", page="pages/p?id=1"),
        None,
    )  # a price change after the template was saved
    await live_sandbox.customer_adds_staff("zhangsan", "wmShopper")
    _, attachments = await welcome_of(live_sandbox, "wmShopper")
    mini, link = attachments
    assert mini["msgtype"] == "miniprogram"
    assert mini["miniprogram"]["title"] == "保湿霜 ¥159"  # type: ignore[index]
    assert mini["miniprogram"]["pic_media_id"] in live_sandbox.state.media  # type: ignore[index]
    assert link == {
        "msgtype": "link",
        "link": {"title": "会员卡 ¥0", "url": "https://e.com/c", "picurl": "", "desc": "免费领取"},
    }


async def test_missing_products_and_files_are_refused_at_save(store: WelcomeStore) -> None:
    product = [{"msgtype": "product", "product": {"id": "nope"}}]
    with pytest.raises(TemplateError, match="商品 nope 不在商品库中"):
        await store.save(WelcomeTemplate("", "x", "default", "", "hi", product), None)
    image = [{"msgtype": "image", "image": {"media_ref": "image-0000"}}]
    with pytest.raises(TemplateError, match="附件文件 image-0000 不在库中"):
        await store.save(WelcomeTemplate("", "x", "default", "", "hi", image), None)


async def test_busy_until_the_window_ends_counts_a_failure(
    sandbox_bot: TestServer, live_sandbox: Sandbox, store: WelcomeStore, redis: Redis
) -> None:
    live_sandbox.faults.add("externalcontact/send_welcome_msg", errcode=41096, times=100)
    await live_sandbox.customer_adds_staff("zhangsan", "wmBusy")

    async def counted() -> bool:
        return (await store.stats()).get("template:default:failed") == 1

    await wait_until(counted)
    tally = await store.daily(corp_now().date().isoformat())
    assert tally["error:41096"] == 1 and tally["outcome:failed"] == 1
