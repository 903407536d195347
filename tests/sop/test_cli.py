"""`scrm-bot sop …` against Redis: rules from files, pause/resume, status."""

from __future__ import annotations

import asyncio
import getpass
import json
from pathlib import Path

import pytest

from bot.cli import main
from bot.config import Settings


async def test_sop_commands(
    sandbox_cli_env: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    async def cli(*argv: str) -> int:
        return await asyncio.to_thread(main, list(argv))

    rule = tmp_path / "care.json"
    assert await cli("sop", "set", str(rule)) == 2
    assert "找不到文件" in capsys.readouterr().err
    rule.write_text(json.dumps({"name": "新客关怀", "steps": [{"text": "{{ price }}"}]}))
    assert await cli("sop", "set", str(rule)) == 2
    assert "未知变量" in capsys.readouterr().err
    rule.write_text(json.dumps({"name": "新客关怀", "stepz": []}))
    assert await cli("sop", "set", str(rule)) == 2
    assert "未知字段 stepz（应为 steps？）" in capsys.readouterr().err
    body = {
        "name": "新客关怀",
        "steps": [{"text": "您好，{{ customer_name }}", "days": 3, "at": "10:10"}],
    }
    rule.write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")
    assert await cli("sop", "set", str(rule)) == 0
    saved = json.loads(capsys.readouterr().out)
    assert (saved["version"], saved["updated_by"], saved["enabled"]) == (1, getpass.getuser(), True)
    assert await cli("sop", "pause", saved["id"]) == 0
    assert json.loads(capsys.readouterr().out) == {"id": saved["id"], "enabled": False}
    assert await cli("sop", "list") == 0
    [listed] = json.loads(capsys.readouterr().out)
    assert listed["enabled"] is False
    assert await cli("sop", "status") == 0
    assert json.loads(capsys.readouterr().out) == {"scheduled": 0, "running": 0, "failed": 0}
    assert await cli("sop", "pending", "zhangsan") == 0
    assert json.loads(capsys.readouterr().out) == []
    assert await cli("sop", "remove", saved["id"]) == 0
    capsys.readouterr()
    assert await cli("sop", "show", saved["id"]) == 2
    assert "没有 SOP" in capsys.readouterr().err
