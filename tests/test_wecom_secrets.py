"""No corp secret or access token in what a failed WeCom call leaves behind: the raised error
(its text, repr, cause/context chain and traceback), any log record at DEBUG, a dead letter.

aiohttp puts the whole request URL, `?corpid=…&corpsecret=…` or `?access_token=…` included,
into the text of TooManyRedirects and ConnectionTimeoutError; these upstreams produce both.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import replace
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from redis.asyncio import Redis

from bot.app import create_app
from bot.callback.crypto import CallbackCrypto
from bot.config import Settings
from bot.keys import RedisKeys
from bot.pipeline.deadletter import list_dead_letters
from bot.wecom import ClientSettings, WeComClient, WeComTransportError
from tests.conftest import VECTOR_CORP_ID
from tests.helpers import exposed_text, free_port, signed_post
from tests.pipeline_support import wait_until

ServerFactory = Callable[..., Awaitable[TestServer]]
ClientFactory = Callable[[web.Application], Awaitable[TestClient[Any, Any]]]
QUICK = ClientSettings(
    timeout_seconds=1.0,
    connect_timeout_seconds=0.2,
    max_attempts=2,
    backoff_base_seconds=0.01,
    backoff_cap_seconds=0.02,
)
SECRET = f"SECRET-{uuid.uuid4().hex}"
CONTACT_SECRET = f"CONTACT-{uuid.uuid4().hex}"
TOKEN = f"TOKEN-{uuid.uuid4().hex}"


def looping_app(*, issue_tokens: bool, to: str = "") -> web.Application:
    """Every request is redirected to itself (or, with `to`, to the same path and query
    there); with `issue_tokens`, gettoken answers first."""

    async def handle(request: web.Request) -> web.StreamResponse:
        if issue_tokens and request.path.endswith("/gettoken"):
            return web.json_response({"errcode": 0, "access_token": TOKEN, "expires_in": 7200})
        raise web.HTTPFound(f"{to}{request.rel_url}")

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    return app


@pytest.fixture
def never_accepting() -> Iterator[str]:
    """A port whose accept queue is full: connecting to it stalls until the connect timeout."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = [socket.socket() for _ in range(3)]
    for filler in fillers:
        filler.setblocking(False)
        filler.connect_ex(("127.0.0.1", port))
    yield f"http://127.0.0.1:{port}"
    for sock in [*fillers, listener]:
        sock.close()


@pytest.fixture
async def never_answering() -> AsyncIterator[str]:
    """Accepts connections and reads requests, but never answers."""
    held: list[asyncio.StreamWriter] = []

    async def hold(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}"
    for writer in held:
        writer.close()
    server.close()
    await server.wait_closed()


async def failed_call(base: str, redis: Redis, key_prefix: str) -> WeComTransportError:
    async with aiohttp.ClientSession() as session:
        client = WeComClient(
            session,
            redis,
            RedisKeys(VECTOR_CORP_ID, key_prefix),
            base_url=base,
            corp_id=VECTOR_CORP_ID,
            agent_id=1000002,
            agent_secret=SECRET,
            contact_secret=CONTACT_SECRET,
            client_settings=QUICK,
        )
        with pytest.raises(WeComTransportError) as caught:
            await client.agent.get(1000002)
    error = caught.value
    log = logging.getLogger("scrm.handlers")
    log.warning("call failed: %s", error)  # as handlers and jobs report it
    log.exception("call failed", exc_info=error)  # as the pipeline's middlewares do
    return error


async def test_no_secret_when_wecom_cannot_be_reached(
    aiohttp_server: ServerFactory,
    never_accepting: str,
    never_answering: str,
    redis: Redis,
    key_prefix: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    loop_server = await aiohttp_server(looping_app(issue_tokens=False), access_log=None)
    ftp_app = looping_app(issue_tokens=False, to="ftp://127.0.0.1")
    to_ftp = await aiohttp_server(ftp_app, access_log=None)
    upstreams = {
        "refused": f"http://127.0.0.1:{free_port()}",
        "redirect loop": str(loop_server.make_url("")).rstrip("/"),
        "redirect to ftp": str(to_ftp.make_url("")).rstrip("/"),
        "connect stalls": never_accepting,
        "answer stalls": never_answering,
    }
    for name, base in upstreams.items():
        error = await failed_call(base, redis, key_prefix)
        assert error.path == "gettoken", name
        assert SECRET not in exposed_text(error, caplog.records), name
    assert "TooManyRedirects" in caplog.text


async def test_no_access_token_when_a_call_is_redirected_in_a_loop(
    aiohttp_server: ServerFactory, redis: Redis, key_prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    server = await aiohttp_server(looping_app(issue_tokens=True), access_log=None)
    error = await failed_call(str(server.make_url("")).rstrip("/"), redis, key_prefix)
    assert error.path == "agent/get" and "TooManyRedirects" in str(error)
    text = exposed_text(error, caplog.records)
    assert TOKEN not in text and SECRET not in text


def kf_event_xml() -> str:
    return (
        f"<xml><ToUserName><![CDATA[{VECTOR_CORP_ID}]]></ToUserName>"
        f"<FromUserName><![CDATA[sys]]></FromUserName><CreateTime>{int(time.time())}</CreateTime>"
        "<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[kf_msg_or_event]]></Event>"
        "<Token><![CDATA[KF1]]></Token><OpenKfId><![CDATA[wk1]]></OpenKfId></xml>"
    )


async def test_a_dead_letter_keeps_no_token_or_secret(
    aiohttp_server: ServerFactory,
    aiohttp_client: ClientFactory,
    settings: Settings,
    redis: Redis,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """kf_msg_or_event's pull fails on every attempt (WeCom redirects it in a loop) and ends
    in the dead-letter stream, whose error text is what an operator lists and replays."""
    caplog.set_level(logging.DEBUG)
    upstream = await aiohttp_server(looping_app(issue_tokens=True), access_log=None)
    settings = replace(
        settings,
        agent_secret=SECRET,
        contact_secret=CONTACT_SECRET,
        wecom_api_base=str(upstream.make_url("")).rstrip("/"),
        pipeline=replace(settings.pipeline, max_attempts=2),
    )
    client = await aiohttp_client(create_app(settings, client_settings=QUICK))
    crypto = CallbackCrypto(settings.token, settings.aes_key, settings.corp_id)
    query, body = signed_post(crypto, kf_event_xml())
    assert (await client.post("/wecom/callback", params=query, data=body)).status == 200
    keys = RedisKeys(settings.corp_id, settings.key_prefix)

    async def dead_lettered() -> bool:
        return bool(await list_dead_letters(redis, keys))

    await wait_until(dead_lettered, timeout=30)
    [dead] = await list_dead_letters(redis, keys)
    assert "kf/sync_msg" in dead.error and "TooManyRedirects" in dead.error
    stored = json.dumps(dead.as_dict(), ensure_ascii=False)
    logged = exposed_text(None, caplog.records)
    for secret in (TOKEN, SECRET, CONTACT_SECRET):
        assert secret not in stored and secret not in logged
