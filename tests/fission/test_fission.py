"""Referral fission end to end through the sandbox: a participant's personal code, invitees who
count only if new to the corp, once, and after staying; one who deletes the member inside the
window doesn't count, so the reward waits; the goal met, the reward (a coupon) is issued once
however many workers settle at the same time; bad activities refused in Chinese."""

from __future__ import annotations

import io
import json
import time
from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer
from PIL import Image
from redis.asyncio import Redis

from bot.config import Settings
from bot.fission.codes import join
from bot.fission.model import Activity, FissionError
from bot.fission.periodic import confirm_due, settle_rewards
from bot.fission.report import progress_of, progress_text
from bot.fission.store import FissionStore
from bot.keys import RedisKeys
from bot.media import MediaLibrary
from bot.sandbox import Sandbox
from bot.wecom import WeComClient
from tests.helpers import handler_context, in_processes
from tests.pipeline_support import wait_until


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (750, 1200), "#fde").save(out, "PNG")
    return out.getvalue()


PNG = _png()
ROOT = Path(__file__).resolve().parents[2]
HOUR = 3600


def _when(offset_hours: float) -> str:
    from datetime import datetime

    from bot.clock import CORP_TIME

    moment = datetime.fromtimestamp(time.time() + offset_hours * HOUR, CORP_TIME)
    return moment.strftime("%Y-%m-%d %H:%M")


async def _activity(
    redis: Redis, keys: RedisKeys, wecom: WeComClient, **changes: object
) -> Activity:
    poster = await MediaLibrary(redis, keys, wecom.media).add("image", "poster.png", PNG)
    fields: dict[str, object] = {
        "id": "",
        "name": "邀3位好友领券",
        "staff": ["zhangsan"],
        "start": _when(-1),
        "end": _when(24 * 7),
        "goal": 3,
        "hold_hours": 24,
        "reward": "coupon",
        "poster_ref": poster,
        "poster_text": "扫码加我，领新人券",
    } | changes
    return Activity(**fields)  # type: ignore[arg-type]


async def test_invitees_count_after_staying_and_the_reward_is_issued_once(
    sandbox_bot: TestServer,
    sandbox_settings: Settings,
    live_sandbox: Sandbox,
    sandbox_wecom: WeComClient,
    redis: Redis,
    tmp_path: Path,
) -> None:
    keys = RedisKeys(sandbox_settings.corp_id, sandbox_settings.key_prefix)
    store = FissionStore(redis, keys)
    activity = await store.save(await _activity(redis, keys, sandbox_wecom), None)
    assert await store.add_coupons(activity.id, ["COUPON-A", "COUPON-B"]) == 2
    await live_sandbox.customer_adds_staff("zhangsan", "wmInviter", name="林小北")
    await live_sandbox.customer_adds_staff("lisi", "wmOldFriend", name="老客")  # not new
    code = await join(store, activity, "wmInviter", sandbox_wecom)
    assert await join(store, activity, "wmInviter", sandbox_wecom) == code
    way = live_sandbox.state.contact_ways[code["config_id"]]
    assert way.state == code["state"] and len(way.state) <= 30 and way.user == ["zhangsan"]

    for friend in ("wmFriendA", "wmFriendB", "wmFriendC", "wmOldFriend", "wmInviter"):
        await live_sandbox.customer_adds_staff("zhangsan", friend, config_id=code["config_id"])

    async def recorded() -> bool:
        return len(await store.invitees(activity.id)) == 4  # the inviter's own add is not one

    await wait_until(recorded)
    statuses = {i.external_userid: i.status for i in await store.invitees(activity.id)}
    assert statuses == {
        "wmFriendA": "pending",
        "wmFriendB": "pending",
        "wmFriendC": "pending",
        "wmOldFriend": "not_new",
    }
    # friend C deletes the member inside the stay window: their count is undone
    await live_sandbox.customer_deletes_staff("zhangsan", "wmFriendC")

    async def undone() -> bool:
        return {i.external_userid: i.status for i in await store.invitees(activity.id)}[
            "wmFriendC"
        ] == "undone"

    await wait_until(undone)
    # a retried add of a counted friend changes nothing
    await live_sandbox.customer_adds_staff("zhangsan", "wmFriendA", config_id=code["config_id"])

    ctx = handler_context(sandbox_settings, redis, sandbox_wecom)
    later = time.time() + 25 * HOUR
    assert await confirm_due(ctx, now=time.time()) == 0  # still inside the window
    assert await confirm_due(ctx, now=later) == 2
    assert await settle_rewards(ctx) == 0  # 2 of 3: the reward waits
    progress = await progress_of(store, activity, "wmInviter")
    assert (progress["counted"], progress["waiting"], progress["reward"]) == (2, 0, None)
    assert "已成功邀请 2/3 位好友" in progress_text(activity, progress)

    await live_sandbox.customer_adds_staff("zhangsan", "wmFriendD", config_id=code["config_id"])

    async def pending_d() -> bool:
        return any(i.external_userid == "wmFriendD" for i in await store.invitees(activity.id))

    await wait_until(pending_d)
    assert await confirm_due(ctx, now=later + 25 * HOUR) == 1
    # two worker processes (and this one) settle at once: one reward, one coupon, one message
    issued = await in_processes(
        sandbox_settings,
        tmp_path,
        "bot.fission.periodic:settle_rewards",
        lambda: settle_rewards(ctx),
    )
    assert sum(issued) == 1, issued
    assert await settle_rewards(ctx) == 0
    [reward] = (await store.rewards(activity.id)).values()
    assert reward["coupon"] in ("COUPON-A", "COUPON-B") and reward["msgid"]
    assert await store.coupons_left(activity.id) == 1
    [task] = [
        t
        for t in live_sandbox.state.mass_tasks
        if "wmInviter" in json.dumps(t.__dict__, default=str)
    ]
    assert reward["coupon"] in json.dumps(task.__dict__, ensure_ascii=False, default=str)
    messages = live_sandbox.app_messages("zhangsan")
    assert any("林小北 完成了「邀3位好友领券」" in str(m) for m in messages)
    final = await progress_of(store, activity, "wmInviter")
    assert "奖励已发放" in progress_text(activity, final)


