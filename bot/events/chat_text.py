"""`ChatText`: one chat message the bot can see, from any source, as a pipeline event.

WeCom doesn't push 1:1 or group chat text to servers (DESIGN.md, "Where chat text comes
from"). What the bot does see — WeChat Customer Service messages, staff text to the app, and
batches a chat-archive pipeline posts to `/ingest/messages` — enters the same event stream as
the callbacks, one `ChatText` per message, deduplicated by (source, message id). Handlers
(auto-tagging, profiles, sensitive-word alerts) subscribe to it like to any event; it carries
JSON in the stream entry instead of callback XML.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from typing import Any

from bot.events.base import Event

SENDERS = ("customer", "staff")


@dataclass(frozen=True, kw_only=True)
class ChatText(Event):
    """A text message: who wrote it to whom, where it came from, when (unix seconds)."""

    msgid: str
    source: str
    sender: str  # customer or staff
    external_userid: str = ""  # the customer
    staff_userid: str = ""  # the staff member (or KF servicer) on the other side, if known
    chat_id: str = ""  # a customer group, for group messages
    open_kfid: str = ""  # the customer-service account, for KF messages
    text: str = ""
    sent_at: int = 0

    @property
    def dedup_id(self) -> str:
        return f"chat:{self.source}:{self.msgid}"

    def to_json(self) -> str:
        data = {f.name: getattr(self, f.name) for f in fields(self) if f.name in _OWN}
        return json.dumps(data, ensure_ascii=False)

    @classmethod
    def from_json(cls, data: str) -> ChatText:
        raw: dict[str, Any] = json.loads(data)
        return cls(**{k: v for k, v in raw.items() if k in _OWN}, create_time=int(raw["sent_at"]))


_OWN = frozenset(f.name for f in fields(ChatText)) - frozenset(f.name for f in fields(Event))
