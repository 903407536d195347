"""`POST /ingest/messages`: chat text from a chat-archive (会话存档) pipeline, in signed batches.

The body is `{"messages": [...]}`, at most `MAX_BATCH` rows, each

    {"msgid": "…", "sender": "customer" | "staff", "external_userid": "wm…",
     "staff_userid": "zhangsan", "chat_id": "wr…" (group messages), "text": "…",
     "sent_at": unix seconds (or milliseconds, as the archive gives them)}

Every row is checked on its own: the valid ones enter the event stream as `ChatText` of source
`ingest` (each message id once, however often it is sent), the others come back in `errors` with
their index and what is wrong. A batch that is too large or not signed is refused whole.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from redis.exceptions import RedisError

from bot.appkeys import HANDLER_CONTEXT
from bot.errors import UserError
from bot.events import ChatText
from bot.events.chat_text import SENDERS
from bot.timestamps import plausible_seconds
from bot.web.signed import (
    IngestError,
    answers_refusals,
    batch_answer,
    batch_rows,
    signed_json,
)

MAX_BATCH = 1000
MAX_TEXT = 10_000  # characters; longer text is refused rather than cut
# A real batch is ~1,000 messages of tens of characters (~300 KB as JSON); 1 MiB also takes
# ~30 messages of the longest text, escaped. It is read before the signature can be checked,
# so it is kept small: a sender with more splits it (at most MAX_BATCH rows a batch anyway).
MAX_BODY_BYTES = 1024 * 1024

_MSGID = re.compile(r"[\x21-\x7e]{1,128}")  # printable ASCII, as the archive's ids are
_USER = re.compile(r"[A-Za-z0-9_.@-]{1,64}")


class RowError(UserError, ValueError):
    """One message row that can't be taken; the message says why."""


@dataclass(frozen=True, slots=True)
class RowProblem:
    index: int
    msgid: str
    error: str


def _text_field(row: dict[str, Any], name: str, pattern: re.Pattern[str] | None) -> str:
    value = row.get(name, "")
    if value is None:
        return ""
    if not isinstance(value, str):
        raise RowError(f"{name} 应为字符串")
    if not value.isascii() and not _encodable(value):
        raise RowError(f"{name} 含有无效的 Unicode 字符（单独的代理项）")
    if value and pattern is not None and not pattern.fullmatch(value):
        raise RowError(f"{name} 格式无效")
    return value


def _encodable(text: str) -> bool:
    """False for a lone surrogate ("\\ud800" in JSON), which can't be stored as UTF-8."""
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


def _sent_at(value: Any, now: float) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise RowError("sent_at 应为 Unix 时间（秒或毫秒）")
    seconds = plausible_seconds(value, now)  # seconds or milliseconds, as bot.timestamps says
    if seconds is None:
        raise RowError("sent_at 不在合理范围内")
    return seconds


def chat_text(row: Any, now: float) -> ChatText:
    """The `ChatText` one row describes; `RowError` says what is wrong with it."""
    if not isinstance(row, dict):
        raise RowError("每条消息应为 JSON 对象")
    msgid = _text_field(row, "msgid", _MSGID)
    if not msgid:
        raise RowError("缺少 msgid")
    sender = row.get("sender")
    if sender not in SENDERS:
        raise RowError("sender 应为 customer 或 staff")
    external_userid = _text_field(row, "external_userid", _USER)
    staff_userid = _text_field(row, "staff_userid", _USER)
    chat_id = _text_field(row, "chat_id", _USER)
    if not external_userid and not chat_id:
        raise RowError("需要 external_userid（单聊）或 chat_id（群聊）")
    if sender == "staff" and not staff_userid:
        raise RowError("员工发出的消息需要 staff_userid")
    text = _text_field(row, "text", None)
    if not text.strip():
        raise RowError("text 为空")
    if len(text) > MAX_TEXT:
        raise RowError(f"text 超过 {MAX_TEXT} 字")
    sent_at = _sent_at(row.get("sent_at"), now)
    return ChatText(
        msgid=msgid,
        source="ingest",
        sender=str(sender),
        external_userid=external_userid,
        staff_userid=staff_userid,
        chat_id=chat_id,
        text=text,
        sent_at=sent_at,
        create_time=sent_at,
    )


def parse_batch(payload: Any, now: float) -> tuple[list[ChatText], list[RowProblem]]:
    """The valid messages of a batch and a problem per invalid row; `IngestError` when the
    batch as a whole is malformed or too large."""
    rows = batch_rows(payload, "messages", "消息", MAX_BATCH)
    messages: list[ChatText] = []
    problems: list[RowProblem] = []
    seen: set[str] = set()
    for index, row in enumerate(rows):
        msgid = str(row.get("msgid", ""))[:128] if isinstance(row, dict) else ""
        try:
            message = chat_text(row, now)
            if message.msgid in seen:
                raise RowError("同一批中 msgid 重复")
        except RowError as exc:
            problems.append(RowProblem(index, msgid, str(exc)))
            continue
        seen.add(message.msgid)
        messages.append(message)
    return messages, problems


@answers_refusals
async def ingest_messages(request: web.Request) -> web.StreamResponse:
    """Take a signed batch: 200 with counts and per-row errors; 422 when no row was valid."""
    config = request.config_dict
    async with signed_json(request, MAX_BODY_BYTES) as payload:
        messages, problems = parse_batch(payload, time.time())
        try:
            added = (
                await config[HANDLER_CONTEXT].services.chat_log.append(messages) if messages else []
            )
        except (RedisError, OSError):
            raise IngestError(503, "unavailable", "暂时无法保存，请稍后用同一请求重试") from None
    body = {
        "accepted": len(added),
        "duplicates": len(messages) - len(added),
        "rejected": len(problems),
        "errors": [{"index": p.index, "msgid": p.msgid, "error": p.error} for p in problems],
    }
    return batch_answer(body, valid=len(messages), rejected=len(problems))


def setup_routes(app: web.Application) -> None:
    app.router.add_post("/ingest/messages", ingest_messages)
