"""The command line: one-line config errors, dead-letter inspection and replay, the demo."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from redis.asyncio import Redis

from bot.cli import main
from bot.config import Settings
from bot.keys import RedisKeys
from bot.pipeline.consumer import GROUP
from bot.pipeline.deadletter import move_to_dead_letters
from bot.sandbox import Sandbox
from tests.conftest import VECTOR_AES_KEY, VECTOR_CORP_ID, VECTOR_TOKEN
from tests.helpers import cli_env, contact_event_xml

ROOT = Path(__file__).resolve().parent.parent


def test_invalid_config_is_one_line_naming_the_key(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for key in list(os.environ):
        if key.startswith("SCRM_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("SCRM_CORP_ID", VECTOR_CORP_ID)
    monkeypatch.setenv("SCRM_TOKEN", VECTOR_TOKEN)
    monkeypatch.setenv("SCRM_AES_KEY", VECTOR_AES_KEY[:-1])
    monkeypatch.setenv("SCRM_AGENT_ID", "1")
    monkeypatch.setenv("SCRM_AGENT_SECRET", "s")
    assert main(["serve", "--port", "0"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert "SCRM_AES_KEY" in err[0] and "43" in err[0]


def test_unreachable_redis_stops_start_up_with_one_line(tmp_path: Path) -> None:
    env = os.environ | {
        "SCRM_CORP_ID": VECTOR_CORP_ID,
        "SCRM_TOKEN": VECTOR_TOKEN,
        "SCRM_AES_KEY": VECTOR_AES_KEY,
        "SCRM_AGENT_ID": "1",
        "SCRM_AGENT_SECRET": "s",
        "SCRM_REDIS_URL": "redis://127.0.0.1:1/0",
    }
    done = subprocess.run(
        [sys.executable, "-m", "bot", "--log-level", "ERROR", "serve", "--port", "0"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert done.stderr.strip().count("\n") == 0
    assert "SCRM_REDIS_URL" in done.stderr


async def test_deadletter_list_replay_purge(
    redis: Redis,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    keys = RedisKeys(settings.corp_id, settings.key_prefix)
    for n in range(2):
        xml = contact_event_xml(corp_id=VECTOR_CORP_ID, external_userid=f"wm{n}")
        entry = await redis.xadd(keys.events, {"xml": xml, "received_ms": "1", "fp": f"f{n}"})
        await move_to_dead_letters(
            redis, keys, GROUP, entry, {"xml": xml, "received_ms": "1"}, "boom", 5
        )
    for key, value in cli_env(settings).items():
        monkeypatch.setenv(key, value)

    code = await _run_cli(["deadletter", "list"])
    assert code == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [row["error"] for row in rows] == ["boom", "boom"]
    assert all(row["attempts"] == 5 and "<xml>" in row["xml"] for row in rows)

    assert await _run_cli(["deadletter", "replay"]) == 2  # neither ids nor --all
    capsys.readouterr()
    assert await _run_cli(["deadletter", "replay", rows[0]["id"]]) == 0
    assert json.loads(capsys.readouterr().out)["replayed"] == 1
    assert await redis.xlen(keys.events) == 1
    assert await _run_cli(["deadletter", "purge", rows[1]["id"]]) == 0
    assert json.loads(capsys.readouterr().out) == {"purged": 1}
    assert await redis.xlen(keys.dead_letters) == 0


async def _run_cli(argv: list[str]) -> int:
    """The CLI runs its own event loop, so it runs in a worker thread beside the test's."""
    return await asyncio.to_thread(main, argv)


