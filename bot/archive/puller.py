"""Pulling the chat archive: from the last saved seq, 1,000 items a batch, each opened with the
private key of its version, text messages into the event stream as `ChatText` (source
"archive") with the batch's last seq saved in the same Lua call (`ChatLog.append`, the KF
pull's rule): a crash never skips a batch, and a batch read again adds nothing.

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

from bot.archive.keys import ArchiveKeyError, ArchiveKeys
from bot.archive.sdk import ArchiveSdk, SdkError
from bot.context import HandlerContext
from bot.events import ChatText
from bot.wecom.api.archive import ArchiveAPI

BATCH = 1000
MAX_BATCHES = 20  # a round's most: the rest goes next round
FAILED_KEPT = 1000
CONSENT_SECONDS = 86400
CUSTOMER_PREFIXES = ("wm", "wo")  # external_userid shapes; members' userids are anything else
log = logging.getLogger(__name__)


@dataclass
class PullReport:
    """What one round did."""

    batches: int = 0
    texts: int = 0
    other: int = 0  # kinds not kept as text (images, revokes …)
    not_agreed: int = 0
    failed: int = 0
    stopped: str = ""  # why the round stopped early ("" = caught up)
    seq: int = 0
    errors: list[str] = field(default_factory=list)


def is_customer(user: str) -> bool:
    return user.startswith(CUSTOMER_PREFIXES)


def as_chat_text(message: dict[str, Any]) -> ChatText | None:
    """A text message between a member and a customer (1:1 or in a group) as ChatText."""
    if message.get("msgtype") != "text" or message.get("action", "send") != "send":
        return None
    sender = str(message.get("from", ""))
    others = [str(t) for t in message.get("tolist") or []]
    room = str(message.get("roomid") or "")
    customer = sender if is_customer(sender) else next((t for t in others if is_customer(t)), "")
    staff = (
        sender if not is_customer(sender) else next((t for t in others if not is_customer(t)), "")
    )
    if not customer and not room:
        return None  # between members: not a customer conversation
    sent_at = int(message.get("msgtime") or 0) // 1000
    return ChatText(
        msgid=str(message.get("msgid", "")),
        source="archive",
        sender="customer" if is_customer(sender) else "staff",
        external_userid=customer,
        staff_userid=staff,
        chat_id=room,
        text=str((message.get("text") or {}).get("content", "")),
        sent_at=sent_at,
        create_time=sent_at,
    )


class ArchivePuller:
    """One corp's archive pull (the SDK opened once per process)."""

    def __init__(self, ctx: HandlerContext, sdk: ArchiveSdk, keys: ArchiveKeys) -> None:
        self._ctx = ctx
        self._sdk = sdk
        self._keys = keys
        self._api = ArchiveAPI(ctx.wecom.transport, ctx.settings.archive_secret)

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
            texts, last, stop = await self._open(items, report)
            texts = await self._agreed(texts, report)
            if last > report.seq:
                await self._ctx.services.chat_log.append(
                    texts, cursor=(keys.archive_seq, str(last))
                )
                report.seq = last
                report.texts += len(texts)
                report.batches += 1
            if stop:
                report.stopped = stop
                return report
        report.stopped = "more next round"
        return report

    async def _open(
        self, items: list[dict[str, Any]], report: PullReport
    ) -> tuple[list[ChatText], int, str]:
        """The batch's texts, the seq to save (before a message no key opens), why it stopped."""
        texts: list[ChatText] = []
        last = report.seq
        for item in items:
            seq = int(item.get("seq", 0))
            try:
                key = self._keys.random_key(
                    int(item.get("publickey_ver", 0)), str(item.get("encrypt_random_key", ""))
                )
                message = await asyncio.to_thread(
                    self._sdk.decrypt, key, str(item.get("encrypt_chat_msg", ""))
                )
            except ArchiveKeyError as exc:
                if exc.version not in self._keys.versions:
                    return texts, last, f"seq {seq}: 缺少第 {exc.version} 版私钥，请加入后继续"
                await self._set_aside(item, str(exc), report)
            except SdkError as exc:
                if exc.retryable:
                    return texts, last, str(exc)
                await self._set_aside(item, str(exc), report)
            else:
                text = as_chat_text(message)
                if text is None:
                    report.other += 1
                else:
                    texts.append(text)
            last = max(last, seq)
        return texts, last, ""

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

    async def _agreed(self, texts: list[ChatText], report: PullReport) -> list[ChatText]:
        """The texts of pairs who agreed to archiving (group messages: kept)."""
        pairs = sorted({(t.staff_userid, t.external_userid) for t in texts if not t.chat_id})
        consent = await self._consent(pairs)
        kept = [
            t for t in texts if t.chat_id or consent.get((t.staff_userid, t.external_userid), False)
        ]
        report.not_agreed += len(texts) - len(kept)
        return kept

    async def _consent(self, pairs: list[tuple[str, str]]) -> dict[tuple[str, str], bool]:
        """WeCom's answer per pair, cached a day."""
        redis, key = self._ctx.redis, self._ctx.keys.archive_consent
        now = time.time()
        known: dict[tuple[str, str], bool] = {}
        if pairs:
            rows = await redis.hmget(key, [f"{u}|{c}" for u, c in pairs])
            for pair, raw in zip(pairs, rows, strict=True):
                said = json.loads(raw) if raw else None
                if said and now - said["at"] < CONSENT_SECONDS:
                    known[pair] = bool(said["agreed"])
        ask = [p for p in pairs if p not in known]
        if ask:
            answers = await self._api.agreed(ask)
            known |= {p: answers.get(p, False) for p in ask}
            mapping = {
                f"{u}|{c}": json.dumps({"agreed": known[(u, c)], "at": int(now)}) for u, c in ask
            }
            await redis.hset(key, mapping=mapping)
        return known
