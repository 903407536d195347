"""Fission activities in the configuration file: checked like a save (window, poster present,
words), refused by place with nothing written, and a change applied in the transaction."""

from __future__ import annotations

import copy

import pytest
from redis.asyncio import Redis

from bot.config_io import ConfigProblems, export_sections, parse_text
from bot.config_io.fileio import dump_text
from bot.fission.store import FissionStore
from bot.keys import RedisKeys
from bot.wecom import WeComClient
from tests.config_io.conftest import fill, importer, snapshot


async def test_bad_activities_are_refused_by_place_and_a_good_change_applies(
    redis: Redis, keys: RedisKeys, wecom: WeComClient
) -> None:
    filled = await fill(redis, keys, wecom)
    data = await export_sections(redis, keys)
    [activity] = data["fission"]

    def like(**changes: object) -> dict[str, object]:
        return copy.deepcopy(activity) | changes  # no shared lists: YAML would alias them

    backwards = like(id="", name="倒着的", start="2026-12-20 10:00", end="2026-12-01 10:00")
    data["fission"] = [
        like(),
        backwards,
        like(id="", name="没海报", poster_ref="image-" + "0" * 32),
    ]
    before = await snapshot(redis, keys)
    with pytest.raises(ConfigProblems) as caught:
        await importer(redis, keys, wecom).plan(parse_text(dump_text(data)))
    said = "\n".join(caught.value.problems)
    assert "fission[1]" in said and "结束时间 2026-12-01 10:00 应晚于开始时间" in said
    assert "fission[2]" in said and "不在库中，请先上传" in said
    assert await snapshot(redis, keys) == before

    data["fission"] = [like(goal=5, name="邀5位好友领券")]
    plan = await importer(redis, keys, wecom).plan(parse_text(dump_text(data)))
    await importer(redis, keys, wecom).apply(plan)
    changed = await FissionStore(redis, keys).get(filled.fission)
    assert changed is not None and (changed.goal, changed.name) == (5, "邀5位好友领券")
