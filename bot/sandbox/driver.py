"""Encrypted callback delivery to the bot, with WeCom's retry semantics (doc 90238).

An attempt fails when the bot answers anything but HTTP 200 or does not answer within
`timeout` seconds (WeCom: 5 s); a failed delivery is retried `max_retries` times (WeCom:
3), so a bot sees at most 4 attempts. Every attempt carries the identical decrypted XML but
is encrypted afresh (new random prefix, nonce and timestamp), which is what lets the bot's
deduplication be tested on the plaintext, never the ciphertext.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import aiohttp

from bot.callback.crypto import CallbackCrypto, CallbackError
from bot.events.parse import XmlRejected, parse_xml
from bot.sandbox.events import envelope


@dataclass
class Attempt:
    """One POST to the bot; `status` None when no answer came (timeout, refused)."""

    number: int
    status: int | None
    body: str
    query: dict[str, str]
    error: str = ""
    elapsed: float = 0.0
    reply: dict[str, str] = field(default_factory=dict)  # a passive reply, decrypted


@dataclass
class Delivery:
    """All attempts to deliver one callback XML."""

    xml: str
    attempts: list[Attempt] = field(default_factory=list)

    @property
    def delivered(self) -> bool:
        return any(attempt.status == 200 for attempt in self.attempts)

    @property
    def statuses(self) -> list[int | None]:
        return [attempt.status for attempt in self.attempts]


@dataclass
class UrlCheck:
    """The outcome of a GET URL verification: the bot must echo `expected` exactly."""

    ok: bool
    status: int | None
    body: str
    expected: str


class CallbackDriver:
    """Posts encrypted callbacks to one bot URL."""

    def __init__(
        self,
        url: str,
        token: str,
        encoding_aes_key: str,
        corp_id: str,
        agent_id: int,
        *,
        clock: Callable[[], float] = time.time,
        timeout: float = 5.0,
        max_retries: int = 3,
        retry_delay: float = 0.0,
    ) -> None:
        if max_retries < 0:
            raise ValueError("max_retries must not be negative")
        self.url = url
        self.crypto = CallbackCrypto(token, encoding_aes_key, corp_id)
        self.corp_id = corp_id
        self.agent_id = agent_id
        self.clock = clock
        self.timeout = timeout
        self.max_retries = max_retries
        self.retry_delay = retry_delay
        self.deliveries: list[Delivery] = []
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
        return self._session

    def _signed_query(self, encrypt: str) -> dict[str, str]:
        timestamp = str(int(self.clock()))
        nonce = str(secrets.randbelow(10**10))
        signature = self.crypto.signature(timestamp, nonce, encrypt)
        return {"msg_signature": signature, "timestamp": timestamp, "nonce": nonce}

    async def deliver(self, xml: str) -> Delivery:
        """POST `xml` encrypted, retrying on failure as WeCom does."""
        delivery = Delivery(xml)
        self.deliveries.append(delivery)
        for number in range(1, self.max_retries + 2):
            if number > 1 and self.retry_delay:
                await asyncio.sleep(self.retry_delay)
            attempt = await self._post(number, xml)
            delivery.attempts.append(attempt)
            if attempt.status == 200:
                break
        return delivery

    async def _post(self, number: int, xml: str) -> Attempt:
        encrypt = self.crypto.encrypt(xml)
        query = self._signed_query(encrypt)
        body = envelope(self.corp_id, self.agent_id, encrypt)
        started = time.monotonic()
        try:
            async with self._client().post(
                self.url,
                params=query,
                data=body.encode(),
                headers={"Content-Type": "text/xml"},
                timeout=aiohttp.ClientTimeout(total=self.timeout),
            ) as response:
                text = await response.text()
                status: int | None = response.status
                error = ""
        except (aiohttp.ClientError, TimeoutError) as exc:
            text, status, error = "", None, f"{type(exc).__name__}: {exc}"[:200]
        attempt = Attempt(number, status, text, query, error, time.monotonic() - started)
        if status == 200 and text.strip():
            attempt.reply = self._open_reply(text)
        return attempt

    def _open_reply(self, body: str) -> dict[str, str]:
        """A passive reply as WeCom reads it: signature checked, decrypted, its fields."""
        try:
            outer = parse_xml(body)
            encrypt = str(outer["Encrypt"])
            plain = self.crypto.verify_and_decrypt(
                str(outer["MsgSignature"]), str(outer["TimeStamp"]), str(outer["Nonce"]), encrypt
            )
            return {k: str(v) for k, v in parse_xml(plain).items()}
        except (KeyError, CallbackError, XmlRejected) as exc:
            return {"error": f"{type(exc).__name__}: {exc}"}

    async def verify_url(self, answer_within: float = 1.0) -> UrlCheck:
        """The GET WeCom makes when the callback URL is saved: echo the decrypted echostr.

        WeCom wants the plaintext back within 1 s, with no quotes, BOM or newline.
        """
        expected = str(secrets.randbelow(10**19))
        echostr = self.crypto.encrypt(expected)
        query = self._signed_query(echostr)
        query["echostr"] = echostr
        try:
            async with self._client().get(
                self.url,
                params=query,
                timeout=aiohttp.ClientTimeout(total=answer_within),
            ) as response:
                body = await response.text()
                status: int | None = response.status
        except (aiohttp.ClientError, TimeoutError) as exc:
            return UrlCheck(False, None, f"{type(exc).__name__}: {exc}"[:200], expected)
        return UrlCheck(status == 200 and body == expected, status, body, expected)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
