"""Admins by WeCom contact tag (SCRM_ADMIN_TAGS), through the sandbox's `tag/get`: someone the
tag lists, or a direct member of a department it lists, is an admin; anyone else is refused;
an unknown tag or a WeCom error makes nobody an admin (and is logged), never an exception."""

from __future__ import annotations

import logging
from dataclasses import replace

import pytest
from redis.asyncio import Redis

from bot.admin.commands import REFUSAL, AdminCommands
from bot.config import ConfigError, Settings, settings_from_mapping
from bot.keys import RedisKeys
from bot.sandbox import Sandbox
from bot.wecom import WeComClient, WeComError
from tests.admin.conftest import say
from tests.helpers import handler_context

ADMIN_TAG = 12
LOGGER = "bot.admin.admins"


@pytest.fixture
def people(live_sandbox: Sandbox) -> Sandbox:
    """boss is tagged, lead is in department 9 (which is tagged), clerk is neither."""
    live_sandbox.add_staff("boss", "老板", [1])
    live_sandbox.add_staff("lead", "组长", [9])
    live_sandbox.add_staff("clerk", "店员", [8])
    live_sandbox.add_member_tag(ADMIN_TAG, "SCRM管理员", users=["boss"], departments=[9])
    return live_sandbox


def tag_commands(
    settings: Settings, redis: Redis, wecom: WeComClient, *tags: int, admins: tuple[str, ...] = ()
) -> AdminCommands:
    settings = replace(settings, admins=frozenset(admins), admin_tags=frozenset(tags))
    return AdminCommands(handler_context(settings, redis, wecom))


async def test_tag_get_answers_as_wecom_documents(
    people: Sandbox, sandbox_wecom: WeComClient
) -> None:
    answer = await sandbox_wecom.user.tag_members(ADMIN_TAG)
    assert answer["tagname"] == "SCRM管理员"
    assert answer["userlist"] == [{"userid": "boss", "name": "老板"}]
    assert answer["partylist"] == [9]
    with pytest.raises(WeComError) as unknown:
        await sandbox_wecom.user.tag_members(99)
    assert unknown.value.errcode == 40068


async def test_tag_members_and_members_of_its_departments_are_admins_others_refused(
    people: Sandbox, sandbox_settings: Settings, redis: Redis, sandbox_wecom: WeComClient
) -> None:
    commands = tag_commands(sandbox_settings, redis, sandbox_wecom, ADMIN_TAG)
    assert await commands.is_admin("boss") is True
    assert await commands.is_admin("lead") is True
    assert await commands.is_admin("clerk") is False
    assert (await say(commands, "SOP 列表", "boss")).startswith("还没有 SOP 规则")
    assert (await say(commands, "SOP 列表", "lead")).startswith("还没有 SOP 规则")
    assert await say(commands, "SOP 列表", "clerk") == REFUSAL
    assert await say(commands, "敏感词 新增 竞品 | 某某牌", "clerk") == REFUSAL
    keys = RedisKeys(sandbox_settings.corp_id, sandbox_settings.key_prefix)
    assert await redis.hgetall(keys.words) == {}

    # the answer is kept a while: one tag/get for all of the above
    assert len(people.calls_to("tag/get")) == 1
    people.add_member_tag(ADMIN_TAG, "SCRM管理员", users=[], departments=[])
    assert await commands.is_admin("boss") is True  # until the cached answer expires


async def test_an_unknown_tag_makes_nobody_admin_and_is_logged(
    people: Sandbox,
    sandbox_settings: Settings,
    redis: Redis,
    sandbox_wecom: WeComClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    commands = tag_commands(sandbox_settings, redis, sandbox_wecom, 99)
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        assert await commands.is_admin("boss") is False
        assert await say(commands, "SOP 列表", "boss") == REFUSAL
    logged = [r.getMessage() for r in caplog.records if r.name == LOGGER]
    assert logged and all("admin tag 99" in line and "40068" in line for line in logged)

    # a second, valid tag still counts
    both = tag_commands(sandbox_settings, redis, sandbox_wecom, 99, ADMIN_TAG)
    assert await both.is_admin("boss") is True


async def test_a_wecom_error_makes_nobody_admin_by_the_tag_then_it_works_again(
    people: Sandbox,
    sandbox_settings: Settings,
    redis: Redis,
    sandbox_wecom: WeComClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    commands = tag_commands(sandbox_settings, redis, sandbox_wecom, ADMIN_TAG, admins=("admin1",))
    people.faults.add("tag/get", errcode=60011)
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        assert await commands.is_admin("boss") is False
    assert any("60011" in r.getMessage() for r in caplog.records if r.name == LOGGER)
    people.faults.add("tag/get", status=502, times=20)
    assert await say(commands, "SOP 列表", "lead") == REFUSAL
    people.faults.clear()
    assert await commands.is_admin("admin1") is True  # SCRM_ADMINS needs no tag lookup
    assert await commands.is_admin("boss") is True  # a failure was not kept
    assert await commands.is_admin("lead") is True


async def test_admins_by_user_id_need_no_tag_lookup(
    people: Sandbox, sandbox_settings: Settings, redis: Redis, sandbox_wecom: WeComClient
) -> None:
    commands = tag_commands(sandbox_settings, redis, sandbox_wecom, ADMIN_TAG, admins=("admin1",))
    assert await commands.is_admin("admin1") is True
    assert people.calls_to("tag/get") == []


def test_scrm_admin_tags_is_a_list_of_tag_ids(settings: Settings) -> None:
    base = {
        "SCRM_CORP_ID": settings.corp_id,
        "SCRM_TOKEN": settings.token,
        "SCRM_AES_KEY": settings.aes_key,
        "SCRM_AGENT_ID": settings.agent_id,
        "SCRM_AGENT_SECRET": settings.agent_secret,
    }
    assert settings_from_mapping(base).admin_tags == frozenset()
    parsed = settings_from_mapping({**base, "SCRM_ADMIN_TAGS": "12, 7,"})
    assert parsed.admin_tags == frozenset({7, 12})
    assert settings_from_mapping({**base, "SCRM_ADMIN_TAGS": [3, "4"]}).admin_tags == {3, 4}
    with pytest.raises(ConfigError) as bad:
        settings_from_mapping({**base, "SCRM_ADMIN_TAGS": "12,管理员"})
    assert "SCRM_ADMIN_TAGS" in str(bad.value) and "管理员" in str(bad.value)
