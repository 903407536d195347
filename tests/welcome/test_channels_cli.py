"""`scrm-bot channels create | update` against Redis and the WeCom sandbox: an update changes
only what it names, and a channel naming a member or tag WeCom doesn't have is refused, by
name, with nothing saved."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from redis.asyncio import Redis

from bot.cli import main
from bot.config import Settings
from bot.keys import RedisKeys
from bot.sandbox import Sandbox
from bot.wecom import WeComClient
from bot.welcome.channels import Channel, ChannelStore
from bot.welcome.contact_ways import ChannelManager


async def cli(*argv: str) -> int:
    return await asyncio.to_thread(main, list(argv))


def out(capsys: pytest.CaptureFixture[str]) -> Any:
    return json.loads(capsys.readouterr().out)


async def _tag(wecom: WeComClient, name: str) -> str:
    created = await wecom.external_contact.add_corp_tag([name], group_name="来源渠道")
    return str(created["tag"][0]["id"])


@pytest.fixture
async def poster(
    sandbox_cli_env: Settings,
    live_sandbox: Sandbox,
    sandbox_wecom: WeComClient,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> dict[str, Any]:
    """A channel with every field set (staff, a time slot, backup, limit, tags) and a welcome
    template of its own, created by the CLI."""
    live_sandbox.add_staff("wangwu", "王五")
    live_sandbox.add_staff("zhaoliu", "赵六")
    tag = await _tag(sandbox_wecom, "春季海报")
    spec = tmp_path / "poster.json"
    spec.write_text(
        json.dumps(
            {
                "name": "春季海报",
                "users": ["zhangsan", "lisi"],
                "slots": [{"users": ["wangwu"], "weekdays": [6, 7]}],
                "backup": ["zhaoliu"],
                "daily_limit": 30,
                "tags": [tag],
            }
        ),
        encoding="utf-8",
    )
    assert await cli("channels", "create", "--file", str(spec)) == 0
    channel: dict[str, Any] = out(capsys)
    assert channel["config_id"] and channel["tags"] == [tag]
    state = f"ch:{channel['id']}"
    set_welcome = ["welcome", "set", "--scope", "channel", "--target", state, "--text", "春天好"]
    assert await cli(*set_welcome) == 0
    capsys.readouterr()
    return channel


@pytest.mark.parametrize(
    ("flags", "changed"),
    [
        (["--name", "夏季海报"], {"name": "夏季海报"}),
        (["--users", "lisi"], {"users": ["lisi"]}),
        (["--backup", "wangwu"], {"backup": ["wangwu"]}),
        (["--backup", ""], {"backup": []}),
        (["--daily-limit", "5"], {"daily_limit": 5}),
        (["--tags", ""], {"tags": []}),
    ],
)
async def test_an_update_changes_only_the_flags_given(
    poster: dict[str, Any],
    live_sandbox: Sandbox,
    capsys: pytest.CaptureFixture[str],
    flags: list[str],
    changed: dict[str, Any],
) -> None:
    assert await cli("channels", "update", poster["id"], *flags) == 0
    updated = out(capsys)
    assert updated == poster | changed | {"active": updated["active"]}
    assert await cli("channels", "show", poster["id"]) == 0
    assert out(capsys) == updated | {"stats": {"adds": 0, "deletions": 0, "retention": 0.0}}
    way = live_sandbox.state.contact_ways[poster["config_id"]]
    assert way.user == updated["active"] and way.remark == updated["name"]
    assert await cli("welcome", "list") == 0  # the channel's welcome is still its own
    welcomes = out(capsys)
    assert [w["text"] for w in welcomes if w["target"] == f"ch:{poster['id']}"] == ["春天好"]


async def test_the_update_of_the_issue_keeps_backup_tags_and_slots(
    poster: dict[str, Any], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    update = ["channels", "update", poster["id"], "--name", "门店", "--users", "lisi"]
    assert await cli(*update, "--daily-limit", "5") == 0
    updated = out(capsys)
    assert (updated["name"], updated["users"], updated["daily_limit"]) == ("门店", ["lisi"], 5)
    for kept in ("slots", "backup", "tags", "config_id", "qr_code"):
        assert updated[kept] == poster[kept], kept

    # a file names fields too: only those change, and a flag beside it wins
    slots = tmp_path / "slots.json"
    slots.write_text(json.dumps({"slots": [], "daily_limit": 9}), encoding="utf-8")
    assert await cli("channels", "update", poster["id"], "--file", str(slots)) == 0
    again = out(capsys)
    assert again == updated | {"slots": [], "daily_limit": 9, "active": again["active"]}
    assert (
        await cli("channels", "update", poster["id"], "--file", str(slots), "--daily-limit", "2")
        == 0
    )
    assert out(capsys)["daily_limit"] == 2


async def test_a_channel_with_members_wecom_lacks_is_refused_by_name(
    sandbox_cli_env: Settings,
    live_sandbox: Sandbox,
    redis: Redis,
    capsys: pytest.CaptureFixture[str],
) -> None:
    create = ["channels", "create", "--name", "门店", "--users", "zhangsan,ghost_user"]
    assert await cli(*create, "--backup", "ghost_two") == 2
    err = capsys.readouterr().err
    assert "ghost_user、ghost_two" in err and "zhangsan" not in err
    assert err.count("\n") == 1 and "40003" not in err
    assert await cli("channels", "list") == 0
    assert out(capsys) == []  # nothing saved: no channel without a code
    assert not live_sandbox.state.contact_ways
    assert not live_sandbox.calls_to("externalcontact/add_contact_way")


async def test_unknown_tags_and_members_are_refused_on_update_too(
    poster: dict[str, Any], live_sandbox: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        await cli("channels", "create", "--name", "门店", "--users", "lisi", "--tags", "etX") == 2
    )
    assert "企业标签 id：etX" in capsys.readouterr().err
    for flags, named in (
        (["--tags", f"{poster['tags'][0]},etNoSuchTag"], "etNoSuchTag"),
        (["--users", "lisi,ghost_user"], "ghost_user"),
        (["--backup", "nobody"], "nobody"),
    ):
        assert await cli("channels", "update", poster["id"], *flags) == 2
        assert named in capsys.readouterr().err
    assert await cli("channels", "show", poster["id"]) == 0
    assert out(capsys) == poster | {"stats": {"adds": 0, "deletions": 0, "retention": 0.0}}
    assert live_sandbox.state.contact_ways[poster["config_id"]].user == poster["active"]


async def test_a_channel_left_without_a_code_is_skipped_then_repaired_by_an_update(
    sandbox_cli_env: Settings,
    live_sandbox: Sandbox,
    redis: Redis,
    sandbox_wecom: WeComClient,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """What an older version stored when WeCom refused the code: not warned about every
    minute, and `update` gives it its code."""
    keys = RedisKeys(sandbox_cli_env.corp_id, sandbox_cli_env.key_prefix)
    store = ChannelStore(redis, keys)
    orphan = await store.save(Channel("", "旧渠道", ["zhangsan"]))
    manager = ChannelManager(store, sandbox_wecom.external_contact)
    assert await manager.refresh_all() == 0
    assert "not refreshed" not in caplog.text
    assert await cli("channels", "update", orphan.id, "--daily-limit", "3") == 0
    repaired = out(capsys)
    way = live_sandbox.state.contact_ways[repaired["config_id"]]
    assert (way.state, way.user, repaired["daily_limit"]) == (orphan.state, ["zhangsan"], 3)
