"""A store-code campaign in the sandbox: a backup channel code, a Shanghai store with its own
channel code and a Beijing store with a group live code (stores' coordinates as Chinese maps
give them, GCJ-02)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from redis.asyncio import Redis

from bot.config import Settings
from bot.group_codes.codes import GroupCode
from bot.group_codes.store import GroupCodeStore
from bot.keys import RedisKeys
from bot.sandbox import Sandbox
from bot.store_codes.csv_import import parse_stores
from bot.store_codes.geo import wgs84_to_gcj02
from bot.store_codes.model import Campaign
from bot.store_codes.store import StoreCodeStore
from bot.wecom import WeComClient
from bot.welcome.channels import Channel, ChannelStore
from bot.welcome.contact_ways import ChannelManager

# where a visitor's phone says it is (WGS-84), next to the Shanghai store
VISITOR = (31.2286, 121.4484)
BEIJING = (39.915, 116.404)


@dataclass(frozen=True)
class Arranged:
    """The campaign and its codes."""

    campaign: Campaign
    backup: Channel
    shanghai: Channel
    beijing_code: GroupCode
    csv: bytes


@pytest.fixture
async def arranged(
    sandbox_settings: Settings, live_sandbox: Sandbox, sandbox_wecom: WeComClient, redis: Redis
) -> Arranged:
    keys = RedisKeys(sandbox_settings.corp_id, sandbox_settings.key_prefix)
    manager = ChannelManager(ChannelStore(redis, keys), sandbox_wecom.external_contact)
    backup = await manager.create(Channel("", "活动总码", ["lisi"]))
    shanghai = await manager.create(Channel("", "静安店", ["zhangsan"]))
    await live_sandbox.group_created("lisi", "wrBeijingStore001", [], name="王府井店福利群")
    group = await GroupCodeStore(redis, keys, sandbox_wecom.group_join).create(
        GroupCode("", "王府井店群码", ["wrBeijingStore001"], room_base_name="王府井店福利群")
    )
    store = StoreCodeStore(redis, keys)
    campaign = await store.save_campaign(
        Campaign("", "春季<门店>海报", f"channel:{backup.id}", radius_m=3000)
    )
    shanghai_gcj = wgs84_to_gcj02(*VISITOR)  # where Amap shows the store
    beijing_gcj = wgs84_to_gcj02(*BEIJING)
    csv = (
        "name,city,address,lat,lng,code\n"
        f"静安店,上海,南京西路 1 号,{shanghai_gcj[0]},{shanghai_gcj[1]},channel:{shanghai.id}\n"
        # a decoy at the visitor's raw GPS position, under the same city: ~500 m off on the map
        f"静安寺店,上海,愚园路 2 号,{VISITOR[0] - 0.004},{VISITOR[1] - 0.0045},channel:{backup.id}\n"
        f"王府井店,北京,王府井大街 3 号,{beijing_gcj[0]},{beijing_gcj[1]},group:{group.id}\n"
    ).encode()
    stores, lines = parse_stores(csv)
    await store.replace_stores(campaign.id, stores, lines)
    return Arranged(campaign, backup, shanghai, group, csv)
