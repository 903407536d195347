"""The async WeCom client against a small fake upstream: tokens, retries, timeouts, errors."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from redis.asyncio import Redis

from bot.keys import RedisKeys
from bot.metrics import Metrics
from bot.wecom import ClientSettings, WeComClient, WeComError, WeComTransportError
from bot.wecom.api.jsapi import jsapi_signature
from bot.wecom.credentials import cache_ttl

ServerFactory = Callable[[web.Application], Awaitable[TestServer]]
FAST = ClientSettings(
    timeout_seconds=0.5, max_attempts=3, backoff_base_seconds=0.01, backoff_cap_seconds=0.02
)


@dataclass
class Upstream:
    """Scripted answers per path; counts token issues and records calls."""

    answers: dict[str, list[Any]] = field(default_factory=dict)
    tokens_issued: int = 0
    calls: list[tuple[str, dict[str, str], Any]] = field(default_factory=list)
    token_delay: float = 0.0

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/cgi-bin/{path:.*}", self.handle)
        return app

    async def handle(self, request: web.Request) -> web.StreamResponse:
        path = request.match_info["path"]
        body = (
            await request.json()
            if request.can_read_body and request.content_type == "application/json"
            else None
        )
        self.calls.append((path, dict(request.query), body))
        if path == "gettoken":
            await asyncio.sleep(self.token_delay)
            if request.query.get("corpsecret") == "wrong":
                return web.json_response({"errcode": 40001, "errmsg": "invalid credential"})
            self.tokens_issued += 1
            return web.json_response(
                {"errcode": 0, "access_token": f"T{self.tokens_issued}", "expires_in": 7200}
            )
        queue = self.answers.get(path, [])
        answer = queue.pop(0) if queue else {"errcode": 0, "errmsg": "ok"}
        if isinstance(answer, int):
            return web.Response(status=answer, text="upstream error")
        if isinstance(answer, float):
            await asyncio.sleep(answer)
            return web.json_response({"errcode": 0})
        return web.json_response(answer)

    def tokens_used(self, path: str) -> list[str]:
        return [query.get("access_token", "") for p, query, _ in self.calls if p == path]


@pytest.fixture
async def upstream(aiohttp_server: ServerFactory) -> tuple[Upstream, str]:
    fake = Upstream()
    server = await aiohttp_server(fake.app())
    return fake, str(server.make_url("")).rstrip("/")


def make_client(
    session: aiohttp.ClientSession, redis: Redis, key_prefix: str, base: str, **kw: Any
) -> WeComClient:
    return WeComClient(
        session,
        redis,
        RedisKeys("wwcorp", key_prefix),
        base_url=base,
        corp_id="wwcorp",
        agent_id=1000002,
        agent_secret=kw.get("agent_secret", "app"),
        contact_secret=kw.get("contact_secret", "contact"),
        metrics=kw.get("metrics"),
        client_settings=FAST,
    )


async def test_token_is_cached_in_redis_with_margin(
    upstream: tuple[Upstream, str], redis: Redis, key_prefix: str
) -> None:
    fake, base = upstream
    async with aiohttp.ClientSession() as session:
        client = make_client(session, redis, key_prefix, base)
        await client.message.send_text(["zhangsan"], "你好")
        await client.message.send_text(["lisi"], "你好")
    assert fake.tokens_issued == 1
    key = RedisKeys("wwcorp", key_prefix).access_token("app")
    assert await redis.get(key) == "T1"
    assert 6890 <= await redis.ttl(key) <= 6900  # expires_in - 300
    assert "app" not in key  # the secret itself never appears in a key


async def test_process_reuses_its_token_until_wecom_calls_it_invalid(
    upstream: tuple[Upstream, str], redis: Redis, key_prefix: str
) -> None:
    fake, base = upstream
    key = RedisKeys("wwcorp", key_prefix).access_token("app")
    async with aiohttp.ClientSession() as session:
        client = make_client(session, redis, key_prefix, base)
        await client.message.send_text(["u"], "x")
        await redis.set(key, "T-other")  # another process's refresh, not yet seen here
        await client.message.send_text(["u"], "x")
        assert fake.tokens_used("message/send") == ["T1", "T1"]  # no Redis read per call
        fake.answers["message/send"] = [{"errcode": 42001, "errmsg": "access_token expired"}]
        await client.message.send_text(["u"], "x")
    # T1 refused: dropped in the process, the Redis copy (another value) kept and used
    assert fake.tokens_used("message/send") == ["T1", "T1", "T1", "T-other"]
    assert fake.tokens_issued == 1


def test_cache_ttl_for_short_lifetimes() -> None:
    assert cache_ttl(7200) == 6900
    assert cache_ttl(100) == 50
    assert cache_ttl(1) == 1


async def test_one_refresh_for_many_concurrent_callers(
    upstream: tuple[Upstream, str], redis: Redis, key_prefix: str
) -> None:
    fake, base = upstream
    fake.token_delay = 0.2
    async with aiohttp.ClientSession() as session:
        # two clients stand for two processes: they share only Redis
        first = make_client(session, redis, key_prefix, base)
        second = make_client(session, redis, key_prefix, base)
        await asyncio.gather(*(c.message.send_text(["u"], "x") for c in [first, second] * 10))
    assert fake.tokens_issued == 1


async def test_each_secret_has_its_own_token(
    upstream: tuple[Upstream, str], redis: Redis, key_prefix: str
) -> None:
    fake, base = upstream
    async with aiohttp.ClientSession() as session:
        client = make_client(session, redis, key_prefix, base)
        await client.message.send_text(["u"], "x")
        await client.external_contact.send_welcome_msg("code", text="欢迎")
    secrets_used = [q["corpsecret"] for p, q, _ in fake.calls if p == "gettoken"]
    assert secrets_used == ["app", "contact"]
    assert fake.tokens_used("externalcontact/send_welcome_msg") == ["T2"]


@pytest.mark.parametrize("errcode", [40014, 42001])
async def test_stale_token_is_refreshed_once(
    errcode: int, upstream: tuple[Upstream, str], redis: Redis, key_prefix: str
) -> None:
    fake, base = upstream
    fake.answers["message/send"] = [{"errcode": errcode, "errmsg": "expired"}]
    async with aiohttp.ClientSession() as session:
        client = make_client(session, redis, key_prefix, base)
        result = await client.message.send_text(["u"], "x")
    assert result["errcode"] == 0
    assert fake.tokens_used("message/send") == ["T1", "T2"]


async def test_token_errors_twice_do_not_loop(
    upstream: tuple[Upstream, str], redis: Redis, key_prefix: str
) -> None:
    fake, base = upstream
    fake.answers["message/send"] = [{"errcode": 40014, "errmsg": "invalid"}] * 5
    async with aiohttp.ClientSession() as session:
        client = make_client(session, redis, key_prefix, base)
        with pytest.raises(WeComError) as caught:
            await client.message.send_text(["u"], "x")
    assert caught.value.errcode == 40014
    assert len(fake.tokens_used("message/send")) == 2  # one retry only


@pytest.mark.parametrize("errcode", [-1, 45009, 45033])
async def test_busy_answers_back_off_and_recover(
    errcode: int, upstream: tuple[Upstream, str], redis: Redis, key_prefix: str
) -> None:
    fake, base = upstream
    fake.answers["externalcontact/mark_tag"] = [{"errcode": errcode, "errmsg": "busy"}] * 2
    async with aiohttp.ClientSession() as session:
        client = make_client(session, redis, key_prefix, base)
        await client.external_contact.mark_tag("u", "wm1", add_tag=["et1"])
    assert len(fake.tokens_used("externalcontact/mark_tag")) == 3


async def test_backoff_is_bounded(
    upstream: tuple[Upstream, str], redis: Redis, key_prefix: str
) -> None:
    fake, base = upstream
    fake.answers["externalcontact/mark_tag"] = [{"errcode": 45009, "errmsg": "freq"}] * 10
    metrics = Metrics()
    async with aiohttp.ClientSession() as session:
        client = make_client(session, redis, key_prefix, base, metrics=metrics)
        with pytest.raises(WeComError) as caught:
            await client.external_contact.mark_tag("u", "wm1", add_tag=["et1"])
    error = caught.value
    assert (error.errcode, error.path, error.retryable) == (45009, "externalcontact/mark_tag", True)
    assert len(fake.tokens_used("externalcontact/mark_tag")) == FAST.max_attempts
    sample = metrics.registry.get_sample_value(
        "scrm_wecom_api_calls_total", {"path": "externalcontact/mark_tag", "errcode": "45009"}
    )
    assert sample == FAST.max_attempts


async def test_other_errcodes_raise_at_once(
    upstream: tuple[Upstream, str], redis: Redis, key_prefix: str
) -> None:
    fake, base = upstream
    fake.answers["externalcontact/send_welcome_msg"] = [{"errcode": 41051, "errmsg": "used"}]
    async with aiohttp.ClientSession() as session:
        client = make_client(session, redis, key_prefix, base)
        with pytest.raises(WeComError) as caught:
            await client.external_contact.send_welcome_msg("code", text="hi")
    assert caught.value.errcode == 41051
    assert not caught.value.retryable
    assert "不要重试" in caught.value.explanation
    assert len(fake.tokens_used("externalcontact/send_welcome_msg")) == 1


async def test_wrong_secret_is_a_typed_error(
    upstream: tuple[Upstream, str], redis: Redis, key_prefix: str
) -> None:
    fake, base = upstream
    async with aiohttp.ClientSession() as session:
        client = make_client(session, redis, key_prefix, base, agent_secret="wrong")
        with pytest.raises(WeComError) as caught:
            await client.message.send_text(["u"], "x")
    assert (caught.value.errcode, caught.value.path) == (40001, "gettoken")
    assert "Secret" in caught.value.explanation
    assert fake.tokens_used("message/send") == []  # never called without a token


async def test_http_errors_and_timeouts_are_retried_then_typed(
    upstream: tuple[Upstream, str], redis: Redis, key_prefix: str
) -> None:
    fake, base = upstream
    fake.answers["kf/sync_msg"] = [502, 2.0, {"errcode": 0, "msg_list": [], "has_more": 0}]
    async with aiohttp.ClientSession() as session:
        client = make_client(session, redis, key_prefix, base)
        page = await client.kf.sync_msg("wk1", token="t", cursor="")
        assert page["msg_list"] == []
        fake.answers["kf/sync_msg"] = [503, 503, 503]
        with pytest.raises(WeComTransportError) as caught:
            await client.kf.sync_msg("wk1")
    assert caught.value.retryable
    assert "HTTP 503" in caught.value.errmsg


async def test_payloads_are_sent_as_documented(
    upstream: tuple[Upstream, str], redis: Redis, key_prefix: str
) -> None:
    fake, base = upstream
    fake.answers["externalcontact/add_intercept_rule"] = [{"errcode": 0, "rule_id": "r1"}]
    async with aiohttp.ClientSession() as session:
        client = make_client(session, redis, key_prefix, base)
        await client.message.send_textcard(["a", "b"], "标题", "描述", "https://x", btntxt="详情")
        rule = await client.intercept.add_rule("竞品词", ["某竞品"], intercept_type=2)
    assert rule == "r1"
    bodies = {path: body for path, _, body in fake.calls if body is not None}
    assert bodies["message/send"] == {
        "touser": "a|b",
        "msgtype": "textcard",
        "agentid": 1000002,
        "textcard": {"title": "标题", "description": "描述", "url": "https://x", "btntxt": "详情"},
    }
    assert bodies["externalcontact/add_intercept_rule"] == {
        "rule_name": "竞品词",
        "word_list": ["某竞品"],
        "intercept_type": 2,
    }


def test_jsapi_signature_vector() -> None:
    signature = jsapi_signature(
        "sM4AOVdWfPE4DxkXGEs8VMCPGGVi4C3VM0P37wVUCFvkVAy_90u5h9nbSlYy3-Sl-HhTdfl2fzFy1AOcHKP7qg",
        "Wm3WZYTPz0wzccnW",
        1414587457,
        "http://mp.weixin.qq.com?params=value#fragment-is-dropped",
    )
    assert signature == "0f9de62fce790f9a083d5c99e95740ceb90c27ed"
