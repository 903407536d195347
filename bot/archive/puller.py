"""Pulling the chat archive: from the last saved seq, 1,000 items a batch, each opened with the
private key of its version, text messages into the event stream as `ChatText` (source
"archive") with the batch's last seq saved in the same Lua call (`ChatLog.append`, the KF
pull's rule): a crash never skips a batch, and a batch read again adds nothing. Messages of
other kinds are kept as lines of their conversation just before (idempotent: see the store);
their files are fetched only when an admin opens one (`media`).

The SDK blocks, so its calls run in a worker thread. A message whose key version has no private
key stops the pull where it is (nothing after it is skipped; the admins must add the key). One
the SDK can't open (10002 bad data, 10008) is set aside in `archive:failed` and the pull goes
on. Messages of a member and customer who haven't agreed to archiving (同意存档) are not kept.
Woken by `msgaudit_notify`, and every minute anyway.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from dataclasses import dataclass, field
from typing import Any

from bot.archive.consent import Consent
from bot.archive.keys import ArchiveKeyError, ArchiveKeys
from bot.archive.messages import Line, Media, Parties, as_chat_text, as_line
from bot.archive.sdk import ArchiveSdk, SdkError
from bot.archive.store import ArchiveStore
from bot.context import HandlerContext
from bot.events import ChatText
from bot.wecom import WeComError
from bot.wecom.api.archive import ArchiveAPI

BATCH = 1000
MAX_BATCHES = 20  # a round's most: the rest goes next round
FAILED_KEPT = 1000
MEDIA_AT_ONCE = 2  # files fetched for admins at the same time, per process
log = logging.getLogger(__name__)


@dataclass
class PullReport:
    """What one round did."""

    batches: int = 0
    texts: int = 0
    lines: int = 0  # other kinds kept as a line (images, files, links …)
    skipped: int = 0  # not a customer conversation (between members, switches …)
    not_agreed: int = 0
    failed: int = 0
    stopped: str = ""  # why the round stopped early ("" = caught up)
    seq: int = 0
    errors: list[str] = field(default_factory=list)


Opened = tuple[Parties, ChatText | Line]


def _parties(text: ChatText) -> Parties:
    return Parties(text.sender == "customer", text.external_userid, text.staff_userid, text.chat_id)


class ArchivePuller:
    """One corp's archive pull (the SDK opened once per process)."""

    def __init__(self, ctx: HandlerContext, sdk: ArchiveSdk, keys: ArchiveKeys) -> None:
        self._ctx = ctx
        self._sdk = sdk
        self._keys = keys
        api = ArchiveAPI(ctx.wecom.transport, ctx.settings.archive_secret)
        self._consent = Consent(ctx.redis, ctx.keys, api)
        self._store = ArchiveStore(ctx.redis, ctx.keys)
        self._media_slots = asyncio.Semaphore(MEDIA_AT_ONCE)

    async def pull(self, max_batches: int = MAX_BATCHES) -> PullReport:
        redis, keys = self._ctx.redis, self._ctx.keys
        report = PullReport(seq=int(await redis.get(keys.archive_seq) or 0))
        for _ in range(max_batches):
            try:
                items = await asyncio.to_thread(self._sdk.chat_data, report.seq, BATCH)
            except SdkError as exc:
                report.stopped = str(exc)
                return report
            if not items:
                return report
            opened, last, stop = await self._open(items, report)
            try:
                kept = await self._agreed(opened, report)
            except WeComError as exc:  # busy or unreachable: this batch again next round
                report.stopped = f"同意情况查询失败：{exc}"
                return report
            if last > report.seq:
                texts = [m for m in kept if isinstance(m, ChatText)]
                lines = [m for m in kept if isinstance(m, Line)]
                await self._store.keep_lines(lines)  # before the seq moves: read again, no-op
                await self._ctx.services.chat_log.append(
                    texts, cursor=(keys.archive_seq, str(last))
                )
                report.seq = last
                report.texts += len(texts)
                report.lines += len(lines)
                report.batches += 1
            if stop:
                report.stopped = stop
                return report
        report.stopped = "more next round"
        return report

    async def media(self, media: Media, most: int) -> bytes:
        """One file of an archived message, for an admin who opened it (≤ `most` bytes)."""
        async with self._media_slots:
            return await asyncio.to_thread(self._sdk.media, media.fileid, most)

    async def _open(
        self, items: list[dict[str, Any]], report: PullReport
    ) -> tuple[list[Opened], int, str]:
        """The batch's messages, the seq to save (before a message no key opens), why it stopped."""
        opened: list[Opened] = []
        last = report.seq
        for item in items:
            seq = int(item.get("seq", 0))
            try:
                message = await asyncio.to_thread(self._decrypt, item)
            except ArchiveKeyError as exc:
                if exc.version not in self._keys.versions:
                    return opened, last, f"seq {seq}: 缺少第 {exc.version} 版私钥，请加入后继续"
                await self._set_aside(item, str(exc), report)
            except SdkError as exc:
                if exc.retryable:
                    return opened, last, str(exc)
                await self._set_aside(item, str(exc), report)
            else:
                self._sort(message, opened, report)
            last = max(last, seq)
        return opened, last, ""

    def _decrypt(self, item: dict[str, Any]) -> dict[str, Any]:
        """One item opened: its random key with the private key of its version (RSA), then the
        message with the SDK. Both in the worker thread: neither holds the event loop."""
        key = self._keys.random_key(
            int(item.get("publickey_ver", 0)), str(item.get("encrypt_random_key", ""))
        )
        return self._sdk.decrypt(key, str(item.get("encrypt_chat_msg", "")))

    @staticmethod
    def _sort(message: dict[str, Any], opened: list[Opened], report: PullReport) -> None:
        text = as_chat_text(message)
        if text is not None:
            opened.append((_parties(text), text))
        elif (line := as_line(message)) is not None:
            opened.append((line.parties, line))
        else:
            report.skipped += 1

    async def _set_aside(self, item: dict[str, Any], why: str, report: PullReport) -> None:
        report.failed += 1
        entry = {
            "seq": item.get("seq"),
            "msgid": item.get("msgid"),
            "why": why,
            "at": int(time.time()),
        }
        key = self._ctx.keys.archive_failed
        async with self._ctx.redis.pipeline(transaction=True) as tx:
            tx.lpush(key, json.dumps(entry, ensure_ascii=False))
            tx.ltrim(key, 0, FAILED_KEPT - 1)
            await tx.execute()
        log.warning("archive item %s set aside: %s", item.get("seq"), why)

    async def _agreed(self, opened: list[Opened], report: PullReport) -> list[ChatText | Line]:
        """The messages whose customer agreed to archiving (consent.py says how)."""
        allowed = await self._consent.kept([who for who, _ in opened])
        kept = [message for (_, message), ok in zip(opened, allowed, strict=True) if ok]
        report.not_agreed += len(opened) - len(kept)
        return kept