@pytest.mark.parametrize(
    ("changes", "said"),
    [
        ({"poster_ref": ""}, "海报需要一张背景图片"),
        (
            {"end": "2026-01-01 10:00", "start": "2026-02-01 10:00"},
            "结束时间 2026-01-01 10:00 应晚于开始时间",
        ),
        ({"start": "明天"}, "开始时间应写作 YYYY-MM-DD HH:MM"),
        ({"goal": 0}, "邀请目标应是 1 到 100"),
        ({"staff": []}, "需要 1–100 名接待员工"),
        ({"reward": "link", "reward_url": "http://x"}, "https://"),
        ({"reward": "message", "reward_text": ""}, "消息奖励需要填写消息内容"),
        ({"name": "名" * 31}, "活动名称需要"),
    ],
)
async def test_bad_activities_are_refused_and_nothing_saved(
    sandbox_settings: Settings,
    sandbox_wecom: WeComClient,
    redis: Redis,
    changes: dict[str, object],
    said: str,
) -> None:
    keys = RedisKeys(sandbox_settings.corp_id, sandbox_settings.key_prefix)
    store = FissionStore(redis, keys)
    with pytest.raises(FissionError, match=said):
        await store.save(await _activity(redis, keys, sandbox_wecom, **changes), None)
    assert await store.activities() == []


async def test_invitees_retention_against_the_others(
    sandbox_bot: TestServer,
    sandbox_settings: Settings,
    live_sandbox: Sandbox,
    sandbox_wecom: WeComClient,
    redis: Redis,
) -> None:
    from bot.fission.report import retention, retention_view
    from bot.profiles.store import ProfileStore

    keys = RedisKeys(sandbox_settings.corp_id, sandbox_settings.key_prefix)
    store = FissionStore(redis, keys)
    activity = await store.save(await _activity(redis, keys, sandbox_wecom), None)
    code = await join(store, activity, "wmRetInviter", sandbox_wecom)
    for friend in ("wmRet1", "wmRet2"):
        await live_sandbox.customer_adds_staff("zhangsan", friend, config_id=code["config_id"])
    await live_sandbox.customer_adds_staff("lisi", "wmOther1")  # another channel's add

    async def recorded() -> bool:
        return len(await store.invitees(activity.id)) == 2

    await wait_until(recorded)
    await live_sandbox.customer_deletes_staff("zhangsan", "wmRet2")

    async def settled() -> bool:
        follow = (await ProfileStore(redis, keys).get("wmRet2")).follows.get("zhangsan")
        return bool(follow and follow.deleted_by)

    await wait_until(settled)
    too_soon = await retention(store, ProfileStore(redis, keys), redis, keys, activity, time.time())
    assert [r.added for r in too_soon["invitees"]] == [0, 0]  # none added 7 days ago yet
    week_later = time.time() + 8 * 86400
    found = await retention(store, ProfileStore(redis, keys), redis, keys, activity, week_later)
    seven = found["invitees"][0]
    assert (seven.days, seven.added, seven.kept) == (7, 2, 1)  # wmRet2 deleted the member
    view = retention_view(found)
    assert view["7d"]["invitees"] == 0.5 and view["30d"]["invitees_added"] == 0


