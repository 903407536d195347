"""The feature records are where the app and the CLI get their parts: every periodic job and
every command the bot had before the records comes from them, once each."""

from __future__ import annotations

from redis.asyncio import Redis

from bot.cli.main import FEATURES as COMMANDS
from bot.config import Settings
from bot.features import FEATURES, cli_groups, periodic_jobs
from bot.wecom import WeComClient
from tests.helpers import handler_context


def test_feature_names_are_unique() -> None:
    names = [feature.name for feature in FEATURES]
    assert len(names) == len(set(names))


def test_every_command_comes_from_one_feature() -> None:
    owned = [name for group in cli_groups() for name in group.commands]
    assert len(owned) == len(set(owned))
    assert set(COMMANDS) == set(owned) == {
        "words", "welcome", "channels", "group-welcome", "tags", "rfm", "scripts",
        "products", "sop", "profile", "stats", "export", "import",
    }  # fmt: skip


async def test_every_periodic_job_comes_from_a_feature(
    sandbox_settings: Settings, redis: Redis, sandbox_wecom: WeComClient
) -> None:
    jobs = periodic_jobs(handler_context(sandbox_settings, redis, sandbox_wecom))
    assert sorted(job.name for job in jobs) == [
        "channel-rotation",
        "due-jobs",
        "intercept-sync",
        "media-refresh",
        "rfm-segments",
        "welcome-digest",
    ]
