"""`scrm-bot group-codes`: group live codes made, changed and deleted in WeCom (the sandbox)
and here together; bad input refused in Chinese before WeCom is asked."""

from __future__ import annotations

import asyncio
import datetime as dt
import json

import pytest
from redis.asyncio import Redis

from bot.admin.audit import AuditLog
from bot.cli import main
from bot.clock import corp_now
from bot.config import Settings
from bot.group_codes.stats import GroupCodeStats
from bot.keys import RedisKeys
from bot.sandbox import Sandbox
from tests.helpers import cli_env


async def _cli(*argv: str) -> int:
    return await asyncio.to_thread(main, list(argv))


@pytest.fixture
async def groups(live_sandbox: Sandbox) -> list[str]:
    chats = [f"wrStoreGroup{n:06d}" for n in range(6)]
    for chat in chats:
        await live_sandbox.group_created("lisi", chat, ["zhangsan"], name=f"门店福利群{chat[-1]}")
    return chats


@pytest.fixture
def env(sandbox_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    for key, value in cli_env(sandbox_settings).items():
        monkeypatch.setenv(key, value)
    return sandbox_settings


async def test_create_show_update_delete(
    env: Settings,
    live_sandbox: Sandbox,
    groups: list[str],
    redis: Redis,
    capsys: pytest.CaptureFixture[str],
) -> None:
    chats = ",".join(groups[:2])
    assert (
        await _cli(
            "--by",
            "lisi",
            "group-codes",
            "create",
            "--name",
            "门店群码",
            "--chats",
            chats,
            "--room-name",
            "门店福利群",
        )
        == 0
    )
    created = json.loads(capsys.readouterr().out)
    way = live_sandbox.state.join_ways[created["config_id"]]
    assert way.chat_id_list == groups[:2] and way.state == f"gc:{created['id']}"
    assert (way.auto_create_room, way.room_base_name, way.remark) == (1, "门店福利群", "门店群码")
    assert created["qr_code"].endswith(f"/wwpic/sandbox/{created['config_id']}/0")

    assert (
        await _cli("group-codes", "update", created["id"], "--chats", groups[2], "--no-auto-create")
        == 0
    )
    capsys.readouterr()
    assert (way.chat_id_list, way.auto_create_room) == ([groups[2]], 0)
    assert await _cli("group-codes", "show", created["id"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["chat_ids"] == [groups[2]] and len(shown["days"]) == 7
    assert shown["groups"] == [
        {"chat_id": groups[2], "name": "门店福利群2", "members": 2, "created": False, "full": False}
    ]
    assert shown["last_7_days"] == {"joins": 0, "leaves": 0, "net": 0, "retention": None}
    assert shown["groups_created"] == 0 and shown["fill_error"] is None

    assert await _cli("group-codes", "delete", created["id"]) == 0
    capsys.readouterr()
    assert created["config_id"] not in live_sandbox.state.join_ways
    assert await _cli("group-codes", "list") == 0
    assert json.loads(capsys.readouterr().out) == []
    keys = RedisKeys(env.corp_id, env.key_prefix)
    actions = [entry.action for entry in await AuditLog(redis, keys).latest(5)]
    assert actions == ["group-codes.delete", "group-codes.update", "group-codes.create"]


@pytest.mark.parametrize(
    ("extra", "said"),
    [
        (["--chats", "a,b,c,d,e,f"], "最多 5 个客户群"),
        (["--chats", "wrA,wrA", "--room-name", "群"], "客户群重复了"),
        (["--chats", "wrA"], "新群名称前缀"),  # auto-create without a name prefix
        (["--chats", "wrA", "--room-name", "群" * 41], "新群名称前缀"),
        (["--chats", "wrNobody", "--room-name", "群"], "40050"),  # WeCom refuses the group
    ],
)
async def test_bad_codes_are_refused_and_nothing_kept(
    env: Settings,
    live_sandbox: Sandbox,
    groups: list[str],
    capsys: pytest.CaptureFixture[str],
    extra: list[str],
    said: str,
) -> None:
    code = await _cli("group-codes", "create", "--name", "门店群码", *extra)
    assert code in (1, 2)
    assert said in capsys.readouterr().err
    assert live_sandbox.state.join_ways == {}
    assert await _cli("group-codes", "list") == 0
    assert json.loads(capsys.readouterr().out) == []


async def test_stats_by_group_code(
    env: Settings,
    live_sandbox: Sandbox,
    groups: list[str],
    redis: Redis,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert await _cli("stats", "--by", "group-code") == 0
    assert "还没有群活码" in capsys.readouterr().out
    create = ["group-codes", "create", "--name", "门店群码", "--chats", groups[0]]
    assert await _cli(*create, "--room-name", "门店群") == 0
    code_id = json.loads(capsys.readouterr().out)["id"]
    stats = GroupCodeStats(redis, RedisKeys(env.corp_id, env.key_prefix))
    today = corp_now().date()
    await stats.joined("e1", code_id, groups[0], ["wm1", "wm2", "wm3"], today)
    await stats.left("e2", groups[0], ["wm1"], today)

    assert await _cli("stats", "--by", "group-code", "--days", "2", "--json") == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["day"], r["joins"], r["leaves"], r["net"]) for r in rows] == [
        ((today - dt.timedelta(days=1)).isoformat(), 0, 0, 0),
        (today.isoformat(), 3, 1, 2),
    ]
    assert rows[-1]["name"] == "门店群码" and rows[-1]["group_code"] == code_id
    assert await _cli("stats", "--by", "group-code", "--days", "1") == 0
    table = capsys.readouterr().out
    assert f"门店群码（{code_id}）" in table and table.splitlines()[-2].split()[-3:] == [
        "3",
        "1",
        "2",
    ]
