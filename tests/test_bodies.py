"""The one capped-body reader every endpoint uses: a body over the limit is refused whether or
not it declares its length, and one that trickles in is cut off at the deadline."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web

from bot.web import bodies
from bot.web.bodies import BodyTimeout, BodyTooLarge, read_capped

LIMIT = 1000


async def echo_size(request: web.Request) -> web.Response:
    try:
        body = await read_capped(request, LIMIT)
    except BodyTooLarge:
        return web.Response(status=413)
    except BodyTimeout:
        return web.Response(status=408)
    return web.Response(text=str(len(body)))


@pytest.fixture
async def client(aiohttp_client: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setattr(bodies, "READ_SECONDS", 0.5)
    app = web.Application()
    app.router.add_post("/", echo_size)
    return await aiohttp_client(app)


async def chunks(*parts: bytes, pause: float = 0.0) -> AsyncIterator[bytes]:
    for part in parts:
        await asyncio.sleep(pause)
        yield part


async def test_a_body_within_the_limit_is_read_whole(client: Any) -> None:
    response = await client.post("/", data=chunks(b"a" * 600, b"b" * 400))
    assert (response.status, await response.text()) == (200, "1000")


async def test_over_the_limit_declared_or_not(client: Any) -> None:
    assert (await client.post("/", data=b"x" * (LIMIT + 1))).status == 413
    assert (await client.post("/", data=chunks(b"x" * 800, b"x" * 800))).status == 413


async def test_a_trickling_body_is_cut_off(client: Any) -> None:
    response = await client.post("/", data=chunks(b"x", b"x", b"x", pause=0.4))
    assert response.status == 408


def _arrived_whole(body: bytes, *, declared: bool) -> web.Request:
    """A request whose body is all buffered already, as when it came with the head."""
    from unittest import mock

    from aiohttp import streams
    from aiohttp.test_utils import make_mocked_request

    protocol = mock.Mock(_reading_paused=False)
    payload = streams.StreamReader(protocol, 2**16, loop=asyncio.get_running_loop())
    payload.feed_data(body)
    payload.feed_eof()
    headers = {"Content-Length": str(len(body))} if declared else {}
    return make_mocked_request("POST", "/", headers=headers, payload=payload)


@pytest.mark.parametrize("declared", [True, False])
async def test_a_body_already_buffered_is_taken_whole_and_still_capped(declared: bool) -> None:
    seen: list[bytes] = []
    request = _arrived_whole(b"a" * LIMIT, declared=declared)
    assert await read_capped(request, LIMIT, feed=seen.append) == b"a" * LIMIT
    assert seen == [b"a" * LIMIT]  # the signed-body HMAC sees it as it would chunk by chunk
    with pytest.raises(BodyTooLarge):
        await read_capped(_arrived_whole(b"a" * (LIMIT + 1), declared=declared), LIMIT)
