"""Fixtures of the configuration-as-code tests: a corp filled with realistic configuration
through the stores' own save paths, a second (empty) key prefix, and the WeCom sandbox."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from redis.asyncio import Redis

from bot.cli.output import AdminServices
from bot.config import Settings
from bot.config_io import ConfigImporter
from bot.fission.model import Activity
from bot.fission.store import FissionStore
from bot.group_codes.codes import GroupCode
from bot.group_codes.store import GroupCodeStore
from bot.keys import RedisKeys
from bot.media import MediaLibrary
from bot.sandbox import Sandbox
from bot.sop.rules import Schedule, SopRule, SopStep
from bot.sop.store import SopStore
from bot.store_codes.csv_import import parse_stores
from bot.store_codes.model import Campaign
from bot.store_codes.store import StoreCodeStore
from bot.tagging.rules import TagRule
from bot.tagging.store import TagRuleStore
from bot.text.library import WordLibrary
from bot.wecom import WeComClient
from bot.welcome.channels import Channel, ChannelStore, StaffSlot
from bot.welcome.contact_ways import ChannelManager
from bot.welcome.group import GroupWelcome, GroupWelcomeStore
from bot.welcome.store import WelcomeStore
from bot.welcome.templates import TimeSlot, WelcomeTemplate
from scripts_library.products import Product, ProductStore
from scripts_library.scripts import Script, ScriptStore, Visibility


@pytest.fixture
def keys(sandbox_settings: Settings) -> RedisKeys:
    return RedisKeys(sandbox_settings.corp_id, sandbox_settings.key_prefix)


@pytest.fixture
async def empty_keys(sandbox_settings: Settings, redis: Redis) -> AsyncIterator[RedisKeys]:
    """A second, empty prefix of the same corp (the restore target), cleaned up after."""
    prefix = f"test-{uuid.uuid4().hex[:12]}"
    yield RedisKeys(sandbox_settings.corp_id, prefix)
    found = [key async for key in redis.scan_iter(match=f"{prefix}:*", count=1000)]
    if found:
        await redis.delete(*found)


@pytest.fixture
async def wecom(sandbox_wecom: WeComClient, live_sandbox: Sandbox) -> WeComClient:
    """The client, with the customer groups the filled configuration names."""
    await store_groups(live_sandbox)
    return sandbox_wecom


async def store_groups(sandbox: Sandbox) -> None:
    """The customer groups `fill`'s group live code fills, in the sandbox."""
    for chat in STORE_GROUPS:
        await sandbox.group_created("lisi", chat, ["zhangsan"], name=f"门店群{chat[-1]}")


def importer(redis: Redis, keys: RedisKeys, wecom: WeComClient) -> ConfigImporter:
    return ConfigImporter(redis, keys, wecom.external_contact, wecom=wecom)


STORE_GROUPS = ("wrGroupStore1", "wrGroupStore2")
POSTER = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"
    b"\x90wS\xde\x00\x00\x00\x0cIDATx\x9cc\xf8\xcf\xc0\x00\x00\x03\x01\x01\x00\xc9\xfe\x92\xef"
    b"\x00\x00\x00\x00IEND\xaeB`\x82"
)  # a 1×1 PNG: the fission activity's poster


@dataclass
class Filled:
    """The ids of what `fill` saved."""

    scripts: list[str]
    channel: str
    group_welcome: str
    sops: list[str]
    group_code: str
    fission: str


