"""撤销 of a store list import made in the console: the list before it comes back (the store
keeps one generation). Campaigns are managed in the console and with `scrm-bot stores`."""

from __future__ import annotations

from bot.admin.call import AdminPart, Call, CommandError
from bot.admin.session import Change


def import_change(campaign_id: str, name: str, count: int) -> Change:
    """The change an import records."""
    return Change(
        "store-list",
        campaign_id,
        None,
        {"stores": count},
        f"导入门店活码「{name}」的门店 {count} 家",
    )


async def undo_import(change: Change, call: Call) -> str:
    store = call.ctx.services.store_codes
    if await store.campaign(change.target) is None:
        raise CommandError(f"门店活码活动 {change.target} 已删除，无法撤销导入")
    count = await store.restore_previous(change.target)
    return f"已撤销：活动 {change.target} 的门店表恢复为导入前（{count} 家）"


PART = AdminPart(nouns=(), specs=(), executors={}, undo={"store-list": undo_import})
