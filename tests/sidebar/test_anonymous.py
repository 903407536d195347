"""Nothing an unauthenticated request does writes to Redis: the sign-in's state is signed, not
stored, and every other route reachable without a session or signature only reads."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from redis.asyncio import Redis

from bot.app import create_app
from bot.config import Settings
from bot.sandbox import Sandbox
from bot.web.signed import SIGNATURE_HEADER, TIMESTAMP_HEADER

VISITS = 200  # enough that a key per visit can't hide among the app's own


async def keys_under(redis: Redis, prefix: str) -> set[str]:
    return {key async for key in redis.scan_iter(match=f"{prefix}:*", count=1000)}


@pytest.fixture
async def open_bot(
    sidebar_settings: Settings, aiohttp_server: Any, live_sandbox: Sandbox
) -> TestServer:
    """The web-facing bot with the signed ingest endpoints switched on."""
    settings = replace(sidebar_settings, ingest_secret="k" * 40)
    port = int(settings.public_url.rsplit(":", 1)[1])
    server: TestServer = await aiohttp_server(create_app(settings, role="callback"), port=port)
    return server


async def test_no_unauthenticated_request_writes_to_redis(
    open_bot: TestServer, sidebar_settings: Settings, redis: Redis
) -> None:
    """The pages that start a sign-in (the sidebar, an SOP task's, the statistics), then every
    other route an unauthenticated request reaches, with the requests it can make there."""
    root = sidebar_settings.public_url
    now = str(int(time.time()))
    signed = {TIMESTAMP_HEADER: now, SIGNATURE_HEADER: "0" * 64}
    callback = "msg_signature=x&timestamp=" + now + "&nonce=n"
    requests: list[tuple[str, str, dict[str, str], bytes]] = [
        ("GET", "/sidebar/auth/callback?code=abc&state=" + now + "0" * 64, {}, b""),
        ("GET", "/sidebar/api/scripts/home", {}, b""),
        ("POST", "/sidebar/api/text/check", {"X-CSRF-Token": "x" * 43}, b'{"text":"x"}'),
        ("GET", "/sidebar/media/" + "0" * 32, {}, b""),
        ("GET", "/sidebar/static/sidebar.css", {}, b""),
        ("GET", "/wecom/callback?" + callback + "&echostr=e", {}, b""),
        ("POST", "/wecom/callback?" + callback, {}, b"<xml><Encrypt>x</Encrypt></xml>"),
        ("POST", "/ingest/orders", signed, json.dumps({"orders": []}).encode()),
        ("POST", "/ingest/messages", signed, json.dumps({"messages": []}).encode()),
        ("GET", "/healthz", {}, b""),
        ("GET", "/readyz", {}, b""),
        ("GET", "/metrics", {}, b""),
    ]
    before = await keys_under(redis, sidebar_settings.key_prefix)
    async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as anonymous:
        for n in range(VISITS):
            for page in ("", f"sop/{n:020x}", "admin/stats"):
                async with anonymous.get(f"{root}/sidebar/{page}", allow_redirects=False) as answer:
                    assert answer.status == 302  # off to WeCom's authorize page
                    assert "scrm_sidebar_oauth=" in answer.headers["Set-Cookie"]
        for _ in range(20):
            for method, path, headers, body in requests:
                async with anonymous.request(
                    method, root + path, headers=headers, data=body, allow_redirects=False
                ) as answer:
                    assert answer.status < 500, (path, answer.status)
    assert await keys_under(redis, sidebar_settings.key_prefix) == before
