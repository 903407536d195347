"""A customer asks in WeChat Customer Service: 「邀请海报」 joins them and sends their poster
(an image) and how it works, 「我的进度」 their progress; with no activity running they are told
so; a retried event sends nothing new."""

from __future__ import annotations

from aiohttp.test_utils import TestServer
from redis.asyncio import Redis

from bot.config import Settings
from bot.fission.store import FissionStore
from bot.keys import RedisKeys
from bot.sandbox import Sandbox
from bot.wecom import WeComClient
from tests.fission.test_fission import _activity
from tests.pipeline_support import wait_until


async def test_poster_and_progress_in_customer_service(
    sandbox_bot: TestServer,
    sandbox_settings: Settings,
    live_sandbox: Sandbox,
    sandbox_wecom: WeComClient,
    redis: Redis,
) -> None:
    keys = RedisKeys(sandbox_settings.corp_id, sandbox_settings.key_prefix)
    state = live_sandbox.state

    async def replies(count: int) -> bool:
        return len(state.kf_replies) == count

    await live_sandbox.kf_message("wmKfCustomer", "我的进度")
    await wait_until(lambda: replies(1))
    assert state.kf_replies[0].content["content"] == "目前没有进行中的邀请活动，敬请期待。"

    store = FissionStore(redis, keys)
    activity = await store.save(
        await _activity(
            redis, keys, sandbox_wecom, reward="message", reward_text="送您一张 20 元券"
        ),
        None,
    )
    await live_sandbox.kf_message("wmKfCustomer", "我的进度")
    await wait_until(lambda: replies(2))
    assert "回复「邀请海报」即可参加" in state.kf_replies[1].content["content"]

    asked = await live_sandbox.kf_message("wmKfCustomer", "邀请海报")
    await wait_until(lambda: replies(4))
    image, text = state.kf_replies[2:4]
    assert image.msgtype == "image" and live_sandbox.media_ok(image.content["media_id"], "image")
    assert (
        "专属邀请海报" in text.content["content"]
        and "保留 24 小时后即计入" in text.content["content"]
    )
    code = await store.participant(activity.id, "wmKfCustomer")
    assert code is not None

    await live_sandbox.customer_adds_staff("zhangsan", "wmKfFriend", config_id=code["config_id"])

    async def recorded() -> bool:
        return bool(await store.invitees(activity.id))

    await wait_until(recorded)
    await live_sandbox.kf_message("wmKfCustomer", "我的进度")
    await wait_until(lambda: replies(5))
    assert state.kf_replies[4].content["content"] == (
        "「邀3位好友领券」：已成功邀请 0/3 位好友，另有 1 位好友需保留 24 小时后计入，还差 3 位。"
    )
    # WeCom retries the poster request's callback: the pull finds nothing new, nothing is sent
    assert live_sandbox.driver is not None
    await live_sandbox.driver.deliver(asked.xml)
    await live_sandbox.kf_message("wmKfCustomer", "谢谢")  # not a request: no answer
    await wait_until(lambda: replies(5))
    assert len(state.kf_replies) == 5
