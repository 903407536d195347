"""Export → import on an empty prefix → export again gives the same file; every section."""

from __future__ import annotations

import yaml
from redis.asyncio import Redis

from bot.config_io import FORMAT_VERSION, export_text, parse_text, section_order
from bot.keys import RedisKeys
from bot.media import MediaLibrary
from bot.sandbox import Sandbox
from bot.text.starter import AD_LAW_TERMS
from bot.wecom import WeComClient
from bot.welcome.channels import ChannelStore
from scripts_library.scripts import ScriptStore
from tests.config_io.conftest import POSTER, fill, importer, snapshot

# the file's order: what others refer to comes first (each feature's record gives its rank)
FILE_ORDER = [
    "words",
    "products",
    "scripts",
    "group_codes",
    "welcome_templates",
    "group_welcomes",
    "group_greetings",
    "channels",
    "store_codes",
    "tag_rules",
    "fission",
    "sops",
]


def body(text: str) -> str:
    """The file without its header comment (the export time)."""
    return "\n".join(line for line in text.splitlines() if not line.startswith("#"))


async def test_round_trip_is_lossless(
    redis: Redis, keys: RedisKeys, empty_keys: RedisKeys, wecom: WeComClient, live_sandbox: Sandbox
) -> None:
    filled = await fill(redis, keys, wecom)
    first = await export_text(redis, keys)
    assert first.startswith("# scrm-bot configuration, exported ")
    data = yaml.safe_load(first)
    assert list(data) == ["version", *FILE_ORDER] and data["version"] == FORMAT_VERSION
    assert "退货请在订单页点「申请售后」。\n    七天内无理由退货。" in first  # literal block, as is
    assert all(data[name] for name in section_order())  # every section has something to carry

    # uploaded files are not in the file: the poster is uploaded to the new store first
    await MediaLibrary(redis, empty_keys, wecom.media).add("image", "poster.png", POSTER)
    plan = await importer(redis, empty_keys, wecom).plan(parse_text(first))
    assert {n: (c["added"], c["removed"]) for n, c in plan.counts().items()} == {
        "words": (len(AD_LAW_TERMS) + 3 + 1 + 1 + 2, 0),  # words, phrase, action, detectors
        "products": (1, 0),
        "scripts": (2, 0),
        "welcome_templates": (2, 0),
        "group_welcomes": (1, 0),
        "group_greetings": (1, 0),
        "channels": (1, 0),
        "group_codes": (1, 0),
        "store_codes": (1, 0),
        "tag_rules": (1, 0),
        "fission": (1, 0),
        "sops": (2, 0),
    }
    assert any("沿用企业微信中已有的活码" in note for note in plan.notes)
    await importer(redis, empty_keys, wecom).apply(plan, target="backup.yaml")
    second = await export_text(redis, empty_keys)
    assert body(second) == body(first)

    # WeCom's code and template were taken over, not duplicated
    assert len(live_sandbox.state.contact_ways) == 1
    assert len(live_sandbox.state.join_ways) == 1
    assert len(live_sandbox.state.group_templates) == 1
    # what a save does, the import did: versions, authorship, the SOP calendar occurrence
    restored = await ScriptStore(redis, empty_keys).get(filled.scripts[0])
    assert restored is not None and (restored.version, restored.created_by) == (1, "import")
    fire = await redis.zrange(empty_keys.jobs_due, 0, -1)
    assert [job.split("|")[:2] for job in fire] == [["sopfire", filled.sops[1]]]


async def test_importing_the_same_file_again_writes_nothing(
    redis: Redis, keys: RedisKeys, wecom: WeComClient, live_sandbox: Sandbox
) -> None:
    await fill(redis, keys, wecom)
    text = await export_text(redis, keys)
    before = await snapshot(redis, keys)
    calls = len(live_sandbox.calls)
    plan = await importer(redis, keys, wecom).plan(parse_text(text))
    assert not plan.has_changes
    assert all(c["unchanged"] and not c["added"] for c in plan.counts().values())
    await importer(redis, keys, wecom).apply(plan, target="same.yaml")
    after = await snapshot(redis, keys)
    audit = after.pop(keys.audit)
    assert after == before  # only the audit entry was added
    assert isinstance(audit, list) and len(audit) == 1
    assert audit[0][1]["summary"] == "导入配置 same.yaml：无变化"
    assert len(live_sandbox.calls) == calls  # and WeCom was not even asked


async def test_codes_wecom_no_longer_has_are_made_anew(
    redis: Redis, keys: RedisKeys, empty_keys: RedisKeys, wecom: WeComClient, live_sandbox: Sandbox
) -> None:
    filled = await fill(redis, keys, wecom)
    text = await export_text(redis, keys)
    live_sandbox.state.contact_ways.clear()  # e.g. a backup restored into another corp's copy
    live_sandbox.state.group_templates.clear()
    await MediaLibrary(redis, empty_keys, wecom.media).add("image", "poster.png", POSTER)

    plan = await importer(redis, empty_keys, wecom).plan(parse_text(text))
    assert any("将新建（二维码会变）" in note for note in plan.notes)
    assert any("企业微信中没有模板" in note for note in plan.notes)
    await importer(redis, empty_keys, wecom).apply(plan)

    [way] = live_sandbox.state.contact_ways.values()
    channel = await ChannelStore(redis, empty_keys).get(filled.channel)
    assert channel is not None and channel.active == way.user  # zhangsan, weekends lisi
    assert way.state == f"ch:{filled.channel}" and channel.config_id == way.config_id
    [content] = live_sandbox.state.group_templates.values()
    assert content["text"] == {"content": "欢迎 %NICKNAME% 入群！"}
    restored = yaml.safe_load(await export_text(redis, empty_keys))
    assert restored["channels"][0]["config_id"] == way.config_id
    assert restored["group_welcomes"][0]["template_id"] in live_sandbox.state.group_templates
