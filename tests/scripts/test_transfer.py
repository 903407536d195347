"""Import and export of the script library: all or nothing, bad rows named by line."""

from __future__ import annotations

import asyncio
import csv
import json
from pathlib import Path
from typing import Any

import pytest
from redis.asyncio import Redis

from bot.cli import main
from bot.config import Settings
from bot.keys import RedisKeys
from scripts_library.scripts import ScriptStore
from scripts_library.transfer import ImportProblems, export_text, import_file
from tests.helpers import outgoing_guard

GOOD_YAML = """\
scripts:
  - category: 售后/退货
    title: 退货流程
    text: |
      {{ customer_name }}您好，七天无理由退货：
      在订单页申请即可。
    keywords: [退货, 七天]
  - category: 售前
    title: 会员价
    text: 会员9折
    visibility: {departments: [5]}
"""

BAD_YAML = """\
scripts:
  - category: 售后
    title: 好的一条
    text: 没问题
  - category: ""
    title: 缺分类
    text: x

  - category: 售后
    title: 变量错
    text: "{{ phone }}"
  - category: 售前
    title: 极限词
    text: 全网最好
"""


@pytest.fixture
def store(redis: Redis, settings: Settings) -> ScriptStore:
    return ScriptStore(redis, RedisKeys(settings.corp_id, settings.key_prefix))


async def test_yaml_import_export_round_trip(store: ScriptStore, tmp_path: Path) -> None:
    source = tmp_path / "scripts.yaml"
    source.write_text(GOOD_YAML, encoding="utf-8")
    assert await import_file(store, source, "lisi", None) == {"created": 2, "updated": 0}
    assert await import_file(store, source, "lisi", None) == {"created": 0, "updated": 2}
    scripts = await store.all()
    assert len(scripts) == 2 and {s.version for s in scripts} == {2}
    member = next(s for s in scripts if s.title == "会员价")
    assert (member.visibility.everyone, member.visibility.departments) == (False, [5])

    exported = tmp_path / "out.yaml"
    exported.write_text(export_text(scripts, "yaml"), encoding="utf-8")
    assert await import_file(store, exported, "lisi", None) == {"created": 0, "updated": 2}
    again = {s.id: s for s in await store.all()}
    for before in scripts:
        after = again[before.id]
        assert (after.title, after.text, after.visibility) == (
            before.title,
            before.text,
            before.visibility,
        )


async def test_every_bad_row_is_named_and_nothing_is_imported(
    store: ScriptStore, redis: Redis, settings: Settings, tmp_path: Path
) -> None:
    keys = RedisKeys(settings.corp_id, settings.key_prefix)
    guard = await outgoing_guard(redis, keys)
    source = tmp_path / "bad.yaml"
    source.write_text(BAD_YAML, encoding="utf-8")
    with pytest.raises(ImportProblems) as caught:
        await import_file(store, source, "lisi", guard)
    problems = caught.value.problems
    assert [p.split("：")[0] for p in problems] == ["第 5 行", "第 9 行", "第 12 行"]
    assert (
        "分类不能为空" in problems[0] and "phone" in problems[1] and "「全网最好」" in problems[2]
    )
    assert await store.all() == []  # the good first row was not imported either


async def test_csv_with_multiline_text_and_line_numbers(store: ScriptStore, tmp_path: Path) -> None:
    source = tmp_path / "scripts.csv"
    source.write_text(
        "category,title,text,keywords,departments,staff,enabled\n"
        '售后,退款,"第一行\n第二行",退款|到账,,,1\n'
        "售后,,没有标题,,,,1\n"
        "售前,部门,内部话术,,abc,,1\n",
        encoding="utf-8",
    )
    with pytest.raises(ImportProblems) as caught:
        await import_file(store, source, "lisi", None)
    assert [p.split("：")[0] for p in caught.value.problems] == ["第 4 行", "第 5 行"]
    source.write_text(
        "category,title,text,keywords,departments,staff,enabled\n"
        '售后,退款,"第一行\n第二行",退款|到账,,,1\n'
        "售前,部门,内部话术,,5|7,wangwu,0\n",
        encoding="utf-8",
    )
    assert await import_file(store, source, "lisi", None, dry_run=True) == {
        "created": 2,
        "updated": 0,
    }
    assert await store.all() == []  # a dry run changes nothing
    await import_file(store, source, "lisi", None)
    refund, internal = sorted(await store.all(), key=lambda s: s.title != "退款")
    assert refund.text == "第一行\n第二行" and refund.keywords == ["退款", "到账"]
    assert internal.visibility.departments == [5, 7] and not internal.enabled
    csv_text = export_text([refund, internal], "csv")
    assert csv_text.splitlines()[0] == "id,category,title,text,keywords,departments,staff,enabled"


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("a.txt", "x", "只支持 .yaml / .yml / .csv"),
        ("a.yaml", "scripts: [", "YAML 格式错误"),
        ("a.yaml", "just text", "YAML 应是话术列表"),
        ("a.csv", "title,text\nx,y\n", "CSV 缺少列：category"),
    ],
)
async def test_unreadable_files(
    store: ScriptStore, tmp_path: Path, name: str, content: str, message: str
) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        await import_file(store, path, "lisi", None)


