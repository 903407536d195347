"""Bad input to the CLI's JSON files and templates: one Chinese line on stderr naming the field
(its path) or the template's line, exit 2, nothing saved — never a traceback or developer text."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path
from typing import Any

import pytest

from bot.cli import main
from bot.config import Settings
from bot.sandbox import Sandbox

ENGLISH = re.compile(r"[A-Za-z]{2,},? [A-Za-z]{2,}")  # as in Python's and Jinja's messages


async def cli(*argv: str) -> int:
    return await asyncio.to_thread(main, list(argv))


async def refused(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    """The one line a refused command prints (exit 2, nothing on stdout)."""
    assert await cli(*argv) == 2, argv
    captured = capsys.readouterr()
    assert captured.out == ""
    line = captured.err
    assert line.startswith("错误：") and line.count("\n") == 1, line
    assert "Traceback" not in line and not ENGLISH.search(line), line
    return line


def write(path: Path, data: Any) -> str:
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return str(path)


STEP = {"text": "您好", "days": 3, "at": "10:10"}


@pytest.mark.parametrize(
    ("rule", "named"),
    [
        (
            {"name": "关怀", "steps": [STEP | {"days": "3"}]},
            'steps[0].days：应是整数，而不是文本 "3"',
        ),
        ({"name": "关怀", "steps": [STEP | {"dayz": 3}]}, "steps[0]：未知字段 dayz（应为 days？）"),
        ({"name": "关怀", "stepz": [STEP]}, "未知字段 stepz（应为 steps？）"),
        ({"name": "关怀"}, "缺少字段 steps"),
        ({"name": "关怀", "steps": [STEP], "enabled": "yes"}, "enabled：应是true/false"),
        ({"name": "关怀", "steps": STEP}, "steps：应是列表"),
        ({"name": "关怀", "steps": [STEP], "schedule": {"time": 1000}}, "schedule.time：应是文本"),
        (
            {"name": "关怀", "steps": [STEP | {"text": "{% if customer_name %}亲"}]},
            "第 1 步内容第 1 行模板语法错误：缺少 {% endif %}",
        ),
        ([STEP], "应是一个 JSON 对象"),
    ],
)
async def test_sop_files(
    sandbox_cli_env: Settings,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    rule: Any,
    named: str,
) -> None:
    path = write(tmp_path / "rule.json", rule)
    assert named in await refused(capsys, "sop", "set", path)
    assert await cli("sop", "list") == 0
    assert json.loads(capsys.readouterr().out) == []


async def test_sop_file_that_is_not_json(
    sandbox_cli_env: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "rule.json"
    path.write_text('{"name": "关怀",\n "steps": [}', encoding="utf-8")
    assert "第 2 行第 12 列不是有效的 JSON" in await refused(capsys, "sop", "set", str(path))
    path.write_bytes(b"\xff\xfe{}")
    assert "不是 UTF-8 文本" in await refused(capsys, "sop", "set", str(path))


async def test_a_rule_shown_can_be_set_again(
    sandbox_cli_env: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`sop show`'s bookkeeping fields are accepted in a file (and set by the store)."""
    path = write(tmp_path / "rule.json", {"name": "关怀", "steps": [STEP]})
    assert await cli("sop", "set", path) == 0
    shown = json.loads(capsys.readouterr().out)
    write(tmp_path / "rule.json", shown | {"name": "新关怀"})
    assert await cli("sop", "set", path) == 0
    saved = json.loads(capsys.readouterr().out)
    assert (saved["id"], saved["name"], saved["version"]) == (shown["id"], "新关怀", 2)


async def test_welcome_channel_and_tag_rule_files(
    sandbox_cli_env: Settings,
    live_sandbox: Sandbox,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    welcome = {"name": "海报", "scope": "channel", "target": "ch:x", "text": "您好"}
    path = write(tmp_path / "w.json", welcome | {"slots": [{"text": "晚上好", "start": 2200}]})
    line = await refused(capsys, "welcome", "set", "--file", path)
    assert "w.json：slots[0].start：应是文本，而不是整数 2200" in line
    write(tmp_path / "w.json", welcome | {"txt": "x"})
    assert "未知字段 txt（应为 text？）" in await refused(capsys, "welcome", "set", "--file", path)

    path = write(tmp_path / "c.json", {"name": "门店", "users": "zhangsan"})
    line = await refused(capsys, "channels", "create", "--file", path)
    assert "users：应是列表，而不是文本" in line
    write(tmp_path / "c.json", {"name": "门店", "users": ["zhangsan"], "daily_limit": "5"})
    assert "daily_limit：应是整数" in await refused(capsys, "channels", "create", "--file", path)
    assert await cli("channels", "list") == 0
    assert json.loads(capsys.readouterr().out) == []

    rule = {"name": "价格", "keywords": "多少钱", "tag_group": "意向", "tag_name": "价格"}
    path = write(tmp_path / "t.json", rule)
    assert "keywords：应是列表" in await refused(capsys, "tags", "set", "--file", path)


@pytest.mark.parametrize(
    "argv",
    [
        ["welcome", "set", "--text", "您好\n{% if customer_name %}亲"],
        ["scripts", "add", "--category", "售后", "--title", "退货", "--text", "{{ customer_name"],
    ],
)
async def test_template_syntax_through_the_cli(
    sandbox_cli_env: Settings, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    line = await refused(capsys, *argv)
    assert re.search(r"第 \d 行模板语法错误：.*缺少", line), line


async def test_a_yaml_script_of_the_wrong_type_is_named_not_coerced(
    sandbox_cli_env: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "scripts.yaml"
    rows = "scripts:\n- {category: 售后, title: 退货, text: 123}\n- {category: 售后, title: 换货, text: 好, enabled: 是}\n"
    path.write_text(rows, encoding="utf-8")
    assert await cli("scripts", "import", str(path)) == 2
    err = capsys.readouterr().err
    assert "第 2 行：text：应是文本，而不是整数 123" in err
    assert '第 3 行：enabled：应是true/false，而不是文本 "是"' in err
    assert await cli("scripts", "list") == 0
    assert json.loads(capsys.readouterr().out) == []
