"""Store-code campaigns in the configuration file: each with its whole store list, checked like
an import of the CSV (by place in the file), the codes they show required to exist, applied in
the transaction."""

from __future__ import annotations

import copy

import pytest
from redis.asyncio import Redis

from bot.config_io import ConfigProblems, export_sections, parse_text
from bot.config_io.fileio import dump_text
from bot.keys import RedisKeys
from bot.store_codes.store import StoreCodeStore
from bot.wecom import WeComClient
from tests.config_io.conftest import fill, importer, snapshot


async def test_stores_are_checked_by_place_and_a_change_applies(
    redis: Redis, keys: RedisKeys, wecom: WeComClient
) -> None:
    await fill(redis, keys, wecom)
    data = await export_sections(redis, keys)
    [campaign] = data["store_codes"]
    assert [s["name"] for s in campaign["stores"]] == ["静安店", "王府井店"]  # by city, name
    bad = copy.deepcopy(campaign)
    bad["stores"][0]["lat"] = 95
    bad["stores"].append(copy.deepcopy(bad["stores"][1]) | {"name": "新店", "code": "group:zzzzzz"})
    data["store_codes"] = [bad]
    before = await snapshot(redis, keys)
    with pytest.raises(ConfigProblems) as caught:
        await importer(redis, keys, wecom).plan(parse_text(dump_text(data)))
    said = "\n".join(caught.value.problems)
    assert "store_codes[0]" in said and "stores[0]: 纬度 95.0 不在 -90 到 90 之间" in said
    assert await snapshot(redis, keys) == before

    good = copy.deepcopy(campaign)
    good["stores"][0]["address"] = "南京西路 100 号"
    good["radius_m"] = 5000
    data["store_codes"] = [good]
    plan = await importer(redis, keys, wecom).plan(parse_text(dump_text(data)))
    assert plan.sections["store_codes"].counts()["changed"] == 1
    await importer(redis, keys, wecom).apply(plan)
    store = StoreCodeStore(redis, keys)
    assert (await store.campaign(campaign["id"])).radius_m == 5000  # type: ignore[union-attr]
    addresses = {s.name: s.address for s in await store.stores(campaign["id"])}
    assert addresses == {"王府井店": "王府井大街 3 号", "静安店": "南京西路 100 号"}

    missing = copy.deepcopy(good)
    missing["stores"][0]["code"] = "group:zzzzzz"
    data["store_codes"] = [missing]
    with pytest.raises(ConfigProblems, match="stores\\[0\\] 的活码 group:zzzzzz 不存在"):
        await importer(redis, keys, wecom).plan(parse_text(dump_text(data)))
