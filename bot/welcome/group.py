"""Group welcome templates (入群欢迎语素材), kept in Redis and synced to WeCom (doc 92366).

WeCom holds the templates that matter: a group owner picks one in the client and WeCom itself
greets whoever joins. So WeCom is what every change is written to first; the local copy (with a
name and our own short id) follows only once WeCom took the change, and `sync` puts WeCom back
in line with it when the two drift (a template deleted or edited in the admin console).

A join greeting maps a group (or "*", every group) to a template; `handlers/group_welcome.py`
records the joins it applies to.
"""

from __future__ import annotations

import contextlib
import json
import re
import secrets
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

from bot.attachments import AttachmentError
from bot.attachments import check as check_attachments
from bot.keys import RedisKeys
from bot.storage.locks import RedisLock
from bot.text.guard import BlockedText, TextGuard
from bot.wecom import WeComError
from bot.wecom.api.external_contact import ExternalContactAPI
from bot.wecom.errors import ErrCode
from bot.wecom.limits import GROUP_WELCOME_TEXT_BYTES
from bot.welcome.templates import TemplateError

MAX_ATTACHMENTS = 1  # given several, WeCom silently keeps one (image, then link, then ...)
MAX_TEMPLATES = 100  # per corp (doc 92366); WeCom answers 41055 past it
KINDS = ("image", "link", "miniprogram", "video", "file")
NICKNAME = "%NICKNAME%"
EVERY_GROUP = "*"
# WeCom documents no errcode for an unknown template_id. The sandbox answers 40058 (invalid
# parameter); get and del take nothing but the template_id, so from them 40058 can only mean
# that id is not (or no longer) in WeCom. Unconfirmed against the real API.
GONE_ERRCODES = frozenset({ErrCode.INVALID_GROUP_WELCOME})
WHERE = "群欢迎语"
_PLACEHOLDER = re.compile(r"%[A-Za-z_]+%")
SyncReport = list[tuple[str, str]]  # (group welcome id, "ok" | "recreated" | "updated")


@dataclass
class GroupWelcome:
    """One group welcome: our short id and name, its content, and WeCom's template_id."""

    id: str
    name: str
    text: str = ""  # may contain %NICKNAME%, which WeCom replaces with the joiner's nickname
    attachment: dict[str, Any] | None = None  # {"msgtype": kind, kind: {...}}
    template_id: str = ""
    updated_at: int = 0  # unix time WeCom last took this content

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, data: str) -> GroupWelcome:
        return cls(**json.loads(data))

    def api_fields(self) -> tuple[str | None, dict[str, Any]]:
        """(text, {kind: body}) as the group_welcome_template calls take them."""
        attachment: dict[str, Any] = {}
        if self.attachment:
            kind = str(self.attachment["msgtype"])
            attachment[kind] = self.attachment[kind]
        return (self.text or None), attachment

    def content(self) -> dict[str, Any]:
        """What `group_welcome_template/get` should answer for this template."""
        text, attachment = self.api_fields()
        return ({"text": {"content": text}} if text else {}) | attachment


