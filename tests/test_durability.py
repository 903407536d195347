"""Redis stops: the callback answers 503; after a restart nothing acknowledged is lost."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from bot.app import create_app
from bot.callback.crypto import CallbackCrypto
from bot.keys import RedisKeys
from bot.storage.client import connect
from tests.conftest import VECTOR_CORP_ID, make_settings
from tests.helpers import RedisServerProcess, contact_event_xml, signed_post

ClientFactory = Callable[[web.Application], Awaitable[TestClient[Any, Any]]]


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisServerProcess]:
    server = RedisServerProcess(tmp_path / "redis")
    server.start()
    yield server
    server.kill()


async def test_redis_killed_then_restarted(
    aiohttp_client: ClientFactory, own_redis: RedisServerProcess, tmp_path: Path
) -> None:
    settings = make_settings(own_redis.url, "durability", tmp_path)
    crypto = CallbackCrypto(settings.token, settings.aes_key, settings.corp_id)
    client = await aiohttp_client(create_app(settings, role="callback"))

    accepted = []
    for n in range(20):
        xml = contact_event_xml(corp_id=VECTOR_CORP_ID, external_userid=f"wm{n}")
        query, body = signed_post(crypto, xml)
        response = await client.post("/wecom/callback", params=query, data=body)
        assert response.status == 200
        accepted.append(xml)

    own_redis.kill()  # SIGKILL right after the last 200: only what was fsynced survives
    refused = contact_event_xml(corp_id=VECTOR_CORP_ID, external_userid="wm-during-outage")
    query, body = signed_post(crypto, refused)
    response = await client.post("/wecom/callback", params=query, data=body)
    assert response.status == 503
    assert (await client.get("/readyz")).status == 503

    own_redis.start()
    redis = connect(own_redis.url)
    try:
        keys = RedisKeys(settings.corp_id, settings.key_prefix)
        stored = [fields["xml"] for _, fields in await redis.xrange(keys.events)]
        assert stored == accepted  # every acknowledged event, in order, none extra

        # WeCom retries the refused one; now it is taken exactly once
        for _ in range(2):
            query, body = signed_post(crypto, refused)
            response = await client.post("/wecom/callback", params=query, data=body)
            assert response.status == 200
        assert await redis.xlen(keys.events) == len(accepted) + 1
        assert (await client.get("/readyz")).status == 200
    finally:
        await redis.aclose()
