"""`/wecom/callback`: GET URL verification and POST event delivery (docs 90930, 90968).

Every refusal is a 4xx with a one-word body and nothing enqueued; 200 is sent only once the
event is in the Redis stream, 503 when Redis cannot take it (WeCom then retries).
"""

from __future__ import annotations

import logging
import re
import time

from aiohttp import web
from redis.exceptions import RedisError

from bot.admin.grammar import NotCommand
from bot.admin.specs import grammar
from bot.appkeys import CALLBACK_PRESSURE, CRYPTO, HANDOFF, INGEST, METRICS, SETTINGS
from bot.callback.crypto import CallbackError
from bot.callback.ingest import fingerprint
from bot.events import TextMessage, XmlRejected, event_from_fields, parse_xml
from bot.events.xml_out import to_xml
from bot.web.bodies import BodyTimeout, BodyTooLarge, read_capped

log = logging.getLogger(__name__)

BODY_READ_SECONDS = 5.0
_TIMESTAMP = re.compile(r"[0-9]{1,12}")
# The envelope's one field we use, found by a scan that is linear in the body: no XML parser
# sees a body before its signature is checked (expat on 20 clients' 63 KiB nested bodies held
# the loop). The value is base64, as a CDATA section or as plain text.
_ENCRYPT = re.compile(
    rb"<Encrypt>\s*(?:<!\[CDATA\[([A-Za-z0-9+/=]+)\]\]>|([A-Za-z0-9+/=]+))\s*</Encrypt>"
)


def encrypt_of(body: bytes) -> str:
    """The `Encrypt` value of a callback envelope; `CallbackError` unless there is exactly one."""
    if body.count(b"<Encrypt>") != 1:
        raise CallbackError("missing_encrypt")
    found = _ENCRYPT.search(body)
    if found is None:
        raise CallbackError("missing_encrypt")
    value: bytes = found.group(1) or found.group(2)
    return value.decode("ascii")


class CallbackEndpoint:
    """The handlers of `/wecom/callback`, bound once to what they use.

    Every callback passes here, so its dependencies are looked up when the routes are set up
    (the Redis-backed ones when first used, as Redis opens after that) rather than through
    `request.config_dict` on each request: a chain-map proxy built per lookup, five per
    callback, cost ~3 % of the callback path at its maximum rate."""

    def __init__(self, app: web.Application) -> None:
        self._app = app
        self._settings = app[SETTINGS]
        self._crypto = app[CRYPTO]
        self._metrics = app[METRICS]
        self._pressure = app[CALLBACK_PRESSURE]
        self._window = self._settings.dedup_window_seconds
        self._max_body = self._settings.max_body_bytes

    def _refuse(self, request: web.Request, reason: str, status: int = 400) -> web.Response:
        self._metrics.count_callback(reason)
        log.info("callback refused: %s (%s %s)", reason, request.method, request.path)
        return web.Response(status=status, text=reason)

    def _check_timestamp(self, timestamp: str) -> None:
        """Refuse replays older (or further ahead) than the dedup window can remember."""
        # ASCII digits only, and few: "²".isdigit() is true, and int() of 400 digits overflows
        if not _TIMESTAMP.fullmatch(timestamp) or abs(time.time() - int(timestamp)) > self._window:
            raise CallbackError("stale_timestamp", 403)

    async def verify_url(self, request: web.Request) -> web.Response:
        """Answer WeCom's URL check with the decrypted echostr: plain text, no newline."""
        try:
            signature, timestamp, nonce, echostr = _query(
                request, "msg_signature", "timestamp", "nonce", "echostr"
            )
            self._check_timestamp(timestamp)
            plain = self._crypto.verify_and_decrypt(signature, timestamp, nonce, echostr)
        except CallbackError as exc:
            return self._refuse(request, exc.reason, exc.status)
        self._metrics.count_callback("verified")
        return web.Response(text=plain, content_type="text/plain")

    async def receive(self, request: web.Request) -> web.Response:
        """Verify, decrypt, parse, dedupe and enqueue one callback (the pipeline of this
        process gives way meanwhile: `bot.pipeline.priority`)."""
        with self._pressure.handling():
            return await self._receive(request)

    async def _receive(self, request: web.Request) -> web.Response:
        try:
            signature, timestamp, nonce = _query(request, "msg_signature", "timestamp", "nonce")
            self._check_timestamp(timestamp)
            body = await _read_body(request, self._max_body)
            encrypt = encrypt_of(body)
            xml = self._crypto.verify_and_decrypt(signature, timestamp, nonce, encrypt)
            event = event_from_fields(parse_xml(xml))
        except CallbackError as exc:
            return self._refuse(request, exc.reason, exc.status)
        except XmlRejected as exc:
            return self._refuse(request, exc.reason)

        try:
            entry_id = await self._app[INGEST].add(
                xml, fingerprint(event, xml), int(time.time() * 1000)
            )
        except (RedisError, OSError) as exc:
            log.warning("callback not stored, answering 503 so WeCom retries: %s", exc)
            return self._refuse(request, "redis_unavailable", 503)
        self._metrics.count_callback("accepted" if entry_id else "duplicate")
        # logged under the request id; the pipeline logs the entry id as event_id too (bot.logs)
        name = type(event).__name__
        if entry_id:
            fields = {"event_id": entry_id, "event_type": name}
            log.info("callback %s stored as entry %s", name, entry_id, extra=fields)
        else:
            log.info("callback %s is a retry of one already stored", name)
        if entry_id and isinstance(event, TextMessage) and is_command_text(event.content):
            return await self._passive_reply(event, nonce)
        return web.Response()

    async def _passive_reply(self, event: TextMessage, nonce: str) -> web.Response:
        """Wait briefly for the worker's answer and send it back encrypted (doc 90930)."""
        try:
            answer = await self._app[HANDOFF].wait(event.msg_id)
        except (RedisError, OSError) as exc:  # the event is stored: the answer will be sent
            log.warning("passive reply not awaited: %s", exc)
            answer = None
        if answer is None:
            return web.Response()
        reply = to_xml(
            [
                ("ToUserName", event.user_id),
                ("FromUserName", self._settings.corp_id),
                ("CreateTime", int(time.time())),
                ("MsgType", "text"),
                ("Content", answer),
            ]
        )
        body = self._crypto.passive_reply(reply, nonce)
        return web.Response(text=body, content_type="application/xml")


def _query(request: web.Request, *names: str) -> list[str]:
    values = [request.query.get(name, "") for name in names]
    if not all(values):
        raise CallbackError("missing_params")
    return values


async def _read_body(request: web.Request, limit: int) -> bytes:
    try:
        # WeCom itself gives up after 5 s; a body still trickling in then is not WeCom's
        return await read_capped(request, limit, seconds=BODY_READ_SECONDS)
    except BodyTooLarge:
        raise CallbackError("body_too_large", 413) from None
    except BodyTimeout:
        raise CallbackError("body_timeout", 408) from None


def is_command_text(content: str) -> bool:
    return not isinstance(grammar().parse(content), NotCommand)


def setup_routes(app: web.Application) -> None:
    endpoint = CallbackEndpoint(app)
    app.router.add_get("/wecom/callback", endpoint.verify_url)
    app.router.add_post("/wecom/callback", endpoint.receive)
