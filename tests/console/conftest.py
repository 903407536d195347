"""The console against the WeCom sandbox: the bot on a known port (its public URL), signed in
through the sandbox's web login or OAuth2. admin1 is an admin, viewer1 a read-only viewer."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestServer, unused_port

from bot.config import Settings
from bot.sandbox import Sandbox


@pytest.fixture
def console_settings(sandbox_settings: Settings, live_sandbox: Sandbox) -> Settings:
    live_sandbox.add_staff("admin1", "王管理")
    live_sandbox.add_staff("viewer1", "赵看板")
    live_sandbox.add_staff("member1", "钱员工")
    port = unused_port()
    return replace(
        sandbox_settings,
        public_url=f"http://127.0.0.1:{port}",
        oauth_authorize_url=f"{live_sandbox.base_url}/connect/oauth2/authorize",
        web_login_url=f"{live_sandbox.base_url}/wwlogin/sso/login",
        console_viewers=frozenset({"viewer1"}),
    )


@pytest.fixture
async def console_bot(console_settings: Settings, aiohttp_server: Any) -> TestServer:
    """The whole bot (pipeline too: chat commands are answered by it)."""
    from bot.app import create_app

    port = int(console_settings.public_url.rsplit(":", 1)[1])
    server: TestServer = await aiohttp_server(create_app(console_settings), port=port)
    return server


@dataclass
class Browser:
    """A browser signed in to the console: its HTTP session, the CSRF header, the base URL."""

    http: aiohttp.ClientSession
    base: str
    csrf: dict[str, str]
    status: int
    page: str

    async def run(self, key: str, **values: str) -> dict[str, Any]:
        async with self.http.post(
            f"{self.base}api/run", json={"key": key, "values": values}, headers=self.csrf
        ) as answer:
            assert answer.status == 200, await answer.text()
            data: dict[str, Any] = await answer.json()
            return data

    async def post(self, path: str, body: Any = None, **kwargs: Any) -> tuple[int, Any]:
        kwargs.setdefault("headers", self.csrf)
        async with self.http.post(f"{self.base}{path}", json=body or {}, **kwargs) as answer:
            return answer.status, await answer.json()


SignIn = Callable[..., Awaitable[Browser]]


@pytest.fixture
async def sign_in(
    console_bot: TestServer, console_settings: Settings, live_sandbox: Sandbox
) -> AsyncIterator[SignIn]:
    sessions: list[aiohttp.ClientSession] = []

    async def open_as(userid: str, user_agent: str = "Mozilla/5.0 (X11) Chrome/120") -> Browser:
        live_sandbox.scan_in(userid)
        live_sandbox.sign_in(userid)
        http = aiohttp.ClientSession(
            cookie_jar=aiohttp.CookieJar(unsafe=True), headers={"User-Agent": user_agent}
        )
        sessions.append(http)
        base = f"{console_settings.public_url}/console/"
        async with http.get(base) as page:
            text = await page.text()
        found = re.search(r'name="csrf-token" content="([^"]+)"', text)
        csrf = {"X-CSRF-Token": found.group(1)} if found else {}
        return Browser(http, base, csrf, page.status, text)

    yield open_as
    for http in sessions:
        await http.close()
