"""The whole bot with distinctive secrets, watched at DEBUG: none of them, nor an access token
the sandbox issued, appears in any log record, dead letter, HTTP answer or CLI output.

The flow: a welcome, an admin's chat command, an ingest batch, `scrm-bot doctor`; then WeCom
(behind a proxy) answers every call with a redirect to itself for a while: a WeChat Customer
Service pull dead-letters and a welcome fails; then it recovers and the dead letter replays.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.app import create_app
from bot.cli import main
from bot.config import Settings
from bot.keys import RedisKeys
from bot.pipeline.deadletter import list_dead_letters
from bot.sandbox import Sandbox
from bot.storage.client import connect
from bot.web.signed import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from bot.wecom import ClientSettings
from tests.conftest import make_settings
from tests.helpers import RedisServerProcess, cli_env, exposed_text
from tests.pipeline_support import wait_until

ServerFactory = Callable[..., Awaitable[TestServer]]
QUICK = ClientSettings(timeout_seconds=2.0, max_attempts=2, backoff_base_seconds=0.01)


@dataclass
class Proxy:
    """Forwards WeCom API calls to the sandbox, or, while `looping`, redirects them to
    themselves (a misconfigured gateway in front of WeCom)."""

    target: str
    looping: bool = False

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self.handle)
        return app

    async def handle(self, request: web.Request) -> web.StreamResponse:
        if self.looping:
            raise web.HTTPFound(request.rel_url)
        headers = {k: v for k, v in request.headers.items() if k.lower() == "content-type"}
        async with (
            aiohttp.ClientSession() as session,
            session.request(
                request.method,
                self.target + str(request.rel_url),
                data=await request.read(),
                headers=headers,
            ) as answer,
        ):
            return web.Response(
                status=answer.status,
                body=await answer.read(),
                content_type=answer.content_type,
            )


@pytest.fixture
def locked_redis(tmp_path: Path) -> Iterator[RedisServerProcess]:
    server = RedisServerProcess(tmp_path / "redis", password=f"REDISPW{uuid.uuid4().hex}")
    server.start()
    yield server
    server.kill()


async def test_no_secret_anywhere_in_a_day_of_the_bot(
    locked_redis: RedisServerProcess,  # first: it stops after the bot
    aiohttp_server: ServerFactory,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    sandbox = Sandbox(
        app_secret=f"APPSECRET-{uuid.uuid4().hex}", contact_secret=f"CONTACT-{uuid.uuid4().hex}"
    )
    sandbox.add_staff("zhangsan", "张三")
    sandbox.add_staff("admin1", "管理员")
    proxy = Proxy(await sandbox.start())
    proxied = await aiohttp_server(proxy.app(), access_log=None)
    settings = make_settings(
        locked_redis.url,
        "grep",
        tmp_path,
        corp_id=sandbox.corp_id,
        agent_id=sandbox.agent_id,
        agent_secret=sandbox.app_secret,
        contact_secret=sandbox.contact_secret,
        wecom_api_base=str(proxied.make_url("")).rstrip("/"),
        ingest_secret=f"INGEST-{uuid.uuid4().hex}",
    )
    settings = replace(settings, pipeline=replace(settings.pipeline, max_attempts=2))
    bot = await aiohttp_server(create_app(settings, client_settings=QUICK))
    sandbox.connect_bot(str(bot.make_url("/wecom/callback")), settings.token, settings.aes_key)
    for key, value in cli_env(settings).items():
        monkeypatch.setenv(key, value)
    redis = connect(locked_redis.url)
    keys = RedisKeys(settings.corp_id, settings.key_prefix)
    answers: list[str] = []

    async def drained() -> bool:
        return int(await redis.xlen(keys.events)) == 0

    async def dead_lettered() -> bool:
        return bool(await list_dead_letters(redis, keys))

    async def welcomed() -> bool:
        return bool(sandbox.welcomes("wmAlice"))

    async def cli(*argv: str) -> str:
        assert await asyncio.to_thread(main, list(argv)) == 0
        printed = capsys.readouterr()
        answers.append(printed.out + printed.err)
        return printed.out

    try:
        await sandbox.customer_adds_staff("zhangsan", "wmAlice")
        await wait_until(welcomed)
        command = await sandbox.staff_sends_text("admin1", "帮助")  # answered in the callback
        assert command.delivery is not None and command.delivery.statuses == [200]
        answers.append(await _ingest(bot, settings))
        await cli("doctor")

        proxy.looping = True
        await sandbox.kf_message("wmBob", "在吗")
        await wait_until(dead_lettered, timeout=30)
        await sandbox.customer_adds_staff("zhangsan", "wmCarol")
        await wait_until(drained, timeout=30)
        async with aiohttp.ClientSession() as session:
            for path in ("/readyz", "/metrics"):
                async with session.get(bot.make_url(path)) as response:
                    answers.append(await response.text())
        dead_letters = [json.loads(line) for line in (await cli("deadletter", "list")).splitlines()]
        assert {"kf/sync_msg", "TooManyRedirects"} <= {
            word for letter in dead_letters for word in letter["error"].split(": ")
        }

        proxy.looping = False
        await cli("deadletter", "replay", "--all")
        await wait_until(drained, timeout=30)
    finally:
        await redis.aclose()
        await sandbox.stop()

    secrets = [
        sandbox.app_secret,
        sandbox.contact_secret,
        settings.token,
        settings.aes_key,
        settings.ingest_secret,
        locked_redis.password or "?",
        *(token.value for token in sandbox.tokens.all()),
    ]
    assert len(secrets) > 6  # the sandbox issued access tokens
    seen = "\n".join([exposed_text(None, caplog.records), *answers])
    for secret in secrets:
        assert secret not in seen


async def _ingest(bot: TestServer, settings: Settings) -> str:
    """One signed batch of chat text, and one whose signature is wrong: both answers."""
    body = json.dumps(
        {
            "messages": [
                {
                    "msgid": "m1",
                    "sender": "customer",
                    "external_userid": "wmAlice",
                    "staff_userid": "zhangsan",
                    "text": "想问下退款",
                    "sent_at": int(time.time()) - 60,
                }
            ]
        },
        ensure_ascii=False,
    ).encode()
    shown: list[str] = []
    async with aiohttp.ClientSession() as session:
        for secret in (settings.ingest_secret, "wrong" * 8):
            stamp = int(time.time())
            headers = {
                TIMESTAMP_HEADER: str(stamp),
                SIGNATURE_HEADER: sign(secret, stamp, "/ingest/messages", body),
                "Content-Type": "application/json",
            }
            url = bot.make_url("/ingest/messages")
            async with session.post(url, data=body, headers=headers) as response:
                shown.append(f"{response.status} {await response.text()}")
    assert shown[0].startswith("200") and shown[1].startswith("401"), shown
    return "\n".join(shown)
