"""One deployment serving two corps: own paths, secrets, keys and pipelines; shared health."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from redis.asyncio import Redis

from bot.config import Settings
from bot.config_file import CorpConfig
from bot.corps_app import create_corps_app
from bot.keys import RedisKeys
from bot.sandbox import Sandbox
from tests.conftest import make_settings
from tests.pipeline_support import wait_until

# each corp its own callback token and key, as WeCom gives every corp's app its own
CORPS = {
    "brand-a": ("wwbrandaaaa", "TokenOfBrandA", "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"),
    "brand-b": ("wwbrandbbbb", "TokenOfBrandB", "6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt"),
}


@pytest.fixture
async def sandboxes() -> AsyncIterator[dict[str, Sandbox]]:
    started: dict[str, Sandbox] = {}
    for slug, (corp_id, _token, _key) in CORPS.items():
        sandbox = Sandbox(corp_id=corp_id)
        sandbox.add_staff("zhangsan", "张三")
        await sandbox.start()
        started[slug] = sandbox
    yield started
    for sandbox in started.values():
        await sandbox.stop()


@pytest.fixture
def corps(
    redis_url: str, key_prefix: str, tmp_path: Path, sandboxes: dict[str, Sandbox]
) -> list[CorpConfig]:
    configs = []
    for slug, (corp_id, token, aes_key) in CORPS.items():
        sandbox = sandboxes[slug]
        assert sandbox.base_url is not None
        settings: Settings = make_settings(redis_url, key_prefix, tmp_path)
        settings = replace(
            settings,
            corp_id=corp_id,
            token=token,
            aes_key=aes_key,
            agent_id=sandbox.agent_id,
            agent_secret=sandbox.app_secret,
            contact_secret=sandbox.contact_secret,
            wecom_api_base=sandbox.base_url,
            public_url=f"http://127.0.0.1:8080/corp/{slug}",
            pipeline=replace(settings.pipeline, concurrency=4),
        )
        configs.append(CorpConfig(slug, settings))
    return configs


@pytest.fixture
async def served(
    corps: list[CorpConfig], sandboxes: dict[str, Sandbox], aiohttp_server: Any
) -> TestServer:
    server: TestServer = await aiohttp_server(create_corps_app(corps))
    for corp in corps:
        sandboxes[corp.slug].connect_bot(
            str(server.make_url(f"{corp.path}wecom/callback")),
            corp.settings.token,
            corp.settings.aes_key,
        )
    return server


async def test_each_corp_has_its_own_callback_path_secrets_and_keys(
    served: TestServer, sandboxes: dict[str, Sandbox], corps: list[CorpConfig], redis: Redis
) -> None:
    a, b = sandboxes["brand-a"], sandboxes["brand-b"]
    added_a = await a.customer_adds_staff("zhangsan", "wmOfA")
    added_b = await b.customer_adds_staff("zhangsan", "wmOfB")
    assert added_a.delivery is not None and added_a.delivery.statuses == [200]
    assert added_b.delivery is not None and added_b.delivery.statuses == [200]
    await wait_until(lambda: _welcomed(a, "wmOfA"))
    await wait_until(lambda: _welcomed(b, "wmOfB"))
    # each corp's WeCom got only its own customer's welcome
    assert [w.external_userid for w in a.welcomes()] == ["wmOfA"]
    assert [w.external_userid for w in b.welcomes()] == ["wmOfB"]
    # each corp's events went into its own stream, under its own hash tag
    for corp in corps:
        keys = RedisKeys(corp.settings.corp_id, corp.settings.key_prefix)
        assert await redis.exists(keys.events)
    # corp A's callback, signed with A's token, is refused on B's path
    a.connect_bot(str(served.make_url("/corp/brand-b/wecom/callback")), *CORPS["brand-a"][1:])
    crossed = await a.customer_adds_staff("zhangsan", "wmCrossed")
    assert crossed.delivery is not None
    assert all(400 <= status < 500 for status in crossed.delivery.statuses)
    assert not b.welcomes("wmCrossed") and not a.welcomes("wmCrossed")


async def test_health_and_metrics_cover_every_corp(
    served: TestServer, sandboxes: dict[str, Sandbox]
) -> None:
    await sandboxes["brand-a"].customer_adds_staff("zhangsan", "wmOne")
    await sandboxes["brand-a"].customer_adds_staff("zhangsan", "wmTwo")
    await sandboxes["brand-b"].customer_adds_staff("zhangsan", "wmThree")
    async with aiohttp.ClientSession() as http:
        async with http.get(served.make_url("/readyz")) as response:
            assert response.status == 200
            assert await response.json() == {
                "status": "ok",
                "corps": {"brand-a": "ok", "brand-b": "ok"},
            }
        async with http.get(served.make_url("/metrics")) as response:
            text = await response.text()
        assert 'scrm_callbacks_total{corp="brand-a",result="accepted"} 2.0' in text
        assert 'scrm_callbacks_total{corp="brand-b",result="accepted"} 1.0' in text
        assert 'scrm_pipeline_backlog{corp="brand-b"}' in text
        async with http.get(served.make_url("/corp/brand-b/readyz")) as response:
            assert response.status == 200
        sidebar = served.make_url("/corp/brand-b/sidebar/")
        async with http.get(sidebar, allow_redirects=False) as response:
            # the corp's own sidebar sends staff to sign in with the corp's own app, and back
            assert response.status == 302
            location = unquote(response.headers["Location"])
        assert "appid=wwbrandbbbb" in location
        assert "http://127.0.0.1:8080/corp/brand-b/sidebar/" in location


async def test_a_flooded_and_failing_corp_does_not_hold_up_another(
    served: TestServer, sandboxes: dict[str, Sandbox]
) -> None:
    a, b = sandboxes["brand-a"], sandboxes["brand-b"]
    flood = 40
    # corp A's WeCom answers its welcome calls slowly (1 s each) and its queue is deep
    a.faults.add("externalcontact/send_welcome_msg", delay=1.0, times=flood)
    await asyncio.gather(*(a.customer_adds_staff("zhangsan", f"wmFlood{n}") for n in range(flood)))
    await b.customer_adds_staff("zhangsan", "wmCalm")
    await wait_until(lambda: _welcomed(b, "wmCalm"), timeout=15)
    # B was served while A's backlog (4 at a time, 1 s each: ~10 s of work) still waited
    assert len(a.welcomes()) < flood // 2
    await wait_until(lambda: _all_welcomed(a, flood), timeout=40)


async def _welcomed(sandbox: Sandbox, external_userid: str) -> bool:
    return bool(sandbox.welcomes(external_userid))


async def _all_welcomed(sandbox: Sandbox, count: int) -> bool:
    return len(sandbox.welcomes()) >= count


def test_corps_need_a_slug(corps: list[CorpConfig]) -> None:
    with pytest.raises(ValueError, match="slug"):
        create_corps_app([replace(corps[0], slug="")])
