"""`scrm-bot profiles sync`: every customer of every member read from WeCom, page by page."""

from __future__ import annotations

import asyncio
import json

import pytest
from redis.asyncio import Redis

from bot.cli import main
from bot.config import Settings
from bot.keys import RedisKeys
from bot.profiles.model import ProfileTag
from bot.profiles.store import ProfileStore
from bot.sandbox import Sandbox
from bot.sandbox.state import Tag, TagGroup


def tag(sandbox: Sandbox, group: str, name: str) -> str:
    """A corp tag in the sandbox, as an admin made it in the console."""
    state = sandbox.state
    group_id = f"et{group}"
    state.tag_groups.setdefault(group_id, TagGroup(group_id, group, 0))
    tag_id = f"et{group}{name}"
    state.tags[tag_id] = Tag(tag_id, name, group_id, 0)
    state.tag_groups[group_id].tag_ids.append(tag_id)
    return tag_id


async def test_every_customer_of_every_member_is_stored(
    sandbox_cli_env: Settings,
    live_sandbox: Sandbox,
    redis: Redis,
    capsys: pytest.CaptureFixture[str],
) -> None:
    vip = tag(live_sandbox, "客户等级", "VIP")
    for n in range(230):  # three pages for zhangsan (100 a page)
        await live_sandbox.customer_adds_staff("zhangsan", f"wmSync{n:03d}", name=f"客户{n}")
    await live_sandbox.customer_adds_staff("lisi", "wmSync000")  # a customer of two members
    live_sandbox.state.follow("zhangsan", "wmSync007").tag_ids.append(vip)  # type: ignore[union-attr]
    live_sandbox.state.follow("zhangsan", "wmSync007").remark = "王先生"  # type: ignore[union-attr]
    before = len(live_sandbox.calls_to("externalcontact/batch/get_by_user"))

    assert await asyncio.to_thread(main, ["profiles", "sync"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["customers"] == 230 and report["follows"] == 231
    calls = live_sandbox.calls_to("externalcontact/batch/get_by_user")[before:]
    assert all(len(c.body["userid_list"]) <= 100 for c in calls if c.body)  # type: ignore[index]

    store = ProfileStore(redis, RedisKeys(sandbox_cli_env.corp_id, sandbox_cli_env.key_prefix))
    shared = await store.get("wmSync000")
    assert set(shared.follows) == {"zhangsan", "lisi"} and shared.name == "客户0"
    tagged = (await store.get("wmSync007")).follows["zhangsan"]
    assert tagged.tags == [ProfileTag(vip, "客户等级", "VIP")] and tagged.remark == "王先生"
    assert (await store.get("wmSync229")).known

    # only some members: the others' customers are not read
    assert await asyncio.to_thread(main, ["profiles", "sync", "--staff", "lisi"]) == 0
    assert json.loads(capsys.readouterr().out)["customers"] == 1
