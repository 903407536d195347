"""Group live codes in the configuration file (`group_codes`). They live in WeCom too: an
import creates and changes their join ways before its transaction (undone if it does not
commit) and deletes removed codes' join ways after it (`write_wecom`, `finish_wecom`).

A `config_id` in the file that Redis doesn't know (a backup restored into a fresh store) is
taken over when WeCom still has that code with this code's state, and replaced by a new code
(a new QR image) when WeCom has it no more."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

from bot.config_io.items import Item
from bot.config_io.sections import ListSection, owned, written
from bot.group_codes.codes import GroupCode, GroupCodeError, validate
from bot.group_codes.store import GroupCodeStore
from bot.keys import RedisKeys
from bot.wecom import WeComError
from bot.wecom.errors import ErrCode

if TYPE_CHECKING:
    from redis.asyncio import Redis

    from bot.config_io.plan import Plan
    from bot.config_io.undo import Undo
    from bot.text.guard import TextGuard
    from bot.wecom import WeComClient
    from bot.wecom.api.group_join import GroupJoinAPI

# what WeCom answers for a join way that is gone (as for 联系我 codes; unconfirmed for these)
GONE_ERRCODES = frozenset({ErrCode.CONTACT_WAY_GONE})


class GroupCodesSection(ListSection):
    """Group live codes: their groups in order and what happens when those are full."""

    name, label, rank = "group_codes", "群活码", 35  # before the welcomes that attach them
    model = GroupCode
    id_bytes = 3  # code ids are in every join's State: short
    in_wecom = True

    def hash_key(self, keys: RedisKeys) -> str:
        return keys.group_codes

    def check_item(self, model: Any, guard: TextGuard | None) -> None:
        validate(model)

    def adopt(self, item: Item, stored: Item | None) -> str | None:
        return owned(item, stored, "config_id", ("qr_code",))

    async def queue(
        self, tx: Any, redis: Redis, keys: RedisKeys, plan: Plan, prepared: Any, by: str, now: float
    ) -> None:
        removed = [item.key for item in plan.sections[self.name].removed]
        saved = [item.model for item in written(plan, self.name)]
        GroupCodeStore.queue_import(tx, keys, saved, removed)

    async def write_wecom(self, plan: Plan, wecom: WeComClient, undo: Undo) -> None:
        api = wecom.group_join
        for item in written(plan, self.name):
            code: GroupCode = item.model
            stored = plan.current[self.name].get(item.key)
            if code.config_id and stored is None:
                await self._take_over(api, code, undo)
            elif not code.config_id:
                await self._create(api, code, undo)
            elif stored is not None and stored.model.api_fields() != code.api_fields():
                await api.update(code.config_id, **code.api_fields())
                undo.add(partial(api.update, code.config_id, **stored.model.api_fields()))

    async def _create(self, api: GroupJoinAPI, code: GroupCode, undo: Undo) -> None:
        code.config_id = await api.add(**code.api_fields())
        undo.add(partial(api.delete, code.config_id))
        code.qr_code = str((await api.get(code.config_id)).get("qr_code", ""))

    async def _take_over(self, api: GroupJoinAPI, code: GroupCode, undo: Undo) -> None:
        """A code the file names and Redis doesn't know: WeCom's, if it still has it."""
        try:
            way = await api.get(code.config_id)
        except WeComError as exc:
            if exc.errcode not in GONE_ERRCODES:
                raise
            await self._create(api, code, undo)  # gone: a new code, a new QR image
            return
        if way.get("state") != code.state:
            raise GroupCodeError(
                f"群活码 {code.id}：企业微信中的 {code.config_id} 属于 state "
                f"{str(way.get('state'))[:30]!r}，不是 {code.state}"
            )
        was = {k: way.get(k) for k in code.api_fields() if k in way}
        await api.update(code.config_id, **code.api_fields())
        undo.add(partial(api.update, code.config_id, **was))
        code.qr_code = str(way.get("qr_code", ""))

    async def finish_wecom(self, plan: Plan, wecom: WeComClient) -> list[str]:
        warnings = []
        for item in plan.sections[self.name].removed:
            config_id = item.model.config_id
            try:
                if config_id:
                    await wecom.group_join.delete(config_id)
            except WeComError as exc:
                if exc.errcode not in GONE_ERRCODES:
                    warnings.append(
                        f"群活码 {item.key} 已删除，但企业微信中的 {config_id} 未能删除"
                        f"（{exc.errcode}）：二维码仍可扫码入群，但不再计入统计"
                    )
        return warnings


SECTIONS = (GroupCodesSection(),)
