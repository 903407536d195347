"""`scrm-bot mass`: a task file previewed (members by name, who is left out), created and made
at once, shown with its WeCom tasks and results, reminded and cancelled — each change audited;
a bad file refused in Chinese with nothing saved."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import pytest
from redis.asyncio import Redis

from bot.admin.audit import AuditLog
from bot.cli import main
from bot.config import Settings
from bot.keys import RedisKeys
from bot.profiles.store import ProfileStore
from bot.sandbox import Sandbox
from bot.sandbox.state import FollowUser


async def _cli(*argv: str) -> int:
    return await asyncio.to_thread(main, list(argv))


async def test_preview_create_show_remind_cancel(
    sandbox_cli_env: Settings,
    live_sandbox: Sandbox,
    redis: Redis,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    keys = RedisKeys(sandbox_cli_env.corp_id, sandbox_cli_env.key_prefix)
    profiles = ProfileStore(redis, keys)
    now = int(time.time())
    for n, member in enumerate(["zhangsan"] * 4 + ["lisi"] * 2):
        eid = f"wmcli{n}"
        live_sandbox.state.follows[(member, eid)] = FollowUser(member, eid, now - 60)
        contact = {"external_userid": eid, "name": f"顾客{n}"}
        await profiles.record_contact(
            {
                "external_contact": contact,
                "follow_user": [{"userid": member, "createtime": now - 60}],
            },
            now,
        )
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"name": "周末上新", "text": "上新啦", "audience": {"color": "red"}}))
    assert await _cli("mass", "create", str(bad)) == 2
    assert "bad.json：受众里有不认识的条件：color" in capsys.readouterr().err

    good = tmp_path / "task.json"
    good.write_text(
        json.dumps(
            {"name": "周末上新", "text": "{{ staff_name }}为您推荐周末新品"}, ensure_ascii=False
        )
    )
    assert await _cli("mass", "preview", str(good)) == 0
    seen = json.loads(capsys.readouterr().out)
    assert seen == {"total": 6, "per_member": {"张三": 4, "李四": 2}, "left_out": {}}
    assert live_sandbox.mass_tasks == []

    assert await _cli("--by", "admin1", "mass", "create", str(good), "--now") == 0
    made = json.loads(capsys.readouterr().out)
    assert made["status"] == "待员工发送"
    assert {(p["member_name"], p["recipients"], p["state"]) for p in made["wecom_tasks"]} == {
        ("张三", 4, "已创建"),
        ("李四", 2, "已创建"),
    }
    zhang = next(t for t in live_sandbox.mass_tasks if t.sender == "zhangsan")
    assert zhang.text == "张三为您推荐周末新品"
    live_sandbox.member_sends_mass(zhang.msgid, "zhangsan")

    assert await _cli("mass", "show", made["id"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["recipients"] == {"已送达": 4, "未发送": 2}
    assert shown["per_member"]["张三"]["sent"] and not shown["per_member"]["李四"]["sent"]

    assert await _cli("mass", "remind", made["id"]) == 0
    assert json.loads(capsys.readouterr().out) == {"reminded": 1}
    assert await _cli("mass", "cancel", made["id"]) == 0
    assert json.loads(capsys.readouterr().out) == {
        "status": "cancelled",
        "wecom_tasks_cancelled": 1,
    }
    assert await _cli("mass", "pause", made["id"]) == 2
    assert "只有待创建的任务可以暂停" in capsys.readouterr().err

    entries = await AuditLog(redis, keys).latest(10)
    assert [e.action for e in entries][:3] == ["mass.cancel", "mass.remind", "mass.create"]