def single_attachment(items: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The one attachment of a list (a JSON file may hold a list); more than one is refused."""
    if len(items) > MAX_ATTACHMENTS:
        raise TemplateError(
            f"{WHERE}有 {len(items)} 个附件，企业微信入群欢迎语最多 {MAX_ATTACHMENTS} 个"
        )
    return items[0] if items else None


def validate(welcome: GroupWelcome, guard: TextGuard | None) -> None:
    """Raise `TemplateError` naming the first problem, before anything reaches WeCom."""
    if not welcome.name.strip():
        raise TemplateError(f"{WHERE}需要一个名称")
    if not welcome.text.strip() and not welcome.attachment:
        raise TemplateError(f"{WHERE}的文字和附件不能都为空")
    size = len(welcome.text.encode("utf-8"))
    limit = GROUP_WELCOME_TEXT_BYTES
    if size > limit:
        raise TemplateError(f"{WHERE}文字共 {size} 字节，超过企业微信入群欢迎语 {limit} 字节的上限")
    unknown = sorted({m for m in _PLACEHOLDER.findall(welcome.text) if m != NICKNAME})
    if unknown:
        raise TemplateError(
            f"{WHERE}用了不认识的占位符 {', '.join(unknown)}；"
            f"入群欢迎语只支持 {NICKNAME}（入群客户的昵称）"
        )
    if "{{" in welcome.text:  # an admin used to the 1:1 welcome's Jinja variables
        raise TemplateError(f"{WHERE}不支持 {{{{ }}}} 变量；客户昵称请写 {NICKNAME}")
    texts = [welcome.text]
    if welcome.attachment is not None and not isinstance(welcome.attachment, dict):
        raise TemplateError(f"{WHERE}的附件应是一个 JSON 对象")
    if welcome.attachment is not None:
        texts += _check_attachment(welcome.attachment)
    if guard is not None:
        for text in texts:
            try:
                guard.check_outgoing(text)
            except BlockedText as exc:
                raise TemplateError(f"{WHERE}：{exc}") from None


def _check_attachment(attachment: dict[str, Any]) -> list[str]:
    """Refuse a bad attachment; returns its texts a customer reads (for the word check)."""
    kinds = [kind for kind in KINDS if kind in attachment]
    if len(kinds) > MAX_ATTACHMENTS:
        raise TemplateError(
            f"{WHERE}有 {len(kinds)} 个附件（{'、'.join(kinds)}），"
            f"企业微信入群欢迎语最多 {MAX_ATTACHMENTS} 个"
        )
    try:
        check_attachments(WHERE, [attachment], MAX_ATTACHMENTS)
    except AttachmentError as exc:
        raise TemplateError(str(exc)) from None
    kind = str(attachment["msgtype"])
    body: dict[str, Any] = attachment[kind]
    # the template lives in WeCom, so it carries WeCom's own fields: no media_ref, no product
    if kind not in KINDS or "media_ref" in body or "pic_media_ref" in body:
        raise TemplateError(
            f"{WHERE}的附件只能是 {'/'.join(KINDS)}，并直接给出 media_id 或 pic_url"
        )
    return [str(body.get(key, "")) for key in ("title", "desc") if body.get(key)]


def _comparable(content: Mapping[str, Any]) -> dict[str, Any]:
    """Text and attachment without empty fields: WeCom may answer "" for what wasn't given."""
    result: dict[str, Any] = {}
    text = content.get("text")
    if isinstance(text, dict) and text.get("content"):
        result["text"] = text["content"]
    for kind in KINDS:
        body = content.get(kind)
        if isinstance(body, dict) and body:
            result[kind] = {k: v for k, v in body.items() if v not in ("", None)}
    return result


class GroupWelcomeStore:
    """Group welcomes of one corp: WeCom first, then Redis; and the groups they greet."""

    def __init__(self, redis: Redis, keys: RedisKeys, api: ExternalContactAPI) -> None:
        self._redis = redis
        self._keys = keys
        self._api = api

    def _lock(self, welcome_id: str) -> RedisLock:
        # two admins saving one template must reach WeCom and Redis in the same order
        return RedisLock(self._redis, self._keys.group_welcome_lock(welcome_id), wait=10)

    async def get(self, welcome_id: str) -> GroupWelcome | None:
        data = await self._redis.hget(self._keys.group_welcomes, welcome_id)
        return GroupWelcome.from_json(data) if data else None

    async def list(self) -> list[GroupWelcome]:
        rows = await self._redis.hgetall(self._keys.group_welcomes)
        return sorted((GroupWelcome.from_json(v) for v in rows.values()), key=lambda w: w.id)

    async def save(self, welcome: GroupWelcome, guard: TextGuard | None = None) -> GroupWelcome:
        """Create (no id) or replace a template in WeCom, then here; returns what was stored.

        If WeCom refuses, nothing here changes and the `WeComError` propagates.
        """
        validate(welcome, guard)
        if not welcome.id:
            if await self._redis.hlen(self._keys.group_welcomes) >= MAX_TEMPLATES:
                raise TemplateError(
                    f"企业微信最多保存 {MAX_TEMPLATES} 个入群欢迎语，请先删除不用的"
                )
            created = replace(welcome, id=secrets.token_hex(4))
            async with self._lock(created.id):
                return await self._add_remote_and_store(created)
        async with self._lock(welcome.id):
            previous = await self.get(welcome.id)
            if previous is None:
                raise TemplateError(f"没有群欢迎语 {welcome.id}（新建时不要指定 id）")
            text, attachment = welcome.api_fields()
            await self._api.edit_group_welcome_template(previous.template_id, text, **attachment)
            saved = replace(welcome, template_id=previous.template_id, updated_at=int(time.time()))
            await self._redis.hset(self._keys.group_welcomes, saved.id, saved.to_json())
            return saved

    async def _add_remote_and_store(self, welcome: GroupWelcome) -> GroupWelcome:
        text, attachment = welcome.api_fields()
        template_id = await self._api.add_group_welcome_template(text, **attachment)
        saved = replace(welcome, template_id=template_id, updated_at=int(time.time()))
        try:
            await self._redis.hset(self._keys.group_welcomes, saved.id, saved.to_json())
        except (RedisError, OSError):
            # unrecorded, the WeCom template would use up one of the corp's 100 for good
            with contextlib.suppress(WeComError):
                await self._api.del_group_welcome_template(template_id)
            raise
        return saved

    async def delete(self, welcome_id: str) -> bool:
        """Delete in WeCom (already gone there is fine), then here; refused while greeting."""
        async with self._lock(welcome_id):
            welcome = await self.get(welcome_id)
            if welcome is None:
                return False
            chats = sorted(c for c, w in (await self.greetings()).items() if w == welcome_id)
            if chats:
                raise TemplateError(
                    f"群欢迎语 {welcome_id} 正用于这些群的入群问候：{'、'.join(chats)}"
                    f"（* 表示所有群）；请先用 ungreet 取消"
                )
            try:
                await self._api.del_group_welcome_template(welcome.template_id)
            except WeComError as exc:
                if exc.errcode not in GONE_ERRCODES:
                    raise
            await self._redis.hdel(self._keys.group_welcomes, welcome_id)
        return True

    async def sync(self, guard: TextGuard | None = None) -> SyncReport:
        """Make WeCom match the local copy: [(id, "ok" | "recreated" | "updated" |
        "blocked: <reason>")]. A copy holding a word blocked since it was saved (`guard`: the
        library now) is not pushed to WeCom again; the admin must edit it."""
        report: SyncReport = []
        for listed in await self.list():
            async with self._lock(listed.id):
                welcome = await self.get(listed.id)
                if welcome is not None:  # else deleted since the listing
                    report.append((welcome.id, await self._sync_one(welcome, guard)))
        return report

    async def _sync_one(self, welcome: GroupWelcome, guard: TextGuard | None) -> str:
        try:
            validate(welcome, guard)
        except TemplateError as exc:
            return f"blocked: {exc}"
        remote: dict[str, Any] | None = None
        try:
            remote = await self._api.get_group_welcome_template(welcome.template_id)
        except WeComError as exc:
            if exc.errcode not in GONE_ERRCODES:
                raise
        if remote is None:
            await self._add_remote_and_store(welcome)
            return "recreated"
        if _comparable(remote) == _comparable(welcome.content()):
            return "ok"
        text, attachment = welcome.api_fields()
        await self._api.edit_group_welcome_template(welcome.template_id, text, **attachment)
        saved = replace(welcome, updated_at=int(time.time()))
        await self._redis.hset(self._keys.group_welcomes, saved.id, saved.to_json())
        return "updated"

    @staticmethod
    def queue_import(
        tx: Any, keys: RedisKeys, saved: Sequence[GroupWelcome], removed: Sequence[str]
    ) -> None:
        """Queue a configuration import's writes (WeCom already holds the saved templates)."""
        if saved:
            tx.hset(keys.group_welcomes, mapping={w.id: w.to_json() for w in saved})
        if removed:
            tx.hdel(keys.group_welcomes, *removed)

    @staticmethod
    def queue_import_greetings(
        tx: Any, keys: RedisKeys, saved: dict[str, str], removed: Sequence[str]
    ) -> None:
        """Queue a configuration import's greetings (chat -> group welcome id)."""
        if saved:
            tx.hset(keys.group_greeting_chats, mapping=saved)
        if removed:
            tx.hdel(keys.group_greeting_chats, *removed)

    # -- join greetings ----------------------------------------------------------------------
    async def set_greeting(self, chat: str, welcome_id: str) -> None:
        """Greet whoever joins `chat` (a chat id, or "*" for every group) with this template."""
        chat = chat.strip()
        if not chat or any(c.isspace() for c in chat):
            raise TemplateError(f"请给出客户群 ID（chat_id），或用 {EVERY_GROUP} 表示所有群")
        async with self._lock(welcome_id):  # delete holds it too: no greeting of a deleted one
            if await self.get(welcome_id) is None:
                raise TemplateError(f"没有群欢迎语 {welcome_id}")
            await self._redis.hset(self._keys.group_greeting_chats, chat, welcome_id)

    async def clear_greeting(self, chat: str) -> bool:
        return bool(await self._redis.hdel(self._keys.group_greeting_chats, chat.strip()))

    async def greetings(self) -> dict[str, str]:
        """Chat id (or "*") -> group welcome id."""
        return dict(await self._redis.hgetall(self._keys.group_greeting_chats))

    async def greeting_for(self, chat_id: str) -> GroupWelcome | None:
        """The template greeting this group's joiners: its own, else the one for every group."""
        ids = await self._redis.hmget(self._keys.group_greeting_chats, [chat_id, EVERY_GROUP])
        chosen = next((welcome_id for welcome_id in ids if welcome_id), None)
        return await self.get(chosen) if chosen else None

    async def stats(self) -> dict[str, int]:
        rows = await self._redis.hgetall(self._keys.group_greeting_stats)
        return {key: int(value) for key, value in rows.items()}
