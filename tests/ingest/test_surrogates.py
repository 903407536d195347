"""A lone UTF-16 surrogate ("\\ud800", valid JSON, not valid UTF-8) anywhere in a signed ingest
body is refused with a 4xx and a Chinese message, never a 500, and nothing of it is stored."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.app import create_app
from bot.config import Settings
from bot.web.signed import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign

SECRET = "surrogate-test-secret-0123456789abcdef"
MESSAGE = {
    "msgid": "m1",
    "sender": "customer",
    "external_userid": "wmCustomer1",
    "staff_userid": "zhangsan",
    "text": "想问下退款",
}
ORDER = {"order_id": "o1", "external_userid": "wmBuyer", "amount": "12.50"}
CASES = [("/ingest/messages", "messages", MESSAGE, field) for field in MESSAGE] + [
    ("/ingest/orders", "orders", ORDER, field) for field in ORDER
]


@pytest.fixture
async def client(settings: Settings, aiohttp_client: Any) -> TestClient:
    app = create_app(replace(settings, ingest_secret=SECRET), role="callback")
    return await aiohttp_client(app)


async def post_raw(client: TestClient, path: str, body: bytes) -> tuple[int, Any]:
    stamp = int(time.time())
    headers = {TIMESTAMP_HEADER: str(stamp), SIGNATURE_HEADER: sign(SECRET, stamp, path, body)}
    response = await client.post(path, data=body, headers=headers)
    return response.status, await response.json()


@pytest.mark.parametrize(("path", "batch", "row", "field"), CASES)
async def test_a_lone_surrogate_in_any_field_is_refused_by_name(
    client: TestClient, path: str, batch: str, row: dict[str, Any], field: str
) -> None:
    now = {"sent_at": int(time.time()) - 60} if batch == "messages" else {"paid_at": 1_700_000_000}
    body = json.dumps({batch: [{**row, **now, field: "@@"}]}).replace('"@@"', '"\\ud800"')
    status, answer = await post_raw(client, path, body.encode())
    assert 400 <= status < 500, answer
    [error] = answer["errors"]
    assert field in error["error"] and answer.get("accepted", 0) == 0


@pytest.mark.parametrize("path", ["/ingest/messages", "/ingest/orders"])
async def test_a_lone_surrogate_outside_the_rows_is_a_400(client: TestClient, path: str) -> None:
    status, answer = await post_raw(client, path, b'{"\\ud800": []}')
    assert status == 400 and answer["error"] in ("bad_batch", "bad_json"), answer
