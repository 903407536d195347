"""The two operations the CLI offers: export the configuration, and import a file (plan, then
apply, with an audit entry)."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime
from typing import Any

from redis.asyncio import Redis

from bot.admin.audit import AuditLog
from bot.config_io.apply import apply_plan
from bot.config_io.fileio import ConfigFile, dump_text
from bot.config_io.items import ConfigProblems
from bot.config_io.plan import Plan, make_plan
from bot.config_io.sections import all_sections, section_order
from bot.keys import RedisKeys
from bot.wecom import WeComClient
from bot.wecom.api.external_contact import ExternalContactAPI
from bot.wecom.api.user import UserAPI
from bot.welcome.config_remote import RemoteSide

IMPORT_AUTHOR = "import"  # created_by / updated_by of scripts and SOPs an import writes


def sections_named(names: Iterable[str] | None) -> list[str] | None:
    """The sections `--only` names (None: all); `ConfigProblems` for an unknown one."""
    if names is None:
        return None
    chosen = [name.strip() for name in names if name.strip()]
    order = section_order()
    unknown = [name for name in chosen if name not in order]
    if unknown or not chosen:
        raise ConfigProblems(
            [f"未知的部分 {', '.join(unknown) or '（空）'}；可用：{', '.join(order)}"]
        )
    return chosen


async def export_sections(
    redis: Redis, keys: RedisKeys, only: Collection[str] | None = None
) -> dict[str, Any]:
    """Every chosen section as the file holds it, as the running bot sees it: the starter
    words and the shipped default welcome are added first if they never were."""
    chosen = [s for name, s in all_sections().items() if only is None or name in only]
    for section in chosen:
        await section.before_export(redis, keys)
    result: dict[str, Any] = {}
    for section in chosen:
        stored = section.current(await section.read(redis, keys))
        result[section.name] = section.dump(stored.values())
    return result


async def export_text(
    redis: Redis,
    keys: RedisKeys,
    only: Collection[str] | None = None,
    now: datetime | None = None,
) -> str:
    """The configuration file of the corp (the chosen sections), as YAML text."""
    return dump_text(await export_sections(redis, keys, only), now)


class ConfigImporter:
    """Imports configuration files into one corp: plans (read and check only), then applies."""

    def __init__(
        self,
        redis: Redis,
        keys: RedisKeys,
        contact: ExternalContactAPI | None = None,
        *,
        users: UserAPI | None = None,
        wecom: WeComClient | None = None,
        by: str = IMPORT_AUTHOR,
    ) -> None:
        self._redis = redis
        self._keys = keys
        self._remote = RemoteSide(redis, keys, contact, users, wecom)
        self._by = by

    async def plan(self, config: ConfigFile, only: Collection[str] | None = None) -> Plan:
        """Check the file as a whole and diff it (nothing is written); `ConfigProblems`
        lists every problem. WeCom is only read: for ids the file names and Redis doesn't."""
        return await make_plan(self._redis, self._keys, config, only, self._remote)

    async def apply(self, plan: Plan, *, actor: str = "cli", target: str = "") -> list[str]:
        """Write the plan atomically and record it in the audit log; returns warnings.
        `ConfigChanged` when the stored configuration changed since `plan` was made."""
        warnings = await apply_plan(self._redis, self._keys, plan, self._remote, self._by)
        await AuditLog(self._redis, self._keys).record(
            actor=actor,
            via="import",
            action="config.import",
            target=target,
            summary=plan.summary(target),
            before=None,
            after=plan.counts(),
        )
        return warnings
