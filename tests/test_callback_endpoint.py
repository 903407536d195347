"""`/wecom/callback` over real HTTP: each bad input is a 4xx with nothing enqueued."""

from __future__ import annotations

import asyncio
import base64
import struct
import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from redis.asyncio import Redis
from wechatpy.crypto.cryptography import WeChatCipher

import bot.callback.endpoint as endpoint_module
from bot.app import create_app
from bot.callback.crypto import CallbackCrypto
from bot.config import Settings
from bot.keys import RedisKeys
from tests.conftest import VECTOR_CORP_ID
from tests.helpers import contact_event_xml, signed_post, signed_query

ClientFactory = Callable[[web.Application], Awaitable[TestClient[Any, Any]]]


@pytest.fixture
def crypto(settings: Settings) -> CallbackCrypto:
    return CallbackCrypto(settings.token, settings.aes_key, settings.corp_id)


@pytest.fixture
async def client(settings: Settings, aiohttp_client: ClientFactory) -> TestClient[Any, Any]:
    # no pipeline: enqueued events stay in the stream for the assertions
    return await aiohttp_client(create_app(settings, role="callback"))


async def stream_length(redis: Redis, settings: Settings) -> int:
    return int(await redis.xlen(RedisKeys(settings.corp_id, settings.key_prefix).events))


async def test_url_verification(client: TestClient[Any, Any], crypto: CallbackCrypto) -> None:
    echostr = crypto.encrypt("5927782489442352469")
    query = signed_query(crypto, echostr) | {"echostr": echostr}
    response = await client.get("/wecom/callback", params=query)
    assert response.status == 200
    assert await response.read() == b"5927782489442352469"  # no quotes, BOM or newline


async def test_url_verification_bad_signature(
    client: TestClient[Any, Any], crypto: CallbackCrypto
) -> None:
    echostr = crypto.encrypt("123")
    query = signed_query(crypto, echostr) | {"echostr": echostr, "msg_signature": "0" * 40}
    response = await client.get("/wecom/callback", params=query)
    assert response.status == 403
    assert await response.text() == "bad_signature"


async def test_official_vector_is_now_a_stale_replay(client: TestClient[Any, Any]) -> None:
    query = {
        "msg_signature": "012bc692d0a58dd4b10f8dfe5c4ac00ae211ebeb",
        "timestamp": "1476416373",
        "nonce": "47744683",
        "echostr": "fsi1xnbH4yQh0+PJxcOdhhK6TDXkjMyhEPA7xB2TGz6b+g7xyAbEkRxN/3cNXW9qdqjnoVzEtpbhnFyq6SVHyA==",
    }
    response = await client.get("/wecom/callback", params=query)
    assert response.status == 403
    assert await response.text() == "stale_timestamp"


async def test_post_is_enqueued_and_answered_empty(
    client: TestClient[Any, Any], crypto: CallbackCrypto, redis: Redis, settings: Settings
) -> None:
    xml = contact_event_xml(corp_id=VECTOR_CORP_ID)
    query, body = signed_post(crypto, xml)
    response = await client.post("/wecom/callback", params=query, data=body)
    assert response.status == 200
    assert await response.read() == b""
    keys = RedisKeys(settings.corp_id, settings.key_prefix)
    [(_, fields)] = await redis.xrange(keys.events)
    assert fields["xml"] == xml
    assert abs(int(fields["received_ms"]) / 1000 - time.time()) < 60


async def test_retried_callback_is_enqueued_once(
    client: TestClient[Any, Any], crypto: CallbackCrypto, redis: Redis, settings: Settings
) -> None:
    xml = contact_event_xml(corp_id=VECTOR_CORP_ID)
    for _ in range(4):  # first delivery + WeCom's 3 retries, each freshly encrypted and signed
        query, body = signed_post(crypto, xml)
        response = await client.post("/wecom/callback", params=query, data=body)
        assert response.status == 200
    assert await stream_length(redis, settings) == 1


async def test_app_messages_dedupe_on_msg_id(
    client: TestClient[Any, Any], crypto: CallbackCrypto, redis: Redis, settings: Settings
) -> None:
    def message(msg_id: str, create_time: int) -> str:
        return (
            f"<xml><ToUserName>{VECTOR_CORP_ID}</ToUserName><FromUserName>lisi</FromUserName>"
            f"<CreateTime>{create_time}</CreateTime><MsgType>text</MsgType><Content>帮助</Content>"
            f"<MsgId>{msg_id}</MsgId><AgentID>1000002</AgentID></xml>"
        )

    for xml in (message("m1", 1), message("m1", 2), message("m2", 1)):
        query, body = signed_post(crypto, xml)
        assert (await client.post("/wecom/callback", params=query, data=body)).status == 200
    assert await stream_length(redis, settings) == 2


def _cipher(crypto: CallbackCrypto, plain: bytes) -> str:
    return base64.b64encode(WeChatCipher(crypto.key).encrypt(plain)).decode()


