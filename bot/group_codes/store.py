"""Group live codes in WeCom and in Redis together: created, changed and deleted in WeCom
first, then stored (`keys.group_codes`, written here only), so a code WeCom refused is never
kept and one it deleted is never shown."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis

from bot.group_codes.codes import QR_GROUP_LIMIT, GroupCode, GroupCodeError, validate
from bot.keys import RedisKeys
from bot.media import MediaError, MediaLibrary
from bot.storage.ids import free_id
from bot.wecom import WeComError
from bot.wecom.api.external_contact import ExternalContactAPI
from bot.wecom.api.group_join import GroupJoinAPI
from bot.wecom.images import ImageUnavailable


@dataclass(frozen=True, slots=True)
class GroupFill:
    """One of a code's groups as WeCom has it now: its name and how many members it has."""

    chat_id: str
    name: str
    members: int
    created: bool = False  # WeCom made it when the code's groups were full

    @property
    def full(self) -> bool:
        return self.members >= QR_GROUP_LIMIT


async def group_fill(
    code: GroupCode, contact: ExternalContactAPI, created: Iterable[str] = ()
) -> list[GroupFill]:
    """Each of the code's groups in order, then the `created` ones WeCom made for it (sorted),
    read from WeCom (`groupchat/get`)."""
    groups = []
    made = sorted(set(created) - set(code.chat_ids))
    for chat_id in [*code.chat_ids, *made]:
        chat = await contact.get_group_chat(chat_id, need_name=False)
        members = len(chat.get("member_list", []))
        groups.append(GroupFill(chat_id, str(chat.get("name", "")), members, chat_id in made))
    return groups


log = logging.getLogger(__name__)


class GroupCodeStore:
    """The corp's group live codes."""

    def __init__(self, redis: Redis, keys: RedisKeys, api: GroupJoinAPI) -> None:
        self._redis = redis
        self._keys = keys
        self._api = api

    async def qr_media(self, code_id: str, media: MediaLibrary) -> str:
        """The media-library ref of the code's QR image — fetched from WeCom and kept on
        first use, since WeCom takes a welcome's image as an uploaded file, not as its own
        URL; "" for a code that is gone or whose image can't be had now (logged)."""
        known = await self._redis.hget(self._keys.group_code_qr, code_id)
        if known and await media.exists(known):
            return str(known)
        code = await self.get(code_id)
        if code is None or not code.qr_code:
            log.warning("group code %s attached but gone (or without a QR code)", code_id)
            return ""
        try:
            content, _kind = await self._api.qr_image(code.qr_code)
            ref = await media.add("image", f"group-code-{code.id}.png", content)
        except (ImageUnavailable, MediaError, WeComError) as exc:
            log.warning("group code %s: QR image not had: %s", code_id, exc)
            return ""
        await self._redis.hset(self._keys.group_code_qr, code_id, ref)
        return ref

    async def get(self, code_id: str) -> GroupCode | None:
        raw = await self._redis.hget(self._keys.group_codes, code_id)
        return GroupCode.from_json(raw) if raw else None

    async def list(self) -> list[GroupCode]:
        rows = await self._redis.hgetall(self._keys.group_codes)
        return sorted((GroupCode.from_json(v) for v in rows.values()), key=lambda c: c.id)

    async def create(self, code: GroupCode) -> GroupCode:
        validate(code)
        code.id = code.id or await free_id(self._redis, self._keys.group_codes)
        code.config_id = await self._api.add(**code.api_fields())
        code.qr_code = str((await self._api.get(code.config_id)).get("qr_code", ""))
        await self._redis.hset(self._keys.group_codes, code.id, code.to_json())
        return code

    async def update(self, code: GroupCode) -> GroupCode:
        validate(code)
        stored = await self.get(code.id)
        if stored is None:
            raise GroupCodeError(f"没有群活码 {code.id}")
        code.config_id, code.qr_code = stored.config_id, stored.qr_code
        await self._api.update(code.config_id, **code.api_fields())
        await self._redis.hset(self._keys.group_codes, code.id, code.to_json())
        return code

    async def delete(self, code_id: str) -> GroupCode:
        stored = await self.get(code_id)
        if stored is None:
            raise GroupCodeError(f"没有群活码 {code_id}")
        await self._api.delete(stored.config_id)
        await self._redis.hdel(self._keys.group_codes, code_id)
        await self._redis.hdel(self._keys.group_code_qr, code_id)  # a revived code has a new QR
        return stored

    @staticmethod
    def queue_import(
        tx: Any, keys: RedisKeys, saved: Sequence[GroupCode], removed: Sequence[str]
    ) -> None:
        """Queue a configuration import's writes (WeCom already holds the saved codes)."""
        if saved:
            tx.hset(keys.group_codes, mapping={c.id: c.to_json() for c in saved})
        if removed:
            tx.hdel(keys.group_codes, *removed)
