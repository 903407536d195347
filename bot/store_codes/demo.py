"""The demo's store-code scene: the operator imports two stores for a poster campaign; a visitor
next to one of them opens the landing page and is shown that store's code, one far away the
backup — through the running bot's public page, as a phone would ask for it."""

from __future__ import annotations

from typing import TYPE_CHECKING

import aiohttp

from bot.appkeys import HANDLER_CONTEXT, SETTINGS
from bot.store_codes.csv_import import parse_stores
from bot.store_codes.geo import wgs84_to_gcj02
from bot.store_codes.model import Campaign
from bot.welcome.channels import Channel

if TYPE_CHECKING:
    from bot.demo import Demo

VISITOR = (31.2286, 121.4484)  # a phone's GPS position in Shanghai's Jing'an district


async def scene_store_code(demo: Demo) -> None:
    ctx = demo.app[HANDLER_CONTEXT]
    store = ctx.services.store_codes
    channels = await ctx.services.channels.list()
    backup = next(c for c in channels if c.name == "门店海报")  # the channel scene's code
    jingan = await _channel(demo, "静安店")
    campaign = await store.save_campaign(Campaign("", "春季门店海报", f"channel:{backup.id}", 3000))
    lat, lng = wgs84_to_gcj02(*VISITOR)  # where a Chinese map shows the store
    csv = (
        "name,city,address,lat,lng,code\n"
        f"静安店,上海,南京西路 1 号,{lat},{lng},channel:{jingan.id}\n"
        f"王府井店,北京,王府井大街 3 号,39.9164,116.4102,channel:{backup.id}\n"
    )
    stores, lines = parse_stores(csv.encode())
    await store.replace_stores(campaign.id, stores, lines)
    url = f"{demo.app[SETTINGS].public_url}/s/{campaign.id}"
    demo.say(f"运营建好门店活码活动「春季门店海报」（2 家门店，范围 3 公里），海报印落地页 {url}")
    async with aiohttp.ClientSession() as http:
        near = {"lat": str(VISITOR[0]), "lng": str(VISITOR[1])}
        async with http.get(f"{url}/near", params=near) as answer:
            found = await answer.json()
        name, metres = found["store"]["name"], found["store"]["distance_m"]
        demo.say(f"  上海静安的顾客打开落地页 → 看到「{name}」的活码（约 {metres} 米）")
        async with http.get(f"{url}/near", params={"lat": "22.54", "lng": "114.06"}) as answer:
            far = await answer.json()
        demo.say(f"  深圳的顾客 → 3 公里内没有门店，看到备用活码「{far['backup']['name']}」")


async def _channel(demo: Demo, name: str) -> Channel:
    from bot.welcome.contact_ways import ChannelManager

    ctx = demo.app[HANDLER_CONTEXT]
    manager = ChannelManager(ctx.services.channels, ctx.wecom.external_contact)
    return await manager.create(Channel("", name, ["zhangsan"]))
