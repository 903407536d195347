"""`POST /ingest/messages`: signed batches of chat text; bad requests refused, bad rows named."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from redis.asyncio import Redis

from bot.app import create_app
from bot.config import Settings
from bot.events import ChatText
from bot.keys import RedisKeys
from bot.web.signed import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign

SECRET = "s" * 20 + "ecret-for-the-ingest-tests"
PATH = "/ingest/messages"


@pytest.fixture
def ingest_settings(settings: Settings) -> Settings:
    return replace(settings, ingest_secret=SECRET)


@pytest.fixture
async def client(ingest_settings: Settings, aiohttp_client: Any) -> TestClient:
    # callback role: nothing consumes the stream, so the test reads exactly what was added
    return await aiohttp_client(create_app(ingest_settings, role="callback"))


def row(msgid: str, text: str = "想问下退款", **extra: object) -> dict[str, object]:
    base: dict[str, object] = {
        "msgid": msgid,
        "sender": "customer",
        "external_userid": "wmCustomer1",
        "staff_userid": "zhangsan",
        "text": text,
        "sent_at": int(time.time()) - 60,
    }
    base.update(extra)
    return base


async def post(
    client: TestClient,
    payload: object,
    *,
    secret: str = SECRET,
    timestamp: int | None = None,
    path: str = PATH,
    raw: bytes | None = None,
) -> tuple[int, dict[str, Any]]:
    body = raw if raw is not None else json.dumps(payload, ensure_ascii=False).encode()
    stamp = int(time.time()) if timestamp is None else timestamp
    headers = {
        TIMESTAMP_HEADER: str(stamp),
        SIGNATURE_HEADER: sign(secret, stamp, path, body),
        "Content-Type": "application/json",
    }
    response = await client.post(PATH, data=body, headers=headers)
    return response.status, await response.json()


async def stream_messages(redis: Redis, settings: Settings) -> list[ChatText]:
    keys = RedisKeys(settings.corp_id, settings.key_prefix)
    entries = await redis.xrange(keys.events)
    return [ChatText.from_json(fields["chat"]) for _, fields in entries if "chat" in fields]


async def test_valid_rows_are_kept_and_bad_rows_named(
    client: TestClient, redis: Redis, ingest_settings: Settings
) -> None:
    rows: list[object] = [
        row("m1"),
        row("m2", sender="robot"),
        row("m3", text="   "),
        "not an object",
        row("m4", sender="staff", text="亲，可以的", sent_at=int(time.time() * 1000)),
        row("m5", external_userid="", chat_id=""),
        row("m6", sent_at="yesterday"),
        row("m7", sender="staff", staff_userid=""),
        row("m1", text="同一批里又来一次"),
        row("m8", text="长" * 10_001),
    ]
    status, body = await post(client, {"messages": rows})
    assert status == 200
    assert body["accepted"] == 2
    assert body["rejected"] == 8
    errors = {e["index"]: e["error"] for e in body["errors"]}
    assert errors[1] == "sender 应为 customer 或 staff"
    assert errors[2] == "text 为空"
    assert errors[3] == "每条消息应为 JSON 对象"
    assert "external_userid" in errors[5]
    assert "sent_at" in errors[6]
    assert "staff_userid" in errors[7]
    assert "重复" in errors[8]
    assert "10000" in errors[9]
    kept = await stream_messages(redis, ingest_settings)
    assert [(m.msgid, m.source, m.sender, m.text) for m in kept] == [
        ("m1", "ingest", "customer", "想问下退款"),
        ("m4", "ingest", "staff", "亲，可以的"),
    ]
    assert kept[1].sent_at < 10**11  # milliseconds taken as such


async def test_a_message_sent_again_is_not_added_twice(
    client: TestClient, redis: Redis, ingest_settings: Settings
) -> None:
    assert (await post(client, {"messages": [row("a1"), row("a2")]}))[1]["accepted"] == 2
    # the pipeline resends an overlapping batch, newly signed
    status, body = await post(client, {"messages": [row("a2"), row("a3")]})
    assert (status, body["accepted"], body["duplicates"]) == (200, 1, 1)
    assert [m.msgid for m in await stream_messages(redis, ingest_settings)] == ["a1", "a2", "a3"]


async def test_refusals_are_clear_and_store_nothing(
    client: TestClient, redis: Redis, ingest_settings: Settings
) -> None:
    batch = {"messages": [row("r1")]}
    status, body = await post(client, batch, secret="x" * 40)
    assert (status, body["error"]) == (401, "bad_signature")
    status, body = await post(client, batch, timestamp=int(time.time()) - 301)
    assert (status, body["error"]) == (401, "stale_timestamp")
    status, body = await post(client, batch, path="/ingest/orders")  # signed for elsewhere
    assert (status, body["error"]) == (401, "bad_signature")
    status, body = await post(client, {"messages": [row(f"b{i}") for i in range(1001)]})
    assert (status, body["error"]) == (413, "batch_too_large")
    assert "1000" in body["message"]
    status, body = await post(client, None, raw=b'{"messages": [')
    assert (status, body["error"]) == (400, "bad_json")
    status, body = await post(client, {"rows": []})
    assert (status, body["error"]) == (400, "bad_batch")
    status, body = await post(client, {"messages": [row("x1", sender="robot")]})
    assert (status, body["accepted"], body["rejected"]) == (422, 0, 1)
    unsigned = await client.post(PATH, json=batch)
    assert unsigned.status == 401 and (await unsigned.json())["error"] == "unsigned"
    # the body is bounded before the signature over it is even computed
    headers = {TIMESTAMP_HEADER: str(int(time.time())), SIGNATURE_HEADER: "0" * 64}
    huge = await client.post(PATH, data=b"x" * (1024 * 1024 + 1), headers=headers)
    assert huge.status == 413
    # what can't be a signature is refused before any of the body is read
    headers[SIGNATURE_HEADER] = "not-a-hex-signature"
    malformed = await client.post(PATH, json=batch, headers=headers)
    assert malformed.status == 401 and (await malformed.json())["error"] == "bad_signature"
    assert await stream_messages(redis, ingest_settings) == []


async def test_a_replayed_request_is_refused(
    client: TestClient, redis: Redis, ingest_settings: Settings
) -> None:
    body = json.dumps({"messages": [row("p1")]}).encode()
    stamp = int(time.time())
    headers = {TIMESTAMP_HEADER: str(stamp), SIGNATURE_HEADER: sign(SECRET, stamp, PATH, body)}
    first = await client.post(PATH, data=body, headers=headers)
    again = await client.post(PATH, data=body, headers=headers)
    assert first.status == 200
    assert again.status == 409 and (await again.json())["error"] == "replayed"
    assert len(await stream_messages(redis, ingest_settings)) == 1


async def test_without_a_secret_the_endpoint_is_off(
    settings: Settings, aiohttp_client: Any
) -> None:
    client = await aiohttp_client(create_app(settings, role="callback"))
    response = await client.post(PATH, json={"messages": []})
    assert response.status == 403
    assert "SCRM_INGEST_SECRET" in (await response.json())["message"]