async def test_scripts_commands(
    sandbox_cli_env: Settings, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    async def cli(*argv: str) -> int:
        return await asyncio.to_thread(main, list(argv))

    source = tmp_path / "s.yaml"
    source.write_text(GOOD_YAML, encoding="utf-8")
    assert await cli("scripts", "import", str(source)) == 0
    assert json.loads(capsys.readouterr().out) == {"created": 2, "updated": 0, "dry_run": False}
    assert await cli("scripts", "search", "sh") == 0  # 售后 by its initials
    [found] = json.loads(capsys.readouterr().out)
    assert found["title"] == "退货流程"
    assert await cli("scripts", "edit", found["id"], "--text", "全网最好的服务") == 2
    assert "「全网最好」" in capsys.readouterr().err
    assert await cli("scripts", "edit", found["id"], "--text", "新的内容") == 0
    assert json.loads(capsys.readouterr().out)["version"] == 2
    assert await cli("scripts", "restore", found["id"], "1") == 0
    assert "七天无理由" in json.loads(capsys.readouterr().out)["text"]
    out = tmp_path / "out.csv"
    assert await cli("scripts", "export", str(out)) == 0
    assert json.loads(capsys.readouterr().out)["exported"] == 2
    assert await cli("scripts", "remove", "nope") == 2
    assert "没有话术 nope" in capsys.readouterr().err


FORMULAS = {
    "category": "@SUM(1+1)*cmd",
    "title": '=HYPERLINK("http://evil.example","点我")',
    "text": "+86 400-800-1234 来电咨询",
    "keywords": "-2+3|'=已加引号",
}


async def test_csv_export_cannot_run_formulas_and_imports_back_unchanged(
    sandbox_cli_env: Settings, capsys: pytest.CaptureFixture[str], tmp_path: Path, redis: Redis
) -> None:
    async def cli(*argv: str) -> int:
        return await asyncio.to_thread(main, list(argv))

    added = [
        "scripts", "add", "--category", FORMULAS["category"], "--title", FORMULAS["title"],
        "--text", FORMULAS["text"], "--keywords=" + FORMULAS["keywords"].replace("|", ","),
    ]  # fmt: skip
    assert await cli(*added) == 0, capsys.readouterr().err
    stored = json.loads(capsys.readouterr().out)
    plain = ["scripts", "add", "--category", "售后", "--title", "'引号开头", "--text", "\tx"]
    assert await cli(*plain) == 0
    capsys.readouterr()
    out = tmp_path / "out.csv"
    assert await cli("scripts", "export", str(out)) == 0
    capsys.readouterr()

    with out.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    cells = [cell for row in rows[1:] for cell in row]
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
    row = dict(zip(rows[0], next(r for r in rows if r[0] == stored["id"]), strict=True))
    assert row["title"] == "'" + FORMULAS["title"]  # a spreadsheet shows it as text
    assert row["keywords"] == "'" + FORMULAS["keywords"]

    before = {s["id"]: s for s in await list_scripts(cli, capsys)}
    assert await cli("scripts", "import", str(out)) == 0
    assert json.loads(capsys.readouterr().out)["updated"] == 2
    after = {s["id"]: s for s in await list_scripts(cli, capsys)}
    for key in ("category", "title", "text", "keywords"):
        assert [s[key] for s in after.values()] == [s[key] for s in before.values()]
    assert after[stored["id"]]["keywords"] == ["-2+3", "'=已加引号"]


async def list_scripts(cli: Any, capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    assert await cli("scripts", "list") == 0
    found: list[dict[str, Any]] = json.loads(capsys.readouterr().out)
    return sorted(found, key=lambda s: s["id"])


BILLION_LAUGHS = """\
a: &a ["哈", "哈", "哈", "哈", "哈", "哈", "哈", "哈", "哈"]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]
h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]
i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h]
scripts:
  - category: 售后
    title: 笑
    text: 哈
    keywords: *i
"""


async def test_scripts_import_refuses_yaml_aliases(
    sandbox_cli_env: Settings, capsys: pytest.CaptureFixture[str], tmp_path: Path, redis: Redis
) -> None:
    source = tmp_path / "laughs.yaml"
    source.write_text(BILLION_LAUGHS, encoding="utf-8")
    prefix = sandbox_cli_env.key_prefix
    code = await asyncio.to_thread(main, ["scripts", "import", str(source)])
    err = capsys.readouterr().err
    assert code == 2
    assert "不支持锚点别名（*name），请把内容写全" in err and "第 1 行" in err
    scripts = ScriptStore(redis, RedisKeys(sandbox_cli_env.corp_id, prefix))
    assert await scripts.all() == []
    assert not [key async for key in redis.scan_iter(match=f"{prefix}:*:scripts*")]
