"""Signed JSON requests for `/ingest/*`: HMAC-SHA256 over the timestamp, the path and the body.

A pipeline posting chat text or orders signs each request with `SCRM_INGEST_SECRET`:

    X-Scrm-Timestamp: <unix seconds>
    X-Scrm-Signature: hex(HMAC_SHA256(secret, "<timestamp>\\n<path>\\n" + body))

The path is signed so a batch of messages can't be replayed as orders. A request more than
`MAX_SKEW_SECONDS` away from our clock is refused (stale), and a signature is taken once: its
mark outlives the skew window, so a copy of a request can never be played back. A request that
fails on our side (Redis down) releases its mark, so the sender may retry it unchanged.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import hmac
import json
import re
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler
from redis.exceptions import RedisError

from bot.appkeys import BODY_GATE, KEYS, REDIS, SETTINGS
from bot.web.bodies import BodyTimeout, BodyTooLarge, read_capped

TIMESTAMP_HEADER = "X-Scrm-Timestamp"
SIGNATURE_HEADER = "X-Scrm-Signature"
MAX_SKEW_SECONDS = 300
SEEN_SECONDS = 2 * MAX_SKEW_SECONDS + 60
BODY_READ_SECONDS = 30.0
# ASCII digits, and few: "²".isdigit() is true, and int() of 400 digits overflows float
_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_SIGNATURE = re.compile(r"[0-9a-f]{64}")


class IngestError(web.HTTPException):
    """A refused ingest request: a status, a stable `code` and a message for the sender."""

    def __init__(
        self, status: int, code: str, message: str, headers: dict[str, str] | None = None
    ) -> None:
        self.status_code = status
        body = json.dumps({"error": code, "message": message}, ensure_ascii=False)
        super().__init__(text=body, content_type="application/json", headers=headers)


def answers_refusals(handler: Handler) -> Handler:
    """The route answers an `IngestError` instead of raising it through aiohttp. Raised, its
    traceback holds every frame of the request (the body's reader and buffers included) in a
    reference cycle with aiohttp's own handler frame, freed only by a full garbage collection,
    which a busy process rarely runs: refused requests then add up in memory."""

    @functools.wraps(handler)
    async def answering(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except IngestError as refusal:
            # a new response: aiohttp deprecates returning the exception itself
            return web.Response(status=refusal.status, body=refusal.body, headers=refusal.headers)

    return answering


def sign(secret: str, timestamp: int | str, path: str, body: bytes) -> str:
    """The signature a sender puts in `X-Scrm-Signature`."""
    message = f"{timestamp}\n{path}\n".encode() + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


async def _read_signed(request: web.Request, limit: int, mac: Any) -> bytes:
    """The body, fed to the HMAC `mac` as it streams in (see `bot.web.bodies`)."""
    try:
        return await read_capped(request, limit, seconds=BODY_READ_SECONDS, feed=mac.update)
    except BodyTooLarge:
        raise _too_large(limit) from None
    except BodyTimeout:
        raise IngestError(408, "body_timeout", "请求体读取超时") from None


def _too_large(limit: int) -> IngestError:
    return IngestError(413, "body_too_large", f"请求体超过 {limit // 1024} KiB 上限")


@asynccontextmanager
async def signed_json(request: web.Request, max_bytes: int) -> AsyncIterator[Any]:
    """The verified request's parsed JSON body, for the duration of its handling.

    Raises `IngestError` (4xx) for a missing secret, a bad or missing signature, a stale
    timestamp, a replay, an oversized body or a body that isn't JSON.
    """
    config = request.config_dict
    secret = config[SETTINGS].ingest_secret
    if not secret:
        raise IngestError(403, "ingest_disabled", "未配置 SCRM_INGEST_SECRET，导入接口已关闭")
    timestamp = request.headers.get(TIMESTAMP_HEADER, "")
    given = request.headers.get(SIGNATURE_HEADER, "").strip().lower()
    if not _TIMESTAMP.fullmatch(timestamp) or not given:
        raise IngestError(
            401, "unsigned", f"缺少 {TIMESTAMP_HEADER}（Unix 秒）或 {SIGNATURE_HEADER} 请求头"
        )
    if abs(time.time() - int(timestamp)) > MAX_SKEW_SECONDS:
        raise IngestError(
            401, "stale_timestamp", f"时间戳与服务器时间相差超过 {MAX_SKEW_SECONDS} 秒"
        )
    if not _SIGNATURE.fullmatch(given):  # no body is read for what can't be a signature
        raise IngestError(401, "bad_signature", "签名应为 64 位十六进制 HMAC-SHA256")
    mac = hmac.new(secret.encode(), f"{timestamp}\n{request.path}\n".encode(), hashlib.sha256)
    with config[BODY_GATE].admit() as admitted:
        if not admitted:  # don't read it: see BodyGate
            raise IngestError(
                503, "busy", "同时上传的请求过多，请稍后重试", headers={"Retry-After": "1"}
            )
        body = await _read_signed(request, max_bytes, mac)
    expected = mac.hexdigest()
    if not hmac.compare_digest(expected, given):  # both ASCII: checked above
        raise IngestError(401, "bad_signature", "签名不符：请检查密钥与签名算法")
    redis, keys = config[REDIS], config[KEYS]
    seen = keys.ingest_seen(hashlib.sha256(expected.encode()).hexdigest()[:32])
    if not await redis.set(seen, timestamp, nx=True, ex=SEEN_SECONDS):
        raise IngestError(409, "replayed", "该请求已处理过（重放被拒绝）；重试请重新签名")
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError) as exc:  # also ints over 4300 digits, deep nesting
        raise IngestError(400, "bad_json", f"请求体不是有效的 JSON：{exc}") from None
    try:
        yield payload
    except BaseException as exc:
        if not isinstance(exc, web.HTTPException) or exc.status >= 500:
            # our failure: the sender may send the same request again
            with contextlib.suppress(RedisError, OSError):
                await redis.delete(seen)
        raise


def batch_rows(payload: Any, field: str, noun: str, limit: int) -> list[Any]:
    """The rows of a `{field: [...]}` batch; `IngestError` when it isn't one or is too large
    (`noun` names the rows in the message, e.g. 消息)."""
    rows = payload.get(field) if isinstance(payload, dict) else None
    if not isinstance(rows, list):
        raise IngestError(400, "bad_batch", f'请求体应为 {{"{field}": [...]}}')
    if len(rows) > limit:
        raise IngestError(
            413, "batch_too_large", f"每批最多 {limit} 条{noun}（收到 {len(rows)} 条）"
        )
    return rows


def batch_answer(body: dict[str, Any], *, valid: int, rejected: int) -> web.Response:
    """The answer to a batch: 200 with its counts and per-row errors, or 422 when every row
    was refused."""
    status = 422 if rejected and not valid else 200
    return web.json_response(body, status=status, dumps=_dumps)


def _dumps(value: Any) -> str:
    """Readable UTF-8 JSON, or ASCII escapes when an echoed id holds a lone surrogate (a
    "\\ud800" in the sender's JSON), which UTF-8 can't carry."""
    text = json.dumps(value, ensure_ascii=False)
    try:
        text.encode()
    except UnicodeEncodeError:
        return json.dumps(value)
    return text
