"""Group live codes in the configuration file: an import writes their join ways in WeCom before
its transaction (created, changed, taken over or replaced when gone), deletes removed ones after
it, undoes its WeCom writes when the transaction does not commit, and refuses bad codes with
nothing written anywhere."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from redis.asyncio import Redis

from bot.config_io import ConfigChanged, ConfigProblems, Plan, export_sections, parse_text
from bot.config_io.fileio import dump_text
from bot.config_io.undo import Undo
from bot.group_codes.codes import GroupCodeError
from bot.group_codes.store import GroupCodeStore
from bot.keys import RedisKeys
from bot.sandbox import Sandbox
from bot.tagging.rules import TagRule
from bot.tagging.store import TagRuleStore
from bot.wecom import WeComClient
from bot.welcome.config_remote import RemoteSide
from tests.config_io.conftest import STORE_GROUPS, fill, importer, snapshot


async def _plan(redis: Redis, keys: RedisKeys, wecom: WeComClient, data: dict[str, Any]) -> Plan:
    return await importer(redis, keys, wecom).plan(parse_text(dump_text(data)))


async def test_added_changed_and_removed_codes_follow_the_file_in_wecom(
    redis: Redis, keys: RedisKeys, wecom: WeComClient, live_sandbox: Sandbox
) -> None:
    filled = await fill(redis, keys, wecom)
    store = GroupCodeStore(redis, keys, wecom.group_join)
    old = await store.get(filled.group_code)
    assert old is not None
    data = await export_sections(redis, keys)
    data["group_codes"] = [  # the old code gone, a new one in its place
        {"name": "直播群码", "chat_ids": [STORE_GROUPS[1]], "auto_create": False}
    ]
    data["store_codes"] = []  # its campaign showed the old code: it goes too (else refused)
    plan = await _plan(redis, keys, wecom, data)
    assert plan.sections["group_codes"].counts() == {
        "added": 1,
        "changed": 0,
        "removed": 1,
        "unchanged": 0,
    }
    await importer(redis, keys, wecom).apply(plan)
    [new] = await store.list()
    way = live_sandbox.state.join_ways[new.config_id]
    assert (way.chat_id_list, way.auto_create_room, way.state) == (
        [STORE_GROUPS[1]],
        0,
        f"gc:{new.id}",
    )
    assert new.qr_code and old.config_id not in live_sandbox.state.join_ways

    data = await export_sections(redis, keys)
    data["group_codes"][0]["chat_ids"] = list(STORE_GROUPS)
    await importer(redis, keys, wecom).apply(await _plan(redis, keys, wecom, data))
    assert way.chat_id_list == list(STORE_GROUPS)
    assert (await store.get(new.id)).chat_ids == list(STORE_GROUPS)  # type: ignore[union-attr]


async def test_a_restored_backup_takes_over_a_live_code_and_replaces_a_gone_one(
    redis: Redis,
    keys: RedisKeys,
    empty_keys: RedisKeys,
    wecom: WeComClient,
    live_sandbox: Sandbox,
) -> None:
    filled = await fill(redis, keys, wecom)
    data = await export_sections(redis, keys, ["group_codes"])
    config_id = data["group_codes"][0]["config_id"]
    await importer(redis, empty_keys, wecom).apply(await _plan(redis, empty_keys, wecom, data))
    restored = await GroupCodeStore(redis, empty_keys, wecom.group_join).get(filled.group_code)
    assert restored is not None and restored.config_id == config_id  # the same QR code
    assert len(live_sandbox.state.join_ways) == 1

    del live_sandbox.state.join_ways[config_id]  # gone from WeCom meanwhile
    fresh = RedisKeys(keys.corp_id, f"test-{uuid.uuid4().hex[:12]}")  # another empty store
    try:
        await importer(redis, fresh, wecom).apply(await _plan(redis, fresh, wecom, data))
        replaced = await GroupCodeStore(redis, fresh, wecom.group_join).get(filled.group_code)
        assert replaced is not None and replaced.config_id not in ("", config_id)
        assert live_sandbox.state.join_ways[replaced.config_id].state == f"gc:{replaced.id}"
    finally:
        found = [k async for k in redis.scan_iter(match=fresh.pattern(), count=1000)]
        if found:
            await redis.delete(*found)


async def test_another_code_s_config_id_is_refused_and_nothing_kept(
    redis: Redis,
    keys: RedisKeys,
    empty_keys: RedisKeys,
    wecom: WeComClient,
    live_sandbox: Sandbox,
) -> None:
    await fill(redis, keys, wecom)
    data = await export_sections(redis, keys, ["group_codes"])
    data["group_codes"][0]["id"] = "abcdef"  # the file's id no longer matches the code's state
    ways = {k: (w.chat_id_list, w.remark) for k, w in live_sandbox.state.join_ways.items()}
    with pytest.raises(GroupCodeError, match="属于 state"):
        await importer(redis, empty_keys, wecom).apply(await _plan(redis, empty_keys, wecom, data))
    assert await redis.hgetall(empty_keys.group_codes) == {}
    assert {k: (w.chat_id_list, w.remark) for k, w in live_sandbox.state.join_ways.items()} == ways


async def test_bad_codes_are_refused_by_line_with_nothing_written(
    redis: Redis, keys: RedisKeys, wecom: WeComClient, live_sandbox: Sandbox
) -> None:
    await fill(redis, keys, wecom)
    data = await export_sections(redis, keys)
    data["group_codes"] += [
        {"name": "六个群", "chat_ids": [f"wrG{n}" for n in range(6)], "room_base_name": "群"},
        {"name": "没有前缀", "chat_ids": [STORE_GROUPS[0]]},
        {"name": "名" * 31, "chat_ids": [STORE_GROUPS[0]], "auto_create": False},
        {"name": "错类型", "chat_ids": "wrG1"},
    ]
    before = await snapshot(redis, keys)
    calls = len(live_sandbox.calls)
    with pytest.raises(ConfigProblems) as caught:
        await _plan(redis, keys, wecom, data)
    said = "\n".join(caught.value.problems)
    for expected in ("最多 5 个客户群", "新群名称前缀", "群活码名称需要", "chat_ids"):
        assert expected in said, said
    assert "group_codes[1]" in said  # where in the file
    assert await snapshot(redis, keys) == before
    assert len(live_sandbox.calls) == calls


async def test_a_change_during_apply_undoes_the_codes_made_for_it(
    redis: Redis,
    keys: RedisKeys,
    wecom: WeComClient,
    live_sandbox: Sandbox,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await fill(redis, keys, wecom)
    data = await export_sections(redis, keys)
    data["group_codes"].append(
        {"name": "直播群码", "chat_ids": [STORE_GROUPS[1]], "auto_create": False}
    )
    plan = await _plan(redis, keys, wecom, data)
    ways = set(live_sandbox.state.join_ways)
    prepare = RemoteSide.prepare

    async def prepare_then_race(self: RemoteSide, plan: Plan) -> Undo:
        undo = await prepare(self, plan)
        assert len(live_sandbox.state.join_ways) == len(ways) + 1  # made in WeCom…
        await TagRuleStore(redis, keys).save(TagRule("", "退款", ["退款"], "售后", "退款"))
        return undo

    monkeypatch.setattr(RemoteSide, "prepare", prepare_then_race)
    with pytest.raises(ConfigChanged):
        await importer(redis, keys, wecom).apply(plan)
    assert set(live_sandbox.state.join_ways) == ways  # …and deleted again
    assert "直播群码" not in str(await redis.hgetall(keys.group_codes))


async def test_an_id_whose_state_would_pass_30_characters_is_refused(
    redis: Redis, keys: RedisKeys, wecom: WeComClient, live_sandbox: Sandbox
) -> None:
    await fill(redis, keys, wecom)
    data = await export_sections(redis, keys)
    data["group_codes"].append(
        {"id": "x" * 28, "name": "长编号", "chat_ids": [STORE_GROUPS[0]], "auto_create": False}
    )
    calls = len(live_sandbox.calls)
    with pytest.raises(ConfigProblems) as caught:
        await _plan(redis, keys, wecom, data)
    assert any("不超过 30 个字符" in p for p in caught.value.problems), caught.value.problems
    assert len(live_sandbox.calls) == calls