async def test_a_deletion_handled_before_the_add_was_recorded_still_undoes_it(
    sandbox_bot: TestServer,
    sandbox_settings: Settings,
    live_sandbox: Sandbox,
    sandbox_wecom: WeComClient,
    redis: Redis,
) -> None:
    from bot.profiles.store import ProfileStore

    keys = RedisKeys(sandbox_settings.corp_id, sandbox_settings.key_prefix)
    store = FissionStore(redis, keys)
    activity = await store.save(await _activity(redis, keys, sandbox_wecom), None)
    added = await live_sandbox.customer_adds_staff("zhangsan", "wmRace")
    await live_sandbox.customer_deletes_staff("zhangsan", "wmRace")

    async def deleted() -> bool:
        follow = (await ProfileStore(redis, keys).get("wmRace")).follows.get("zhangsan")
        return bool(follow and follow.deleted_by)

    await wait_until(deleted)
    # the add's record lands only now, after the deletion found nothing to undo
    at = int(added.xml.split("<CreateTime>")[1].split("<")[0])
    assert await store.invited(activity, "wmRace", "wmSomeInviter", "zhangsan", at, True)
    ctx = handler_context(sandbox_settings, redis, sandbox_wecom)
    assert await confirm_due(ctx, now=time.time() + 25 * HOUR) == 0
    record = await store.invitee(activity.id, "wmRace")
    assert record is not None and record.status == "undone"
    assert await store.progress(activity.id) == {}


async def test_a_group_goal_counts_new_members_who_stay_in_the_group(
    sandbox_bot: TestServer,
    sandbox_settings: Settings,
    live_sandbox: Sandbox,
    sandbox_wecom: WeComClient,
    redis: Redis,
) -> None:
    keys = RedisKeys(sandbox_settings.corp_id, sandbox_settings.key_prefix)
    store = FissionStore(redis, keys)
    await live_sandbox.group_created("zhangsan", "wrFissionGroup001", [], name="新人福利群")
    with pytest.raises(FissionError, match="邀请入群需要 1–5 个客户群"):
        await store.save(await _activity(redis, keys, sandbox_wecom, goal_kind="group"), None)
    activity = await store.save(
        await _activity(
            redis, keys, sandbox_wecom, goal_kind="group", chat_ids=["wrFissionGroup001"], goal=2
        ),
        None,
    )
    code = await join(store, activity, "wmGroupInviter", sandbox_wecom)
    way = live_sandbox.state.join_ways[code["config_id"]]  # a group live code, not a 联系我 code
    assert way.state == code["state"] and way.chat_id_list == ["wrFissionGroup001"]
    await live_sandbox.customer_adds_staff("lisi", "wmGroupOld")  # already a customer
    for member in ("wmGroupNew1", "wmGroupNew2", "wmGroupNew3", "wmGroupOld"):
        await live_sandbox.customer_joins_via_code(code["config_id"], member)

    async def recorded() -> bool:
        return len(await store.invitees(activity.id)) == 4

    await wait_until(recorded)
    await live_sandbox.customer_leaves_group("wrFissionGroup001", "wmGroupNew3")

    async def left() -> bool:
        record = await store.invitee(activity.id, "wmGroupNew3")
        return record is not None and record.status == "undone"

    await wait_until(left)
    statuses = {i.external_userid: i.status for i in await store.invitees(activity.id)}
    assert statuses == {
        "wmGroupNew1": "pending",
        "wmGroupNew2": "pending",
        "wmGroupNew3": "undone",
        "wmGroupOld": "not_new",
    }
    ctx = handler_context(sandbox_settings, redis, sandbox_wecom)
    assert await confirm_due(ctx, now=time.time() + 25 * HOUR) == 2
    assert (await store.progress(activity.id)) == {"wmGroupInviter": 2}
