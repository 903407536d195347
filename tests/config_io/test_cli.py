"""`scrm-bot export` and `scrm-bot import`: files, the printed diff, exit codes, the audit."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
import yaml
from redis.asyncio import Redis

from bot.admin.audit import AuditLog
from bot.cli import main
from bot.config import Settings
from bot.config_io import ConfigChanged, ConfigImporter
from bot.config_io.fileio import dump_text
from bot.keys import RedisKeys
from bot.sandbox import Sandbox
from bot.wecom import WeComClient
from scripts_library.scripts import ScriptStore
from tests.config_io.conftest import fill


async def cli(*argv: str) -> int:
    """The CLI runs its own event loop, so it runs in a worker thread beside the test's."""
    return await asyncio.to_thread(main, list(argv))


async def test_export_then_import(
    sandbox_cli_env: Settings,
    redis: Redis,
    wecom: WeComClient,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    keys = RedisKeys(sandbox_cli_env.corp_id, sandbox_cli_env.key_prefix)
    filled = await fill(redis, keys, wecom)
    backup = tmp_path / "backup.yaml"
    assert await cli("export", str(backup)) == 0
    written = json.loads(capsys.readouterr().out)
    assert written["file"] == str(backup) and written["sections"]["scripts"] == 2
    data = yaml.safe_load(backup.read_text(encoding="utf-8"))
    data.pop("version")
    data["scripts"] = [s for s in data["scripts"] if s["id"] != filled.scripts[1]]
    old_content = data["scripts"][0]["text"]
    data["scripts"][0]["text"] = "亲，七天无理由退货，运费我们出。"
    edited = tmp_path / "edited.yaml"
    edited.write_text(dump_text(data), encoding="utf-8")

    assert await cli("import", str(edited), "--dry-run") == 0
    out = capsys.readouterr().out
    assert "话术（scripts）：新增 0，修改 1，删除 1，不变 0" in out
    assert f"  - {filled.scripts[1]}  售前/活动 / 双十一预告" in out
    # a changed item shows what changes in it, field by field, each value on one line
    assert f"      text：{' '.join(old_content.split())} → 亲，七天无理由退货，运费我们出。" in out
    assert "试运行：没有写入任何内容。" in out
    assert len(await ScriptStore(redis, keys).all()) == 2

    assert await cli("import", str(edited), "--dry-run", "--json") == 0
    plan = json.loads(capsys.readouterr().out)
    assert plan["sections"]["scripts"]["removed_items"][0]["id"] == filled.scripts[1]
    [changed] = plan["sections"]["scripts"]["changed_items"]
    assert changed["fields"] == {"text": [old_content, "亲，七天无理由退货，运费我们出。"]}

    assert await cli("--by", "wangfang", "import", str(edited)) == 0
    assert "已导入" in capsys.readouterr().out
    [kept] = await ScriptStore(redis, keys).all()
    assert (kept.id, kept.text) == (filled.scripts[0], "亲，七天无理由退货，运费我们出。")
    [entry] = await AuditLog(redis, keys).latest(5)
    assert (entry.actor, entry.via, entry.action, entry.target) == (
        "wangfang",
        "import",
        "config.import",
        "edited.yaml",
    )
    assert entry.summary == "导入配置 edited.yaml：话术 新增 0、修改 1、删除 1"
    assert entry.after["scripts"] == {"added": 0, "changed": 1, "removed": 1, "unchanged": 0}

    assert await cli("import", str(edited)) == 0  # again: nothing to do
    assert "没有变化" in capsys.readouterr().out

    assert await cli("export", "-", "--only", "tag_rules") == 0
    assert list(yaml.safe_load(capsys.readouterr().out)) == ["version", "tag_rules"]


async def test_refusals_exit_2_with_every_problem(
    sandbox_cli_env: Settings, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "version: 1\nproducts:\n- {id: a, name: 杯}\n- {id: a, name: 杯, url: 'https://x.cn'}\n",
        encoding="utf-8",
    )
    assert await cli("import", str(bad)) == 2
    err = capsys.readouterr().err
    assert "products[0] (id a, 第 3 行): 商品需要小程序" in err
    assert "products[1] (id a, 第 4 行): a 在这一部分出现了不止一次" in err
    assert await cli("import", str(bad), "--only", "scripts,nope") == 2
    assert "未知的部分 nope" in capsys.readouterr().err
    assert await cli("import", str(tmp_path / "missing.yaml")) == 2
    assert "无法读取" in capsys.readouterr().err
    (tmp_path / "syntax.yaml").write_text("version: 1\nscripts: [\n", encoding="utf-8")
    assert await cli("import", str(tmp_path / "syntax.yaml")) == 2
    assert "YAML 格式错误（第 3 行第 1 列）" in capsys.readouterr().err


async def test_a_change_meanwhile_exits_3(
    sandbox_cli_env: Settings,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def changed(*_args: object, **_kwargs: object) -> list[str]:
        raise ConfigChanged()

    monkeypatch.setattr(ConfigImporter, "apply", changed)
    path = tmp_path / "rules.yaml"
    path.write_text(dump_text({"tag_rules": []}), encoding="utf-8")
    assert await cli("import", str(path)) == 3
    assert "请重新运行导入" in capsys.readouterr().err


async def test_an_import_naming_members_or_tags_wecom_lacks_changes_nothing(
    sandbox_cli_env: Settings,
    live_sandbox: Sandbox,
    redis: Redis,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    keys = RedisKeys(sandbox_cli_env.corp_id, sandbox_cli_env.key_prefix)
    path = tmp_path / "channels.yaml"
    channels = [
        {"name": "直播间", "users": ["lisi", "ghost_user"], "tags": ["etNoSuchTag"]},
        {"name": "门店", "users": ["zhangsan"], "backup": ["ghost_two"]},
    ]
    path.write_text(dump_text({"channels": channels}), encoding="utf-8")
    before = await redis.hgetall(keys.channels)
    assert await cli("import", str(path)) == 2
    err = capsys.readouterr().err
    assert "channels[0] (新建, 第 " in err and "员工账号（userid）：ghost_user" in err
    assert "企业标签 id：etNoSuchTag" in err and "ghost_two" in err and "lisi" not in err
    assert await redis.hgetall(keys.channels) == before == {}
    assert not live_sandbox.calls_to("externalcontact/add_contact_way")
    assert not await AuditLog(redis, keys).latest(1)
