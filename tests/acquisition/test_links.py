"""Customer acquisition links end to end through the sandbox: a link made in WeCom (the recorded
call), the URL handed out with our State, adds through it counted for it once each, the quota
shown, and WeCom's quota-low event turned into one alert for the admins a day."""

from __future__ import annotations

import asyncio
import json
from urllib.parse import parse_qs, urlsplit

import pytest
from aiohttp.test_utils import TestServer
from redis.asyncio import Redis

from bot.cli import main
from bot.config import Settings
from bot.sandbox import Sandbox
from tests.pipeline_support import wait_until


async def _cli(*argv: str) -> int:
    return await asyncio.to_thread(main, list(argv))


async def test_a_link_its_adds_the_quota_and_the_alert(
    sandbox_bot: TestServer,
    sandbox_cli_env: Settings,
    live_sandbox: Sandbox,
    redis: Redis,
    capsys: pytest.CaptureFixture[str],
) -> None:
    live_sandbox.add_staff("admin1", "王管理")
    assert await _cli("links", "create", "--name", "抖音投放", "--users", "zhangsan,lisi") == 0
    link = json.loads(capsys.readouterr().out)
    [call] = live_sandbox.calls_to("externalcontact/customer_acquisition/create_link")
    assert call.body["range"] == {"user_list": ["zhangsan", "lisi"]} and call.body["skip_verify"]
    assert call.body["link_name"] == "抖音投放"
    channel = parse_qs(urlsplit(link["attributed_url"]).query)["customer_channel"]
    assert channel == [f"acq:{link['id']}"] and link["state"] == channel[0]

    live_sandbox.state.acquisition_balance = 20
    await live_sandbox.customer_adds_via_link(
        link["link_id"], "wmFromAds1", customer_channel=channel[0]
    )

    async def alerted() -> bool:
        return any("额度即将用完" in str(m) for m in live_sandbox.app_messages("admin1"))

    await wait_until(alerted)
    [alert] = [m for m in live_sandbox.app_messages("admin1") if "获客助手" in str(m)]
    assert "剩余 19 次" in str(alert)

    async def shown(count: int) -> bool:
        assert await _cli("links", "show", link["id"]) == 0
        days = json.loads(capsys.readouterr().out)["days"]
        return days[-1]["adds"] == count

    await wait_until(lambda: shown(1))
    # another add, and WeCom's same event again the same day: counted, but no second alert
    live_sandbox.state.acquisition_balance = 20
    await live_sandbox.customer_adds_via_link(
        link["link_id"], "wmFromAds2", customer_channel=channel[0]
    )
    await wait_until(lambda: shown(2))
    await asyncio.sleep(0.3)
    assert len([m for m in live_sandbox.app_messages("admin1") if "获客助手" in str(m)]) == 1

    assert await _cli("links", "quota") == 0
    assert json.loads(capsys.readouterr().out)["balance"] == 19
    assert await _cli("links", "delete", link["id"]) == 0
    capsys.readouterr()
    assert link["link_id"] not in live_sandbox.state.acquisition_links
    assert await _cli("links", "list") == 0
    assert json.loads(capsys.readouterr().out) == []


@pytest.mark.parametrize(
    ("extra", "said"),
    [
        (["--name", "名" * 31, "--users", "zhangsan"], "获客链接名称需要"),
        (["--name", "投放", "--users", "<b>"], "不是有效的成员账号"),
        (["--name", "投放", "--users", "nobody"], "40003"),  # WeCom refuses the member
    ],
)
async def test_bad_links_are_refused_and_nothing_kept(
    sandbox_cli_env: Settings,
    live_sandbox: Sandbox,
    capsys: pytest.CaptureFixture[str],
    extra: list[str],
    said: str,
) -> None:
    assert await _cli("links", "create", *extra) in (1, 2)
    assert said in capsys.readouterr().err
    assert live_sandbox.state.acquisition_links == {}
    assert await _cli("links", "list") == 0
    assert json.loads(capsys.readouterr().out) == []
