from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.sandbox import Sandbox, create_sandbox_app
from tests.sandbox.helpers import Api, FakeClock

ClientFactory = Callable[..., Awaitable[TestClient[Any, Any]]]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sandbox(clock: FakeClock) -> Sandbox:
    box = Sandbox(clock=clock, seed=7)
    box.add_staff("zhangsan", "张三", [1])
    box.add_staff("lisi", "李四", [1, 2])
    return box


@pytest.fixture
async def client(aiohttp_client: ClientFactory, sandbox: Sandbox) -> TestClient[Any, Any]:
    return await aiohttp_client(create_sandbox_app(sandbox))


async def _token(client: TestClient[Any, Any], corpid: str, secret: str) -> str:
    async with client.get(
        "/cgi-bin/gettoken", params={"corpid": corpid, "corpsecret": secret}
    ) as r:
        data = await r.json()
    assert data["errcode"] == 0, data
    return str(data["access_token"])


@pytest.fixture
async def app_api(client: TestClient[Any, Any], sandbox: Sandbox) -> Api:
    return Api(client, await _token(client, sandbox.corp_id, sandbox.app_secret))


@pytest.fixture
async def contact_api(client: TestClient[Any, Any], sandbox: Sandbox) -> Api:
    return Api(client, await _token(client, sandbox.corp_id, sandbox.contact_secret))