def _framed(message: bytes, receive_id: bytes) -> bytes:
    body = b"r" * 16 + struct.pack(">I", len(message)) + message + receive_id
    pad = 32 - len(body) % 32
    return body + bytes([pad]) * pad


def _bodies(crypto: CallbackCrypto) -> dict[str, tuple[str, str, int]]:
    """name -> (Encrypt value or raw body marker, expected reason, status)."""
    corp = crypto.receive_id.encode()
    good = contact_event_xml(corp_id=VECTOR_CORP_ID).encode()
    valid = _cipher(crypto, _framed(good, corp))
    raw = base64.b64decode(valid)
    bad_pad = _framed(good, corp)
    return {
        "wrong corp id": (
            _cipher(crypto, _framed(good, b"wwOTHERCORP0000000")),
            "wrong_corp_id",
            403,
        ),
        "bad base64": ("abc", "bad_base64", 400),
        "not base64 at all": ("%%%not-base64%%%", "missing_encrypt", 400),
        "bad padding": (_cipher(crypto, bad_pad[:-1] + b"\x00"), "bad_padding", 400),
        "truncated cipher": (base64.b64encode(raw[:-7]).decode(), "truncated_cipher", 400),
        "malformed inner xml": (
            _cipher(crypto, _framed(b"<xml><a></xml>", corp)),
            "malformed_xml",
            400,
        ),
        "entity declaration inside": (
            _cipher(crypto, _framed(b'<!DOCTYPE x [<!ENTITY e "boom">]><xml>&e;</xml>', corp)),
            "xml_entities",
            400,
        ),
        "non utf-8 inside": (
            _cipher(crypto, _framed(b"<xml>\xc3\x28</xml>", corp)),
            "not_utf8",
            400,
        ),
    }


@pytest.mark.parametrize(
    "case",
    [
        "wrong corp id",
        "bad base64",
        "not base64 at all",
        "bad padding",
        "truncated cipher",
        "malformed inner xml",
        "entity declaration inside",
        "non utf-8 inside",
    ],
)
async def test_bad_encrypted_payloads(
    case: str,
    client: TestClient[Any, Any],
    crypto: CallbackCrypto,
    redis: Redis,
    settings: Settings,
) -> None:
    encrypt, reason, status = _bodies(crypto)[case]
    body = f"<xml><ToUserName>{VECTOR_CORP_ID}</ToUserName><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>"
    response = await client.post("/wecom/callback", params=signed_query(crypto, encrypt), data=body)
    assert response.status == status
    text = await response.text()
    assert text == reason
    assert "Traceback" not in text
    assert await stream_length(redis, settings) == 0


async def test_bad_signature_enqueues_nothing(
    client: TestClient[Any, Any], crypto: CallbackCrypto, redis: Redis, settings: Settings
) -> None:
    query, body = signed_post(crypto, contact_event_xml(corp_id=VECTOR_CORP_ID))
    query["msg_signature"] = query["msg_signature"][::-1]
    response = await client.post("/wecom/callback", params=query, data=body)
    assert (response.status, await response.text()) == (403, "bad_signature")
    assert await stream_length(redis, settings) == 0


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        # the envelope is never parsed: only its signed Encrypt value is read
        ("<xml><Encrypt>abc</Encrypt>", "bad_base64"),
        ('<!DOCTYPE x [<!ENTITY e "a">]><xml><Encrypt>&e;</Encrypt></xml>', "missing_encrypt"),
        ("<xml><ToUserName>x</ToUserName></xml>", "missing_encrypt"),
        ("<xml><Encrypt>abc</Encrypt><Encrypt>abc</Encrypt></xml>", "missing_encrypt"),
        ("", "missing_encrypt"),
    ],
)
async def test_bad_envelopes(
    body: str,
    reason: str,
    client: TestClient[Any, Any],
    crypto: CallbackCrypto,
    redis: Redis,
    settings: Settings,
) -> None:
    response = await client.post("/wecom/callback", params=signed_query(crypto, "abc"), data=body)
    assert (response.status, await response.text()) == (400, reason)
    assert await stream_length(redis, settings) == 0


async def test_non_utf8_envelope(client: TestClient[Any, Any], crypto: CallbackCrypto) -> None:
    body = b"<xml><Encrypt>\xff\xfe\xfd</Encrypt></xml>"
    response = await client.post("/wecom/callback", params=signed_query(crypto, "x"), data=body)
    assert (response.status, await response.text()) == (400, "missing_encrypt")