def test_demo_once_plays_the_scenario(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bot",
            "demo",
            "--once",
            "--port",
            "0",
            "--data-dir",
            str(tmp_path / "d"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "企业微信校验回调 URL：通过" in out
    assert "客户收到欢迎语" in out
    assert "客户收到的欢迎语仍是 1 条" in out
    assert "客户「赵小丽」收到渠道欢迎语：赵小丽您好！" in out
    assert "kf/sync_msg 拉取并保存了消息" in out
    assert "保存话术被拒：内容含有禁止使用的词：「某-竞品」（竞品）" in out
    assert "【敏感词提醒】客户 王小明（wmDemoCustomer01） 在微信客服中发来" in out
    assert "打开聊天工具栏 → OAuth2 登录成功" in out
    assert "ww.sendChatMessage：赵小丽您好，退货请在订单页" in out
    assert "422 已拦截，未发送：「全网最好」（广告法极限词）" in out
    assert "403 这位客户不在您的客户列表里" in out
    assert "在聊天工具栏搜索「换货」→ 换货流程" in out  # a script an admin added by chat
    assert "只有管理员可以使用管理命令" in out
    assert "已撤销：话术" in out
    assert "POST externalcontact/send_welcome_msg → errcode 0" in out
    assert (tmp_path / "d" / "appendonly.aof").exists()  # the embedded Redis keeps an AOF


async def test_words_commands(
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    for key, value in cli_env(settings).items():
        monkeypatch.setenv(key, value)

    assert await _run_cli(["words", "add", "竞品甲", "***", "--category", "竞品"]) == 1
    added = json.loads(capsys.readouterr().out)
    assert added["added"] == 1 and added["refused"][0]["line"] == 2

    assert await _run_cli(["words", "check", "加我竞品-甲，全网最好"]) == 0
    verdict = json.loads(capsys.readouterr().out)
    assert verdict["blocked"] is True
    assert [(h["word"], h["text"], h["start"], h["end"]) for h in verdict["hits"]] == [
        ("竞品甲", "竞品-甲", 2, 6),
        ("全网最好", "全网最好", 7, 11),  # from the starter ad-law list
    ]
    assert set(verdict["hits"][0]) == {
        *("word", "category", "action", "start", "end", "text"),
        *("matches_as", "risks"),
    }

    source = tmp_path / "words.csv"
    source.write_text("榴莲,industry\n苹果\n\na,b,c\n", encoding="utf-8")
    assert await _run_cli(["words", "import", str(source), "--category", "custom"]) == 0
    report = json.loads(capsys.readouterr().out)
    # 苹果 is an everyday word: a bulk import refuses it with the reason, unless told to keep it
    assert report["added"] == 1 and [r["line"] for r in report["refused"]] == [2, 4]
    assert "常用词「苹果」" in report["refused"][0]["reason"]
    assert (
        await _run_cli(["words", "import", str(source), "--category", "custom", "--keep-risky"])
        == 0
    )
    report = json.loads(capsys.readouterr().out)
    assert (report["added"], report["already"]) == (1, 1)
    assert [(r["line"], r["text"]) for r in report["flagged"]] == [(2, "苹果")]
    # the documented header, as a spreadsheet saves it (with a BOM), is a header, not a word
    source.write_text("\ufeffword,category\n竞品乙,competitor\n", encoding="utf-8")
    assert await _run_cli(["words", "import", str(source)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["added"], report["refused"]) == (1, [])

    assert await _run_cli(["words", "allow", "竞品甲乙"]) == 0
    capsys.readouterr()
    assert await _run_cli(["words", "check", "竞品甲乙丙"]) == 0
    assert json.loads(capsys.readouterr().out) == {"blocked": False, "hits": [], "words": []}
    assert await _run_cli(["words", "check", "--word", "電话", "--word", "竞品丁"]) == 0
    assert json.loads(capsys.readouterr().out)["words"] == [
        {
            "word": "電话",
            "matches_as": "电话",
            "risks": ["常用词「电话」（jieba 词频 8354），日常对话经常出现"],
        },
        {"word": "竞品丁", "matches_as": "竞品丁", "risks": []},
    ]
    assert await _run_cli(["words", "check", "--word", "长" * 10_000]) == 0
    [long_word] = json.loads(capsys.readouterr().out)["words"]
    assert long_word["problem"] == "超过 64 个字符" and len(long_word["word"]) < 50

    assert await _run_cli(["words", "list", "--category", "行业"]) == 0
    listing = json.loads(capsys.readouterr().out)
    assert listing["words"] == [{"word": "榴莲", "category": "industry"}]
    assert listing["allow"] == ["竞品甲乙"]

    with pytest.raises(SystemExit):  # argparse refuses an unknown action
        await _run_cli(["words", "set-action", "竞品", "delete"])
    capsys.readouterr()
    assert await _run_cli(["words", "remove", "竞品甲", "不存在"]) == 0
    assert json.loads(capsys.readouterr().out) == {"removed": 1}


async def test_welcome_and_channels_commands(
    sandbox_cli_env: Settings,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:

    assert await _run_cli(["welcome", "set", "--text", "好" * 1700]) == 2
    assert "5100 字节，超过企业微信 4000 字节的上限" in capsys.readouterr().err
    assert await _run_cli(["welcome", "set", "--text", "全网最好的顾问为您服务"]) == 2
    assert "「全网最好」（广告法极限词）" in capsys.readouterr().err  # the starter list applies

    assert (
        await _run_cli(
            [
                "channels",
                "create",
                "--name",
                "门店",
                "--users",
                "zhangsan,lisi",
                "--daily-limit",
                "30",
            ]
        )
        == 0
    )
    channel = json.loads(capsys.readouterr().out)
    assert channel["config_id"] and channel["active"] == ["zhangsan", "lisi"]

    slots = tmp_path / "evening.json"
    slots.write_text(
        json.dumps(
            {
                "name": "门店晚间",
                "scope": "channel",
                "target": f"ch:{channel['id']}",
                "text": "晚上好，{{ customer_name }}！",
                "text_without_name": "晚上好！",
                "slots": [{"text": "周末好！", "weekdays": [6, 7]}],
            }
        ),
        encoding="utf-8",
    )
    assert await _run_cli(["welcome", "set", "--file", str(slots)]) == 0
    saved = json.loads(capsys.readouterr().out)
    assert saved["target"] == f"ch:{channel['id']}" and saved["slots"][0]["weekdays"] == [6, 7]
    assert await _run_cli(["welcome", "list"]) == 0
    assert {t["id"] for t in json.loads(capsys.readouterr().out)} == {"default", saved["id"]}

    assert await _run_cli(["channels", "show", channel["id"]]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["stats"] == {"adds": 0, "deletions": 0, "retention": 0.0}
    assert await _run_cli(["channels", "delete", channel["id"]]) == 0
    capsys.readouterr()
    assert await _run_cli(["channels", "show", channel["id"]]) == 2


async def test_products_and_file_attachments_commands(
    sandbox_cli_env: Settings,
    live_sandbox: Sandbox,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    cover = tmp_path / "cover.png"
    cover.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(100))
    (tmp_path / "bad.png").write_bytes(b"GIF89a" + bytes(100))

    mini = ["products", "set", "--id", "cream", "--name", "保湿霜", "--price", "199"]
    mini += ["--appid", "wx1234", "--page", "pages/p"]
    assert await _run_cli(mini) == 2
    assert "小程序商品卡片需要封面图片" in capsys.readouterr().err
    assert await _run_cli([*mini, "--image", str(tmp_path / "bad.png")]) == 2
    assert "不是 JPG 或 PNG" in capsys.readouterr().err
    assert await _run_cli([*mini, "--image", str(cover)]) == 0
    product = json.loads(capsys.readouterr().out)
    assert product["image_ref"].startswith("image-") and len(live_sandbox.state.media) == 1
    assert await _run_cli(["products", "show", "cream"]) == 0
    assert json.loads(capsys.readouterr().out) == product

    template = tmp_path / "east.json"
    template.write_text(
        json.dumps(
            {
                "name": "华东",
                "scope": "department",
                "target": "5",
                "text": "华东团队欢迎您",
                "attachments": [
                    {"msgtype": "image", "image": {"file": "cover.png"}},
                    {"msgtype": "product", "product": {"id": "cream"}},
                ],
            }
        ),
        encoding="utf-8",
    )
    assert await _run_cli(["welcome", "set", "--file", str(template)]) == 0
    saved = json.loads(capsys.readouterr().out)
    assert saved["attachments"][0] == {
        "msgtype": "image",
        "image": {"media_ref": product["image_ref"]},  # the same file is kept once
    }
    assert await _run_cli(["welcome", "set", "--scope", "department", "--target", "华东"]) == 2
    assert "部门 ID 应是数字" in capsys.readouterr().err
    assert await _run_cli(["products", "remove", "cream"]) == 0
    assert await _run_cli(["products", "show", "cream"]) == 2
