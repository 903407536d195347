"""One group live code as people read it (CLI `show`, the console, admin chat): its groups
with their fill, the groups WeCom created for it, and joins, leaves, net and retention."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot.group_codes.codes import QR_GROUP_LIMIT, GroupCode
from bot.group_codes.stats import CodeSummary, GroupCodeStats, summed
from bot.group_codes.store import GroupFill, group_fill
from bot.wecom import WeComError
from bot.wecom.api.external_contact import ExternalContactAPI

SPANS = (7, 30)
GROUP_CODE = "group-code"  # `scrm-bot stats --by group-code`


@dataclass(frozen=True, slots=True)
class CodeReport:
    """A code with its groups (empty and `fill_error` set when WeCom could not be read) and
    its numbers: per day for `days`, and summed over each of `SPANS`."""

    code: GroupCode
    groups: list[GroupFill]
    fill_error: str
    days: list[tuple[date, int, int]]
    spans: list[CodeSummary]

    @property
    def created(self) -> int:
        """Groups WeCom created for the code once its own were full."""
        return sum(group.created for group in self.groups)

    @property
    def own(self) -> list[GroupFill]:
        """The code's configured groups (those WeCom created are judged by its list, not ours:
        the full-code warning counts only these, to warn rather than miss)."""
        return [group for group in self.groups if not group.created]

    @property
    def all_full(self) -> bool:
        """Every group is full and no new one will be made: the next scan finds no room."""
        own = self.own
        return bool(own) and not self.code.auto_create and all(g.full for g in own)

    @property
    def places(self) -> int:
        """Places left in the configured groups (QR joins stop at `QR_GROUP_LIMIT`)."""
        return sum(max(QR_GROUP_LIMIT - g.members, 0) for g in self.own)


async def report(
    code: GroupCode,
    stats: GroupCodeStats,
    contact: ExternalContactAPI,
    today: date,
    days: int = 7,
) -> CodeReport:
    """Read the code's groups from WeCom and its numbers from Redis; a WeCom error is kept
    as the report's `fill_error` (the numbers still show)."""
    try:
        groups, error = await group_fill(code, contact, await stats.chats(code.id)), ""
    except WeComError as exc:
        groups, error = [], f"企业微信返回错误码 {exc.errcode}：{exc.explanation}"
    counted = await stats.days(code.id, max(days, *SPANS), today)  # one read serves all
    spans = [summed(counted, span) for span in SPANS]
    return CodeReport(code, groups, error, counted[-days:], spans)


@dataclass(frozen=True, slots=True)
class CodeDay:
    """One code's joins and leaves on one corp-time day."""

    day: date
    code_id: str
    name: str
    joins: int
    leaves: int

    def as_dict(self) -> dict[str, object]:
        return {
            "day": self.day.isoformat(),
            "group_code": self.code_id,
            "name": self.name,
            "joins": self.joins,
            "leaves": self.leaves,
            "net": self.joins - self.leaves,
        }


async def code_days(
    codes: list[GroupCode], stats: GroupCodeStats, days: int, today: date
) -> list[CodeDay]:
    """Every code's last `days` days, by day then code."""
    rows = [
        CodeDay(day, code.id, code.name, joins, leaves)
        for code in codes
        for day, joins, leaves in await stats.days(code.id, days, today)
    ]
    return sorted(rows, key=lambda row: (row.day, row.name, row.code_id))


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"
