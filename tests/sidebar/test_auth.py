"""Sign-in: OAuth2 through the sandbox's authorize page, the state bound to the browser,
server-side sessions in Redis with HttpOnly/SameSite cookies, CSRF on every POST."""

from __future__ import annotations

import re
import time
from dataclasses import replace
from http.cookies import SimpleCookie
from urllib.parse import parse_qs, urlsplit

import aiohttp
from aiohttp.test_utils import TestServer
from redis.asyncio import Redis

from bot.config import Settings
from bot.keys import RedisKeys
from bot.sandbox import Sandbox
from sidebar_web.oauth import authorize_url
from sidebar_web.oauth_state import OAUTH_SECONDS, StateSigner, state_key
from sidebar_web.session import (
    OAUTH_COOKIE,
    SESSION_SECONDS,
    digest,
    secure_cookies,
    sidebar_path,
)
from tests.sidebar.conftest import Browser


def jar() -> aiohttp.ClientSession:
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))


async def test_sign_in_runs_the_real_oauth_flow(
    browser: Browser, live_sandbox: Sandbox, sidebar_settings: Settings, redis: Redis
) -> None:
    live_sandbox.sign_in("zhangsan")
    async with browser.http.get(f"{browser.base}/sidebar/", allow_redirects=False) as first:
        assert first.status == 302
        authorize = first.headers["Location"]
        oauth_cookie = SimpleCookie(first.headers["Set-Cookie"])
    assert authorize.startswith(sidebar_settings.oauth_authorize_url + "?")
    assert authorize.endswith("#wechat_redirect")
    query = parse_qs(urlsplit(authorize).query)
    assert query["appid"] == [live_sandbox.corp_id]
    assert query["agentid"] == [str(live_sandbox.agent_id)]
    assert query["scope"] == ["snsapi_base"] and query["response_type"] == ["code"]
    assert query["redirect_uri"] == [f"{browser.base}/sidebar/auth/callback"]
    # the expiry and an HMAC: WeCom passes back a-zA-Z0-9 of up to 128 bytes unchanged
    assert re.fullmatch(r"[0-9]{10}[0-9a-f]{64}", query["state"][0])
    assert oauth_cookie["scrm_sidebar_oauth"]["httponly"]

    async with browser.http.get(authorize, allow_redirects=False) as sandbox_page:
        assert sandbox_page.status == 302
        callback = sandbox_page.headers["Location"]
    assert callback.startswith(f"{browser.base}/sidebar/auth/callback?code=")
    async with browser.http.get(callback, allow_redirects=False) as answer:
        assert answer.status == 302
        assert answer.headers["Location"].startswith("/sidebar/?signed_in=")
        cookie = SimpleCookie(answer.headers.getall("Set-Cookie")[0])["scrm_sidebar"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax" and cookie["path"] == "/sidebar/"
    assert not cookie["secure"]  # plain http on loopback only; see test_secure_cookies
    assert int(cookie["max-age"]) == SESSION_SECONDS
    [getuserinfo] = live_sandbox.calls_to("auth/getuserinfo")
    assert getuserinfo.ok

    # Redis keeps a hash of the session id, never the id itself, with the session's TTL
    keys = RedisKeys(sidebar_settings.corp_id, sidebar_settings.key_prefix)
    key = keys.sidebar_session(digest(cookie.value))
    assert 0 < int(await redis.ttl(key)) <= SESSION_SECONDS
    assert not [k async for k in redis.scan_iter(match=f"*{cookie.value}*")]

    async with browser.http.get(f"{browser.base}/sidebar/") as page:
        html = await page.text()
        assert page.headers["X-Frame-Options"] == "DENY"
        assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    assert '"userid": "zhangsan"' in html and "\\u5f20\\u4e09" in html  # 张三, from user/get


def test_secure_cookies_everywhere_but_loopback_http() -> None:
    assert secure_cookies("https://scrm.example.com")
    assert secure_cookies("http://10.0.0.5:8080")  # plain http elsewhere: browsers drop them
    assert not secure_cookies("http://127.0.0.1:8080")
    assert not secure_cookies("http://localhost:8080")
    assert sidebar_path("https://example.com/scrm") == "/scrm/sidebar/"


async def callback_for(settings: Settings, state: str) -> str:
    """The callback URL the sandbox's authorize page sends a browser to, with a fresh code."""
    async with (
        jar() as http,
        http.get(authorize_url(settings, state), allow_redirects=False) as page,
    ):
        assert page.status == 302
        return page.headers["Location"]


async def refused(url: str, binding: str) -> None:
    """`url` opened with only the OAuth cookie `binding` is refused as a failed state check."""
    async with (
        aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as http,
        http.get(url, headers={"Cookie": f"{OAUTH_COOKIE}={binding}"}) as answer,
    ):
        assert answer.status == 400
        assert "登录校验失败" in await answer.text()
        assert "scrm_sidebar=" not in answer.headers.get("Set-Cookie", "")


async def test_the_state_only_works_in_the_browser_that_started(
    browser: Browser, live_sandbox: Sandbox, sidebar_settings: Settings
) -> None:
    live_sandbox.sign_in("zhangsan")
    async with browser.http.get(f"{browser.base}/sidebar/", allow_redirects=False) as first:
        authorize = first.headers["Location"]
        binding = first.cookies[OAUTH_COOKIE].value
    async with browser.http.get(authorize, allow_redirects=False) as sandbox_page:
        callback = sandbox_page.headers["Location"]

    # another browser, without the binding cookie or with one of its own
    async with jar() as elsewhere, elsewhere.get(callback, allow_redirects=False) as answer:
        assert answer.status == 400
        assert "登录校验失败" in await answer.text()
        assert "scrm_sidebar=" not in answer.headers.get("Set-Cookie", "")
    await refused(callback, "B" * 43)
    assert not live_sandbox.calls_to("auth/getuserinfo")  # refused before the code was used

    # a refusal elsewhere stores and spends nothing: the browser that started still signs in
    async with browser.http.get(callback, allow_redirects=False) as answer:
        assert answer.status == 302
        assert answer.headers["Location"].startswith("/sidebar/?signed_in=")
    # once used, the state is spent: not even its own browser gets in with a new code
    state = parse_qs(urlsplit(callback).query)["state"][0]
    await refused(await callback_for(sidebar_settings, state), binding)
    assert len(live_sandbox.calls_to("auth/getuserinfo")) == 2


async def test_forged_and_expired_states_are_refused(
    browser: Browser, live_sandbox: Sandbox, sidebar_settings: Settings
) -> None:
    live_sandbox.sign_in("zhangsan")
    key = state_key(sidebar_settings)
    issued = StateSigner(key).issue()
    expires, mac = issued.state[:10], issued.state[10:]
    flipped = mac[:-1] + ("0" if mac[-1] != "0" else "1")
    later = f"{int(expires) + 300:010d}"  # the same MAC with a later expiry
    other_corp = replace(sidebar_settings, aes_key="A" * 43)
    forged = [
        expires + flipped,
        later + mac,
        StateSigner(state_key(other_corp)).issue().state,  # signed, by another corp's key
        "f" * 32,  # the shape of a stored state
        "",
    ]
    for state in forged:
        await refused(await callback_for(sidebar_settings, state), issued.binding)
    # a genuine state, signed a moment over its lifetime ago
    old = StateSigner(key, clock=lambda: time.time() - OAUTH_SECONDS - 2).issue()
    await refused(await callback_for(sidebar_settings, old.state), old.binding)
    assert not live_sandbox.calls_to("auth/getuserinfo")
    # the same browser with a genuine state gets in
    fresh = StateSigner(key).issue()
    async with (
        aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as http,
        http.get(
            await callback_for(sidebar_settings, fresh.state),
            headers={"Cookie": f"{OAUTH_COOKIE}={fresh.binding}"},
            allow_redirects=False,
        ) as answer,
    ):
        assert answer.status == 302


async def test_a_used_code_and_a_non_member_are_refused(
    browser: Browser, live_sandbox: Sandbox, sidebar_bot: TestServer
) -> None:
    live_sandbox.sign_in("zhangsan")
    async with browser.http.get(f"{browser.base}/sidebar/", allow_redirects=False) as first:
        authorize = first.headers["Location"]
    live_sandbox.faults.add("auth/getuserinfo", errcode=40029)
    async with browser.http.get(authorize) as answer:
        assert answer.status == 400
        text = await answer.text()
    assert "登录码无效或已被使用" in text and 'href="/sidebar/"' in text  # a retry link


async def test_api_needs_a_session(browser: Browser) -> None:
    status, body = await browser.get("api/scripts/home")
    assert (status, body["error"]) == (401, "登录已过期，请重新打开侧边栏")
    status, body = await browser.post("api/text/check", {"text": "你好"}, csrf="x" * 43)
    assert status == 401


async def test_every_post_needs_the_csrf_token(browser: Browser) -> None:
    await browser.sign_in("zhangsan")
    assert (await browser.post("api/text/check", {"text": "你好"}))[0] == 200
    status, body = await browser.post("api/text/check", {"text": "你好"}, csrf="")
    assert status == 403 and body["error"] == "请求校验失败，请刷新页面后重试"
    wrong = browser.csrf[:-1] + ("A" if browser.csrf[-1] != "A" else "B")
    assert (await browser.post("api/text/check", {"text": "你好"}, csrf=wrong))[0] == 403
    status, body = await browser.post(
        "api/text/check", {"text": "你好"}, Origin="https://evil.example.com"
    )
    assert status == 403 and body["error"] == "请求来源不正确，已拒绝"
    # another member's token is no good either
    other = Browser.__new__(Browser)
    other.__dict__.update(browser.__dict__)
    async with jar() as http:
        other.http = http
        await other.sign_in("lisi")
        assert (await browser.post("api/text/check", {"text": "你好"}, csrf=other.csrf))[0] == 403


async def test_cookies_not_kept_gives_an_error_instead_of_a_loop(
    browser: Browser, live_sandbox: Sandbox
) -> None:
    live_sandbox.sign_in("zhangsan")
    async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as no_cookies:
        async with no_cookies.get(f"{browser.base}/sidebar/") as answer:
            assert answer.status == 400  # the binding cookie never came back
            assert "登录校验失败" in await answer.text()
        # a browser that keeps none of our cookies, arriving back from a fresh sign-in
        async with no_cookies.get(
            f"{browser.base}/sidebar/", params={"signed_in": str(int(time.time()))}
        ) as answer:
            assert answer.status == 400
            assert "浏览器没有保存登录状态" in await answer.text()
