"""The feature records are where the app and the CLI get their parts: every periodic job and
every command the bot had before the records comes from them, once each."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest
from redis.asyncio import Redis

from bot import features
from bot.admin import commands as commands_module
from bot.admin.commands import AdminCommands
from bot.admin.specs import grammar, help_text
from bot.cli.run import feature_commands, main
from bot.config import Settings
from bot.features import FEATURES, cli_groups, periodic_work
from bot.wecom import WeComClient
from tests.helpers import cli_env, handler_context


def test_feature_names_are_unique() -> None:
    names = [feature.name for feature in FEATURES]
    assert len(names) == len(set(names))


def test_every_command_comes_from_one_feature() -> None:
    owned = [name for group in cli_groups() for name in group.commands]
    assert len(owned) == len(set(owned))
    assert set(feature_commands()) == set(owned) == {
        "words", "welcome", "channels", "group-welcome", "tags", "rfm", "scripts",
        "products", "sop", "profile", "profiles", "stats", "export", "import", "group-codes",
        "stores", "fission", "links", "mass", "moments", "inherit", "wecom-stats",
    }  # fmt: skip


async def test_every_periodic_job_comes_from_a_feature(
    sandbox_settings: Settings, redis: Redis, sandbox_wecom: WeComClient
) -> None:
    jobs = periodic_work(handler_context(sandbox_settings, redis, sandbox_wecom))
    assert sorted(job.name for job in jobs) == [
        "channel-rotation",
        "due-jobs",
        "fission",
        "group-code-fill",
        "inheritance",
        "intercept-sync",
        "mass-make",
        "mass-results",
        "media-refresh",
        "moments",
        "rfm-segments",
        "wecom-stats",
        "welcome-digest",
    ]


async def test_a_new_feature_is_one_folder_and_one_line(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    sandbox_settings: Settings,
    redis: Redis,
    sandbox_wecom: WeComClient,
) -> None:
    from tests.ping_feature import FEATURE, REPLY

    monkeypatch.setattr(features, "FEATURES", (*features.FEATURES, FEATURE))  # the one line
    grammar.cache_clear()  # both are built once per process, from the records
    commands_module._tables.cache_clear()
    try:
        settings = replace(sandbox_settings, admins=frozenset({"admin1"}))
        ctx = handler_context(settings, redis, sandbox_wecom)
        assert await AdminCommands(ctx).answer("admin1", "ping") == REPLY  # admin chat
        assert "· 在线检查" in help_text()  # 帮助 lists it
        for key, value in cli_env(settings).items():
            monkeypatch.setenv(key, value)
        assert await asyncio.to_thread(main, ["ping"]) == 0  # its CLI twin
        assert capsys.readouterr().out.strip() == REPLY
    finally:
        monkeypatch.undo()
        grammar.cache_clear()
        commands_module._tables.cache_clear()
