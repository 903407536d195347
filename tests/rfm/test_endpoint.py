"""`POST /ingest/orders`: signed batches of orders; valid rows kept, bad rows named."""

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
from bot.keys import RedisKeys
from bot.rfm.orders import OrderStore
from bot.web.signed import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign

SECRET = "orders-" + "k" * 40
PATH = "/ingest/orders"


@pytest.fixture
def ingest_settings(settings: Settings) -> Settings:
    return replace(settings, ingest_secret=SECRET)


@pytest.fixture
async def client(ingest_settings: Settings, aiohttp_client: Any) -> TestClient:
    return await aiohttp_client(create_app(ingest_settings, role="callback"))


@pytest.fixture
def store(redis: Redis, ingest_settings: Settings) -> OrderStore:
    return OrderStore(redis, RedisKeys(ingest_settings.corp_id, ingest_settings.key_prefix))


def order(order_id: str, **extra: object) -> dict[str, object]:
    base: dict[str, object] = {
        "order_id": order_id,
        "external_userid": "wmBuyer",
        "amount": 99.9,
        "paid_at": int(time.time()) - 3600,
    }
    base.update(extra)
    return base


async def post(
    client: TestClient, payload: object, *, secret: str = SECRET
) -> tuple[int, dict[str, Any]]:
    body = json.dumps(payload, ensure_ascii=False).encode()
    stamp = int(time.time())
    headers = {
        TIMESTAMP_HEADER: str(stamp),
        SIGNATURE_HEADER: sign(secret, stamp, PATH, body),
        "Content-Type": "application/json",
    }
    response = await client.post(PATH, data=body, headers=headers)
    return response.status, await response.json()


async def test_valid_rows_are_stored_and_bad_rows_named(
    client: TestClient, store: OrderStore
) -> None:
    rows: list[object] = [
        order("O1"),
        order("O2", amount="-5"),
        "not an object",
        order("O3", amount="128.00", paid_at=int(time.time() * 1000)),  # milliseconds
        order("O4", paid_at="2026-13-01"),
        order("O5", external_userid=""),
        order("O6", paid_at="2025-11-01 12:30"),
        order(12345),  # a numeric id is taken as its digits
    ]
    status, body = await post(client, {"orders": rows})
    assert status == 200
    assert (body["accepted"], body["removed"], body["rejected"]) == (4, 0, 4)
    assert body["errors"] == [
        {"index": 1, "order_id": "O2", "error": "amount 应为不小于 0 的金额；退款请用 refunded 列"},
        {"index": 2, "order_id": "", "error": "每条订单应为 JSON 对象"},
        {
            "index": 4,
            "order_id": "O4",
            "error": "paid_at 应为 Unix 时间（秒或毫秒）或日期时间，如 2026-11-01 或 2026-11-01 12:30",
        },
        {"index": 5, "order_id": "O5", "error": "缺少 external_userid"},
    ]
    stored = {o.order_id: o for o in await store.all()}
    assert sorted(stored) == ["12345", "O1", "O3", "O6"]
    assert stored["O1"].amount_cents == 9990
    assert stored["O3"].amount_cents == 12800 and stored["O3"].paid_at < 10**11

    # the shop resends O1 corrected and refunds O3: replaced and removed, nothing duplicated
    status, body = await post(
        client, {"orders": [order("O1", amount=10), {"order_id": "O3", "refunded": True}]}
    )
    assert (status, body["accepted"], body["removed"], body["rejected"]) == (200, 2, 1, 0)
    stored = {o.order_id: o for o in await store.all()}
    assert sorted(stored) == ["12345", "O1", "O6"]
    assert stored["O1"].amount_cents == 1000


async def test_refusals_store_nothing(client: TestClient, store: OrderStore) -> None:
    status, body = await post(client, {"orders": [order("X1")]}, secret="w" * 40)
    assert (status, body["error"]) == (401, "bad_signature")
    status, body = await post(client, {"orders": [order(f"B{i}") for i in range(1001)]})
    assert (status, body["error"]) == (413, "batch_too_large")
    assert "1000" in body["message"]
    status, body = await post(client, {"messages": []})
    assert (status, body["error"]) == (400, "bad_batch")
    status, body = await post(client, {"orders": [order("X2", amount="abc")]})
    assert (status, body["accepted"], body["rejected"]) == (422, 0, 1)
    unsigned = await client.post(PATH, json={"orders": [order("X3")]})
    assert unsigned.status == 401
    assert await store.count() == 0


# what int(), float() or Decimal() take but an amount is not
LOOSE_AMOUNTS = ["1_000", "１２３", "1e9", "1E2", "nan", "inf", "+5", "1,000", "0x10", "12.", ".5"]


async def test_amounts_are_plain_ascii_decimals(client: TestClient, store: OrderStore) -> None:
    rows = [order(f"L{i}", amount=amount) for i, amount in enumerate(LOOSE_AMOUNTS)]
    rows += [order("N1", amount=float("nan")), order("N2", amount=1e16), order("OK", amount="7.5")]
    # json.dumps writes NaN as the bare word a sender's JSON library may also send
    status, body = await post(client, {"orders": rows})
    assert (status, body["accepted"], body["rejected"]) == (200, 1, len(rows) - 1)
    errors = {e["order_id"]: e["error"] for e in body["errors"]}
    for i, amount in enumerate(LOOSE_AMOUNTS):
        assert errors[f"L{i}"].startswith("amount 应为金额（单位元），如 12.50，只用半角数字"), (
            amount
        )
        assert repr(amount) in errors[f"L{i}"]  # the value is named, so the row can be found
    assert "'nan'" in errors["N1"] and "'1e+16'" in errors["N2"]
    assert [(o.order_id, o.amount_cents) for o in await store.all()] == [("OK", 750)]