@pytest.mark.parametrize("signed", [False, True])
async def test_no_xml_parser_sees_an_unauthenticated_body(
    signed: bool,
    client: TestClient[Any, Any],
    crypto: CallbackCrypto,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    parsed: list[object] = []
    real = endpoint_module.parse_xml
    monkeypatch.setattr(endpoint_module, "parse_xml", lambda xml: parsed.append(xml) or real(xml))
    nested = "<a>" * 10_000 + "</a>" * 10_000  # cut to fit the 64 KiB cap below
    query, body = signed_post(crypto, contact_event_xml(corp_id=VECTOR_CORP_ID))
    if not signed:
        query["msg_signature"] = "0" * 40
    body = body.replace("</xml>", nested[: 60_000 - len(body)] + "</xml>")
    response = await client.post("/wecom/callback", params=query, data=body)
    assert response.status == (200 if signed else 403)
    assert len(parsed) == (1 if signed else 0)  # only the decrypted, authenticated event


async def test_missing_query_parameters(
    client: TestClient[Any, Any], crypto: CallbackCrypto
) -> None:
    query, body = signed_post(crypto, contact_event_xml(corp_id=VECTOR_CORP_ID))
    del query["nonce"]
    response = await client.post("/wecom/callback", params=query, data=body)
    assert (response.status, await response.text()) == (400, "missing_params")


@pytest.mark.parametrize("age", [-3600, 3600, 10**9])
async def test_stale_or_future_timestamp(
    age: int, client: TestClient[Any, Any], crypto: CallbackCrypto, redis: Redis, settings: Settings
) -> None:
    query, body = signed_post(
        crypto, contact_event_xml(corp_id=VECTOR_CORP_ID), timestamp=int(time.time()) - age
    )
    response = await client.post("/wecom/callback", params=query, data=body)
    assert (response.status, await response.text()) == (403, "stale_timestamp")
    assert await stream_length(redis, settings) == 0


async def test_body_over_64_kib_is_413(
    client: TestClient[Any, Any], crypto: CallbackCrypto, redis: Redis, settings: Settings
) -> None:
    body = "<xml><Encrypt>" + "A" * (64 * 1024) + "</Encrypt></xml>"
    response = await client.post("/wecom/callback", params=signed_query(crypto, "A"), data=body)
    assert response.status == 413

    async def chunks() -> Any:  # no Content-Length: the limit must hold while streaming too
        for _ in range(80):
            yield b"A" * 1024

    response = await client.post("/wecom/callback", params=signed_query(crypto, "A"), data=chunks())
    assert response.status == 413
    assert await stream_length(redis, settings) == 0


async def test_refusals_are_counted_in_metrics(
    client: TestClient[Any, Any], crypto: CallbackCrypto
) -> None:
    query, body = signed_post(crypto, contact_event_xml(corp_id=VECTOR_CORP_ID))
    await client.post("/wecom/callback", params=query, data=body)
    query["msg_signature"] = "0" * 40
    await client.post("/wecom/callback", params=query, data=body)
    text = await (await client.get("/metrics")).text()
    assert 'scrm_callbacks_total{result="accepted"} 1.0' in text
    assert 'scrm_callbacks_total{result="bad_signature"} 1.0' in text
    assert "scrm_pipeline_backlog 1.0" in text


async def test_body_arriving_in_slow_pieces_is_read_whole(
    client: TestClient[Any, Any], crypto: CallbackCrypto, redis: Redis, settings: Settings
) -> None:
    query, body = signed_post(crypto, contact_event_xml(corp_id=VECTOR_CORP_ID))
    raw = body.encode()

    async def trickle() -> Any:
        for start in range(0, len(raw), 100):
            yield raw[start : start + 100]
            await asyncio.sleep(0.01)

    response = await client.post("/wecom/callback", params=query, data=trickle())
    assert response.status == 200
    assert await stream_length(redis, settings) == 1


async def test_body_still_trickling_after_the_deadline_is_408(
    client: TestClient[Any, Any], crypto: CallbackCrypto, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("bot.callback.endpoint.BODY_READ_SECONDS", 0.2)
    query, body = signed_post(crypto, contact_event_xml(corp_id=VECTOR_CORP_ID))

    async def slow_loris() -> Any:
        for byte in body.encode()[:20]:
            yield bytes([byte])
            await asyncio.sleep(0.05)

    response = await client.post("/wecom/callback", params=query, data=slow_loris())
    assert (response.status, await response.text()) == (408, "body_timeout")


async def test_a_callback_dated_ahead_cannot_be_replayed_after_its_mark_expires(
    client: TestClient[Any, Any],
    crypto: CallbackCrypto,
    redis: Redis,
    settings: Settings,
) -> None:
    window = settings.dedup_window_seconds
    dated = int(time.time()) + window - 5  # as far ahead as the endpoint still accepts
    xml = contact_event_xml(corp_id=VECTOR_CORP_ID, create_time=dated)
    query, body = signed_post(crypto, xml, timestamp=dated)
    assert (await client.post("/wecom/callback", params=query, data=body)).status == 200
    keys = RedisKeys(settings.corp_id, settings.key_prefix)
    [mark] = [key async for key in redis.scan_iter(match=keys.dedup("*"))]
    # the same request is accepted until its timestamp is a window behind our clock
    accepted_until = dated + window - time.time()
    assert await redis.ttl(mark) > accepted_until