async def fill(redis: Redis, keys: RedisKeys, wecom: WeComClient) -> Filled:
    """One item or more of every section, saved the way admins save them."""
    services = AdminServices(redis, keys, wecom)
    guard = await services.outgoing_guard()  # adds the starter list, as every command does
    library = WordLibrary(redis, keys)
    await library.add([(1, "竞品甲", "competitor"), (2, "傻瓜", "insult"), (3, "加微信", "custom")])
    await library.allow(["最好吃"])
    await library.set_action("competitor", "mask")
    await library.set_detectors(["phone", "wechat"])
    guard = await services.outgoing_guard()
    await ProductStore(redis, keys).save(
        Product(
            "cup-316",
            "316 保温杯",
            "129.00",
            "12 小时保温，送杯刷",
            image_url="https://img.example.com/cup.png",
            url="https://shop.example.com/cup",
        ),
        guard,
    )
    scripts = await ScriptStore(redis, keys).save_many(
        [
            Script(
                "",
                "售后/退货",
                "退货流程",
                "{{ customer_name }}您好，退货请在订单页点「申请售后」。\n七天内无理由退货。",
                keywords=["退货", "售后"],
            ),
            Script(
                "",
                "售前/活动",
                "双十一预告",
                "双十一全场满 300 减 50，记得提前加购哦～",
                attachments=[
                    {
                        "msgtype": "link",
                        "link": {"title": "活动页", "url": "https://shop.example.com/1111"},
                    }
                ],
                visibility=Visibility(False, [5], ["zhangsan"]),
            ),
        ],
        "cli",
        guard,
    )
    welcome = WelcomeStore(redis, keys)
    await welcome.ensure_default()
    await welcome.save(
        WelcomeTemplate(
            "",
            "门店海报欢迎语",
            "channel",
            "ch:store",
            "{{ customer_name }}您好，欢迎光临！",
            attachments=[{"msgtype": "product", "product": {"id": "cup-316"}}],
            text_without_name="您好，欢迎光临！",
            slots=[TimeSlot("晚上好，店员明早回复您。", start="21:00", end="08:00")],
        ),
        guard,
    )
    groups = GroupWelcomeStore(redis, keys, wecom.external_contact)
    group_welcome = await groups.save(GroupWelcome("", "新人群", "欢迎 %NICKNAME% 入群！"), guard)
    await groups.set_greeting("*", group_welcome.id)
    manager = ChannelManager(ChannelStore(redis, keys), wecom.external_contact)
    channel = await manager.create(
        Channel(
            "",
            "门店海报",
            ["zhangsan"],
            slots=[StaffSlot(["lisi"], weekdays=[6, 7])],
            backup=["lisi"],
            daily_limit=50,
            tags=["etTagStore"],
        )
    )
    group_code = await GroupCodeStore(redis, keys, wecom.group_join).create(
        GroupCode("", "门店群码", list(STORE_GROUPS), room_base_name="门店群", room_base_id=3)
    )
    campaign = await StoreCodeStore(redis, keys).save_campaign(
        Campaign("", "春季门店海报", f"channel:{channel.id}", radius_m=3000)
    )
    stores, lines = parse_stores(
        "name,city,address,lat,lng,code\n"
        f"静安店,上海,南京西路 1 号,31.2300,121.4550,group:{group_code.id}\n"
        f"王府井店,北京,王府井大街 3 号,39.9164,116.4102,channel:{channel.id}\n".encode()
    )
    await StoreCodeStore(redis, keys).replace_stores(campaign.id, stores, lines)
    poster = await MediaLibrary(redis, keys, wecom.media).add("image", "poster.png", POSTER)
    fission = await FissionStore(redis, keys).save(
        Activity(
            "",
            "邀3位好友领券",
            ["zhangsan"],
            "2026-12-10 10:00",
            "2026-12-20 22:00",
            reward="link",
            reward_text="新人券",
            reward_url="https://shop.example.com/coupon",
            poster_ref=poster,
            poster_text="扫码加我",
        ),
        guard,
    )
    await TagRuleStore(redis, keys).save(
        TagRule("", "价格敏感", ["多少钱", "优惠"], "意向", "价格敏感", exclusions=["不要优惠"])
    )
    sops = SopStore(redis, keys)
    care = await sops.save(
        SopRule(
            "",
            "新客 7 天关怀",
            [
                SopStep("{{ customer_name }}您好，杯子用得还顺手吗？", days=1, at="10:00"),
                SopStep("第三天回访：有问题随时找我。", days=3, at="15:00"),
            ],
            quiet_start="22:00",
            quiet_end="08:00",
        ),
        "cli",
        guard,
    )
    friday = await sops.save(
        SopRule(
            "",
            "周五群活动",
            [SopStep("周末活动预告，群里见！", delivery="mass")],
            kind="group",
            trigger="schedule",
            schedule=Schedule("18:00", weekdays=[5], dates=["2026-12-25"]),
            groups=["wrGroupStore"],
        ),
        "cli",
        guard,
    )
    return Filled(
        [s.id for s in scripts],
        channel.id,
        group_welcome.id,
        [care.id, friday.id],
        group_code.id,
        fission.id,
    )


async def snapshot(redis: Redis, keys: RedisKeys) -> dict[str, object]:
    """Every key of the prefix with its value (not the WeCom token cache, which any API call
    may refresh), to show that something wrote nothing."""
    found: dict[str, object] = {}
    async for key in redis.scan_iter(match=keys.pattern(), count=1000):
        if ":token:" in key or ":pace:" in key:
            continue
        kind = await redis.type(key)
        if kind == "hash":
            found[key] = await redis.hgetall(key)
        elif kind == "set":
            found[key] = await redis.smembers(key)
        elif kind == "zset":
            found[key] = await redis.zrange(key, 0, -1, withscores=True)
        elif kind == "list":
            found[key] = await redis.lrange(key, 0, -1)
        elif kind == "stream":
            found[key] = await redis.xrange(key)
        else:
            found[key] = await redis.get(key)
    return found
