"""What a channel names must exist in WeCom before anything is saved: its staff and its tags.

WeCom refuses a contact way with an unknown member (40003) without saying which one, and would
take an unknown corp tag id silently until the first customer's `mark_tag` fails. So every
member a channel names (default staff, every time slot's, the backup) is looked up with
`user/get`, and every tag id in the corp tag list, and each one missing is named.
"""

from __future__ import annotations

from redis.asyncio import Redis

from bot.directory import StaffDirectory
from bot.keys import RedisKeys
from bot.tagging.tags import CorpTags
from bot.wecom.api.external_contact import ExternalContactAPI
from bot.wecom.api.user import UserAPI
from bot.welcome.channels import Channel

SHOWN_IDS = 10  # ids named in one problem; the rest are counted
SHOWN_ID_CHARS = 64  # WeCom userids are at most 64 characters; anything longer is cut


def named(ids: list[str]) -> str:
    """`a、b、c`, at most SHOWN_IDS of them, each cut to a sensible length."""
    cut = [i if len(i) <= SHOWN_ID_CHARS else i[:SHOWN_ID_CHARS] + "…" for i in ids[:SHOWN_IDS]]
    more = f" 等 {len(ids)} 个" if len(ids) > SHOWN_IDS else ""
    return "、".join(cut) + more


class ChannelReferences:
    """Checks a channel's staff and tags against WeCom."""

    def __init__(
        self, redis: Redis, keys: RedisKeys, users: UserAPI, contact: ExternalContactAPI
    ) -> None:
        self._directory = StaffDirectory(redis, keys, users)
        self._tags = CorpTags(redis, keys, contact)

    async def problems(self, channel: Channel) -> list[str]:
        """Every member and tag of `channel` WeCom doesn't have, one Chinese line per kind
        (all of them, not only new ones: a member who left since would fail the update too)."""
        problems = []
        missing = await self._directory.missing(channel.staff())
        if missing:
            problems.append(f"企业通讯录中没有这些员工账号（userid）：{named(missing)}")
        unknown = await self._tags.unknown(channel.tags) if channel.tags else []
        if unknown:
            problems.append(
                f"企业微信中没有这些企业标签 id：{named(unknown)}"
                "（标签 id 见管理后台「客户联系 → 客户标签」，形如 et…）"
            )
        return problems
