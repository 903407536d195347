"""Fuzzing the HTTP endpoints: `/wecom/callback` (GET and POST) and `/ingest/*` answer every
query, header set and body with a 2xx or a 4xx — never a 5xx — and honour their body limits."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from hypothesis import example, given
from hypothesis import strategies as st

from bot.app import create_app
from bot.callback.crypto import CallbackCrypto
from bot.config import Settings
from bot.web import ingest_messages, ingest_orders
from bot.web.signed import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign
from tests.fuzz.strategies import (
    any_text,
    digits_like,
    event_documents,
    fuzz,
    json_values,
    printable,
)

SECRET = "fuzz-" + "s" * 40
CALLBACK_PARAMS = ("msg_signature", "timestamp", "nonce", "echostr")
# headers the client computes itself: a made-up one would only break the client's framing
FRAMING = {"content-length", "transfer-encoding", "host", "connection", "expect", "upgrade"}

header_names = st.sampled_from(
    ["X-Request-Id", "Content-Type", "Content-Encoding", TIMESTAMP_HEADER, SIGNATURE_HEADER]
) | st.from_regex(r"X-[A-Za-z0-9-]{1,20}", fullmatch=True)
# anything but controls (the client refuses to send those); non-ASCII goes out as UTF-8
header_values = printable | st.text(st.characters(exclude_categories=("Cc", "Cs")), max_size=30)
headers = st.dictionaries(header_names, header_values, max_size=4)
query_values = st.text(max_size=60) | digits_like
queries = st.lists(
    st.tuples(st.sampled_from(CALLBACK_PARAMS) | printable, query_values), max_size=6
)
bodies = st.binary(max_size=600) | event_documents().map(str.encode)


@pytest.fixture
async def client(settings: Settings, aiohttp_client: Any) -> AsyncIterator[TestClient[Any, Any]]:
    # the callback role: nothing consumes, so nothing stored by the fuzz runs a handler
    yield await aiohttp_client(create_app(replace(settings, ingest_secret=SECRET), role="callback"))


def answered(status: int) -> None:
    assert 200 <= status < 300 or 400 <= status < 500, f"answered {status}"


def signed_query(crypto: CallbackCrypto, encrypt: str, timestamp: str) -> dict[str, str]:
    return {
        "msg_signature": crypto.signature(timestamp, "n0nce", encrypt),
        "timestamp": timestamp,
        "nonce": "n0nce",
    }


@given(queries, headers)
@fuzz(60)
@example([("msg_signature", "x"), ("timestamp", "²"), ("nonce", "n"), ("echostr", "e")], {})
@example([("msg_signature", "x"), ("timestamp", "9" * 400), ("nonce", "n"), ("echostr", "e")], {})
async def test_callback_get(
    client: TestClient[Any, Any], query: list[tuple[str, str]], extra: dict[str, str]
) -> None:
    response = await client.get("/wecom/callback", params=query, headers=extra)
    answered(response.status)


@given(st.text(max_size=200), st.sampled_from(["now", "²", "9" * 400, "1"]), headers)
@fuzz(60)
async def test_callback_get_signed(
    client: TestClient[Any, Any], settings: Settings, echo: str, stamp: str, extra: dict[str, str]
) -> None:
    crypto = CallbackCrypto(settings.token, settings.aes_key, settings.corp_id)
    timestamp = str(int(time.time())) if stamp == "now" else stamp
    echostr = crypto.encrypt(echo)
    query = signed_query(crypto, echostr, timestamp) | {"echostr": echostr}
    response = await client.get("/wecom/callback", params=query, headers=extra)
    answered(response.status)
    if stamp == "now":
        assert response.status == 200 and await response.text() == echo


@given(queries, headers, bodies, st.booleans())
@fuzz(80)
async def test_callback_post(
    client: TestClient[Any, Any],
    settings: Settings,
    query: list[tuple[str, str]],
    extra: dict[str, str],
    body: bytes,
    sign_it: bool,
) -> None:
    """Any body; when `sign_it`, it is encrypted, enveloped and signed as WeCom would."""
    crypto = CallbackCrypto(settings.token, settings.aes_key, settings.corp_id)
    params: Any = query
    if sign_it:
        encrypt = crypto.encrypt(body.decode("utf-8", "replace"))
        params = signed_query(crypto, encrypt, str(int(time.time())))
        body = f"<xml><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>".encode()
    response = await client.post("/wecom/callback", params=params, data=body, headers=extra)
    answered(response.status)
    if len(body) > settings.max_body_bytes:
        assert response.status == 413


INGEST_PATHS = ["/ingest/messages", "/ingest/orders"]
row_values = (
    st.sampled_from(
        ["wm1", "zhangsan", "customer", "staff", "o-1", "12.50", "1e999999", "1e999990", "NaN"]
    )
    | json_values
)
rows = st.dictionaries(
    st.sampled_from(
        [
            *("msgid", "sender", "external_userid", "staff_userid", "chat_id", "text", "sent_at"),
            *("order_id", "amount", "paid_at", "refunded"),
        ]
    ),
    row_values | st.just(int(time.time())),
    max_size=8,
)
payloads = json_values | st.fixed_dictionaries(
    {}, optional={"messages": st.lists(rows, max_size=4), "orders": st.lists(rows, max_size=4)}
)


def encode(payload: object) -> bytes:
    return json.dumps(payload).encode()  # lone surrogates become \ud800 escapes


@given(
    st.sampled_from(INGEST_PATHS),
    headers,
    payloads.map(encode) | st.binary(max_size=300),
    st.sampled_from(["now", "²", "9" * 400, "", "1"]) | printable,
    st.sampled_from(["right", "wrong", "²" * 64, ""]),
)
@fuzz(80)
# found: timestamps "²" and 400 digits, a non-ASCII signature, JSON nested 100,000 deep and an
# integer of 5,000 digits each answered 500
@example("/ingest/messages", {}, b"{}", "²", "right")
@example("/ingest/messages", {}, b"{}", "9" * 400, "right")
@example("/ingest/orders", {}, b"{}", "now", "²" * 64)
@example("/ingest/orders", {}, b"[" * 100_000 + b"]" * 100_000, "now", "right")
@example("/ingest/orders", {}, b"1" * 5000, "now", "right")
async def test_ingest(
    client: TestClient[Any, Any],
    path: str,
    extra: dict[str, str],
    body: bytes,
    stamp: str,
    signature: str,
) -> None:
    timestamp = str(int(time.time())) if stamp == "now" else stamp
    if signature in ("right", "wrong"):
        signature = sign(SECRET if signature == "right" else "other" * 8, timestamp, path, body)
    sent = extra | {TIMESTAMP_HEADER: timestamp, SIGNATURE_HEADER: signature}
    response = await client.post(path, data=body, headers=sent)
    answered(response.status)
    if response.status >= 400:  # a JSON refusal, or the per-row errors when none was valid
        assert set(await response.json()) & {"error", "errors"}


def plausible(*good: object) -> st.SearchStrategy[object]:
    """A field that is mostly valid, so rows get past the first checks to the later ones."""
    return st.sampled_from(good) | json_values


message_rows = st.fixed_dictionaries(
    {
        "msgid": plausible("m-1", "m-2"),
        "sender": plausible("customer", "staff"),
        "external_userid": plausible("wm1"),
        "staff_userid": plausible("zhangsan"),
        "text": plausible("想问下退款") | st.text(max_size=30) | any_text,
        "sent_at": plausible(int(time.time()) - 60, int(time.time() * 1000), 10**400, 1e400),
    },
    optional={"chat_id": plausible("wr1")},
)
order_rows = st.fixed_dictionaries(
    {
        "order_id": plausible("o-1", "o-2", 12345),
        "external_userid": plausible("wm1"),
        "amount": plausible("12.50", 19.99, 0, "1e999999", "1e99990", "-1", 10**400),
        "paid_at": plausible(int(time.time()) - 60, "2026-11-01 12:30", "9999-12-31", 10**400),
    },
    optional={"refunded": plausible(True, False, "是")},
)


@given(
    st.sampled_from(INGEST_PATHS),
    st.lists(message_rows, min_size=1, max_size=5),
    st.lists(order_rows, min_size=1, max_size=5),
)
@fuzz(80)
# found: an echoed order id with a lone surrogate (500 writing the answer), a lone surrogate in
# text (500 storing it), "1e999999" yuan (decimal.Overflow), paid_at 10**400 (OverflowError)
@example("/ingest/orders", [{}], [{"order_id": "\ud800", "amount": "1"}])
@example(
    "/ingest/messages",
    [
        {
            "msgid": "m",
            "sender": "customer",
            "external_userid": "wm1",
            "text": "a\ud800",
            "sent_at": int(time.time()),
        }
    ],
    [{}],
)
@example(
    "/ingest/orders",
    [{}],
    [
        {
            "order_id": "o",
            "external_userid": "wm1",
            "amount": "1e999999",
            "paid_at": int(time.time()),
        }
    ],
)
@example(
    "/ingest/orders",
    [{}],
    [{"order_id": "o", "external_userid": "wm1", "amount": "1", "paid_at": 10**400}],
)
async def test_ingest_signed_rows(
    client: TestClient[Any, Any], path: str, messages: list[object], orders: list[object]
) -> None:
    """Correctly signed batches of nearly valid rows: each row is taken or named, never a 5xx."""
    payload = {"messages": messages} if path.endswith("messages") else {"orders": orders}
    body = encode(payload | {"run": uuid.uuid4().hex})  # each request unique: no replay refusal
    timestamp = str(int(time.time()))
    sent = {TIMESTAMP_HEADER: timestamp, SIGNATURE_HEADER: sign(SECRET, timestamp, path, body)}
    response = await client.post(path, data=body, headers=sent)
    assert response.status in (200, 422), await response.text()


async def chunks(size: int, piece: int = 64 * 1024) -> AsyncIterator[bytes]:
    sent = 0
    while sent < size:
        yield b"a" * min(piece, size - sent)
        sent += piece


LIMITS = [
    ("/wecom/callback", 64 * 1024),
    ("/ingest/orders", ingest_orders.MAX_BODY_BYTES),
    ("/ingest/messages", ingest_messages.MAX_BODY_BYTES),
]


@pytest.mark.parametrize(("path", "limit"), LIMITS)
@pytest.mark.parametrize("streamed", [False, True], ids=["content-length", "chunked"])
async def test_body_limits(
    client: TestClient[Any, Any], settings: Settings, path: str, limit: int, streamed: bool
) -> None:
    """One byte over the limit is 413 whether the size is announced or only streamed; at the
    limit the body is read and judged on its content."""
    crypto = CallbackCrypto(settings.token, settings.aes_key, settings.corp_id)
    timestamp = str(int(time.time()))
    query = signed_query(crypto, "x", timestamp) if path == "/wecom/callback" else {}
    assert path != "/wecom/callback" or limit == settings.max_body_bytes
    sent = {TIMESTAMP_HEADER: timestamp, SIGNATURE_HEADER: "0" * 64}
    for size, too_large in ((limit + 1, True), (limit, False)):
        data: Any = chunks(size) if streamed else b"a" * size
        response = await client.post(path, params=query, data=data, headers=sent)
        assert (response.status == 413) is too_large, (size, response.status)
        answered(response.status)
