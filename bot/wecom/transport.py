"""HTTP transport to the WeCom API: tokens, timeouts, retries and typed errors.

Retry policy (errcodes: doc 90313): 40014/42001 refresh the token and retry once; -1, 45009,
45033 and answers that never arrived back off with full jitter, a bounded number of times;
every other errcode raises `WeComError` at once.
"""

from __future__ import annotations

import asyncio
import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
from redis.asyncio import Redis

from bot.keys import RedisKeys
from bot.metrics import Metrics
from bot.wecom.credentials import CachedCredential
from bot.wecom.errors import (
    BACKOFF_ERRCODES,
    TOKEN_ERRCODES,
    TRANSPORT_ERRCODE,
    WeComError,
    WeComTransportError,
)
from bot.wecom.images import fetch_image

JsonDict = dict[str, Any]
FormFactory = Callable[[], aiohttp.FormData]

# Query parameters that are credentials: no error message may repeat them.
SECRET_PARAMS = ("corpsecret", "access_token")
# Any URL quoted in an exception's text, up to its query or fragment (which is dropped).
_URL_TAIL = re.compile(r"(\b[A-Za-z][A-Za-z0-9+.-]*://[^\s'\"<>?#]*)[?#][^\s'\"<>]*")


@dataclass(frozen=True, slots=True)
class ClientSettings:
    """Timeouts and retry bounds of the WeCom client."""

    timeout_seconds: float = 10.0
    connect_timeout_seconds: float = 3.0
    max_attempts: int = 3
    backoff_base_seconds: float = 0.2
    backoff_cap_seconds: float = 2.0


class WeComTransport:
    """Sends API calls for one corp through one shared `aiohttp.ClientSession`."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        redis: Redis,
        keys: RedisKeys,
        *,
        base_url: str,
        corp_id: str,
        metrics: Metrics | None = None,
        settings: ClientSettings | None = None,
    ) -> None:
        self._session = session
        self._redis = redis
        self._keys = keys
        self.base_url = base_url.rstrip("/")
        self.corp_id = corp_id
        self._metrics = metrics
        self.settings = settings or ClientSettings()
        self._timeout = aiohttp.ClientTimeout(
            total=self.settings.timeout_seconds, connect=self.settings.connect_timeout_seconds
        )
        self._tokens: dict[str, CachedCredential] = {}

    async def image(self, url: str) -> tuple[bytes, str]:
        """An image WeCom hosts (a QR code), through this corp's session: `bot.wecom.images`."""
        return await fetch_image(self._session, url, self.base_url)

    def token(self, secret: str) -> CachedCredential:
        """The cached access token of one secret (app secret or customer-contact secret)."""
        if secret not in self._tokens:

            async def fetch() -> tuple[str, int]:
                data = await self.call(
                    "GET",
                    "gettoken",
                    secret=None,
                    params={"corpid": self.corp_id, "corpsecret": secret},
                )
                return str(data["access_token"]), int(data.get("expires_in", 7200))

            self._tokens[secret] = CachedCredential(
                self._redis,
                self._keys.access_token(secret),
                self._keys.access_token_lock(secret),
                fetch,
            )
        return self._tokens[secret]

    async def call(
        self,
        method: str,
        path: str,
        *,
        secret: str | None,
        params: dict[str, Any] | None = None,
        json: JsonDict | None = None,
        form: FormFactory | None = None,
        once: bool = False,
    ) -> JsonDict:
        """Call `cgi-bin/{path}`; with a `secret`, an access token is added and kept fresh.
        `once`: a call that creates something each time it arrives (a mass-message task) is
        not sent again when no answer came, as the first may have arrived."""
        refreshed = False
        attempt = 0
        while True:
            query = dict(params or {})
            token = ""
            if secret is not None:
                token = await self.token(secret).get()
                query["access_token"] = token
            try:
                data = await self._send(method, path, query, json, form)
            except WeComTransportError:
                self._count(path, TRANSPORT_ERRCODE)
                attempt += 1
                if once or attempt >= self.settings.max_attempts:
                    raise
                await self._backoff(attempt)
                continue
            errcode = _errcode(data)
            self._count(path, errcode)
            if errcode == 0:
                return data
            if errcode in TOKEN_ERRCODES and secret is not None and not refreshed:
                refreshed = True
                await self.token(secret).invalidate(token)
                continue
            attempt += 1
            if errcode in BACKOFF_ERRCODES and attempt < self.settings.max_attempts:
                await self._backoff(attempt)
                continue
            raise WeComError(errcode, str(data.get("errmsg", "")), path)

    async def _send(
        self,
        method: str,
        path: str,
        query: dict[str, Any],
        json: JsonDict | None,
        form: FormFactory | None,
    ) -> JsonDict:
        url = f"{self.base_url}/cgi-bin/{path}"
        failure = ""
        try:
            async with self._session.request(
                method,
                url,
                params=query,
                json=json,
                data=form() if form else None,
                timeout=self._timeout,
            ) as response:
                if response.status != 200:
                    raise WeComTransportError(path, f"HTTP {response.status}")
                data = await response.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            failure = describe_failure(exc, query)
        if failure:
            # raised out here, so the aiohttp error (whose text and request_info hold the
            # whole URL, corpsecret or access_token included) is not kept as __context__
            raise WeComTransportError(path, failure)
        if not isinstance(data, dict):
            raise WeComTransportError(path, "answer is not a JSON object")
        return data

    async def _backoff(self, attempt: int) -> None:
        ceiling = min(
            self.settings.backoff_cap_seconds,
            self.settings.backoff_base_seconds * 2 ** (attempt - 1),
        )
        await asyncio.sleep(random.uniform(ceiling / 2, ceiling))

    def _count(self, path: str, errcode: int) -> None:
        if self._metrics is not None:
            self._metrics.wecom_calls.labels(path=path, errcode=str(errcode)).inc()


def describe_failure(exc: BaseException, query: dict[str, Any]) -> str:
    """`exc` in a few words fit for logs and dead letters: never the request's query.

    aiohttp puts the whole request URL in the text of TooManyRedirects (and every other
    ClientResponseError), InvalidURL and ConnectionTimeoutError; those are described by their
    kind instead, and any URL left in another's text loses its query.
    """
    if isinstance(exc, aiohttp.ClientResponseError):
        detail = f"HTTP {exc.status}" if exc.status else ""
    elif isinstance(exc, aiohttp.InvalidURL):
        detail = "invalid or non-HTTP URL"
    elif isinstance(exc, TimeoutError):
        detail = "timed out"
    else:
        detail = _URL_TAIL.sub(r"\1?…", str(exc))
    for name in SECRET_PARAMS:
        value = str(query.get(name) or "")
        if len(value) >= 8:  # real ones are 40+ characters; a short one would mangle the text
            detail = detail.replace(value, "***")
    return f"{type(exc).__name__}: {detail}"[:200] if detail else type(exc).__name__


def _errcode(data: JsonDict) -> int:
    try:
        return int(data.get("errcode", 0))
    except (TypeError, ValueError):
        return -1
