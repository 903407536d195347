"""A bad file: every problem listed with its section, item and line; nothing changed."""

from __future__ import annotations

from pathlib import Path

import pytest
from redis.asyncio import Redis

from bot.config_io import (
    ConfigImporter,
    ConfigProblems,
    export_sections,
    fileio,
    parse_text,
    read_file,
)
from bot.config_io.fileio import dump_text
from bot.keys import RedisKeys
from bot.wecom import WeComClient
from tests.config_io.conftest import fill, importer, snapshot

BAD = """\
version: 1
words:
  by_category:
    insult: [蠢货]
    竞品: [竞品甲]
    no_such_category: [x]
products:
- id: cup
  name: 保温杯
  url: https://shop.example.com/cup
- id: cup
  name: 另一个保温杯
  url: https://shop.example.com/cup2
scripts:
- category: 售后/退货
  title: 退货
  text: 别当蠢货，七天内可以退。
- id: s2
  category: 售后
  title: 尺码
  text: "{{ customer_nam }}您好"
  keywords: 尺码
tag_rules:
- name: 价格
  keywords: [多少钱]
  tag_group: 意向
  tag_name: 价格敏感
  threshold: "3"
  colour: red
sops:
- name: 新客关怀
  steps:
  - text: 您好
    at: 10:00
welcome_templates:
- name: 默认
  scope: default
  target: ""
  text: 您好
  attachments: [{msgtype: product, product: {id: gone}}]
group_greetings:
  wrGroup: nobody
"""


async def test_every_problem_is_listed_and_nothing_changes(
    redis: Redis, keys: RedisKeys, wecom: WeComClient
) -> None:
    await fill(redis, keys, wecom)
    before = await snapshot(redis, keys)
    with pytest.raises(ConfigProblems) as raised:
        await importer(redis, keys, wecom).plan(parse_text(BAD))
    problems = raised.value.problems
    text = "\n".join(problems)
    expected = [
        "words.by_category.no_such_category（第 6 行）: 未知分类",
        "products[1] (id cup, 第 11 行): cup 在这一部分出现了不止一次",
        # checked with the words as they will be: 蠢货 comes with this very file
        "scripts[0] (新建, 第 15 行): 话术内容：内容含有禁止使用的词：「蠢货」",
        'scripts[1] (id s2, 第 18 行): keywords：应是列表，而不是文本 "尺码"',
        "tag_rules[0] (新建, 第 24 行): 未知字段 colour",
        'tag_rules[0] (新建, 第 24 行): threshold：应是整数，而不是文本 "3"',
        "sops[0] (新建, 第 31 行): steps[0].at：应是文本，而不是整数 600（时间、编号等请加引号",
        "welcome_templates[0] (新建, 第 36 行): 商品 gone 不在商品库中",
        "group_greetings.wrGroup（第 42 行）: 没有群欢迎语 nobody",
    ]
    for line in expected:
        assert line in text, f"{line!r} not in:\n{text}"
    assert len(problems) == len(expected)
    assert await snapshot(redis, keys) == before


async def test_text_is_checked_with_the_stored_words_when_the_file_has_none(
    redis: Redis, keys: RedisKeys, wecom: WeComClient
) -> None:
    await fill(redis, keys, wecom)
    data = await export_sections(redis, keys, ["scripts"])
    data["scripts"][0]["text"] = "全网最好的售后"  # 全网最好: the starter list's ad-law claim
    with pytest.raises(ConfigProblems, match="「全网最好」（广告法极限词）"):
        await importer(redis, keys, wecom).plan(parse_text(dump_text(data)))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("version: 1\nscripts: [\n", "YAML 格式错误（第 3 行第 1 列）"),
        ("scripts: []\n", "缺少 version"),
        ("version: 2\n", "version 是 2"),
        ("version: 1\nsettings: {}\nscript: []\n", "未知的部分 script, settings"),
        ("- 1\n", "文件应是一个对象"),
        ("version: 1\na: &x [1]\nb: *x\n", "不支持锚点别名"),
        ("version: 1\nscripts: {}\n", "scripts：应是列表"),
        ("version: 1\nwelcome_templates: []\n", "需要一个 scope: default 的模板"),
    ],
)
async def test_the_file_itself_is_checked(
    text: str, message: str, redis: Redis, keys: RedisKeys
) -> None:
    with pytest.raises(ConfigProblems, match=message):
        await ConfigImporter(redis, keys).plan(parse_text(text))


def test_the_file_size_is_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "big.yaml"
    path.write_text("version: 1\n" + "# padding\n" * 20, encoding="utf-8")
    monkeypatch.setattr(fileio, "MAX_FILE_BYTES", 100)
    with pytest.raises(ConfigProblems, match="超过"):
        read_file(path)
    with pytest.raises(ConfigProblems, match="无法读取"):
        read_file(tmp_path / "missing.yaml")
