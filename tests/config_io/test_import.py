"""Importing: sections made equal to the file, sections left out untouched, the effects that
follow the data (versions, history, SOP steps), dry runs, and changes made meanwhile."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

import pytest
import yaml
from redis.asyncio import Redis

from bot.clock import CORP_TIME
from bot.config_io import ConfigChanged, Plan, export_sections, parse_text
from bot.config_io.fileio import dump_text
from bot.config_io.undo import Undo
from bot.keys import RedisKeys
from bot.sandbox import Sandbox
from bot.scheduler import Scheduler
from bot.sop import jobs
from bot.sop.rules import step_due
from bot.sop.store import SopStore
from bot.tagging.rules import TagRule
from bot.tagging.store import TagRuleStore
from bot.text.library import WordLibrary
from bot.wecom import WeComClient
from bot.welcome.config_remote import RemoteSide
from scripts_library.scripts import ScriptStore
from tests.config_io.conftest import fill, importer, snapshot


async def exported(redis: Redis, keys: RedisKeys) -> dict[str, Any]:
    return await export_sections(redis, keys)


async def run_import(
    redis: Redis, keys: RedisKeys, wecom: WeComClient, sections: dict[str, Any]
) -> Plan:
    plan = await importer(redis, keys, wecom).plan(parse_text(dump_text(sections)))
    await importer(redis, keys, wecom).apply(plan, target="edited.yaml")
    return plan


async def test_a_section_in_the_file_is_made_equal_to_it(
    redis: Redis, keys: RedisKeys, wecom: WeComClient, live_sandbox: Sandbox
) -> None:
    filled = await fill(redis, keys, wecom)
    data = await exported(redis, keys)
    kept, dropped = filled.scripts
    data["scripts"] = [s for s in data["scripts"] if s["id"] == kept]
    data["scripts"][0]["text"] = "您好，退货请在订单页点「申请售后」，运费我们承担。"
    data["scripts"].append({"category": "售后/换货", "title": "换货", "text": "换货请联系客服。"})
    data["channels"] = []
    data["store_codes"] = []  # its campaign shows the channel's code: it goes too (else refused)
    data["group_welcomes"], data["group_greetings"] = [], {}
    data["words"]["by_category"]["insult"] = []
    data["words"]["by_category"]["competitor"].append("竞品乙")
    words_version = await WordLibrary(redis, keys).version()

    plan = await run_import(redis, keys, wecom, data)

    assert plan.counts()["scripts"] == {"added": 1, "changed": 1, "removed": 1, "unchanged": 0}
    store = ScriptStore(redis, keys)
    by_title = {s.title: s for s in await store.all()}
    assert set(by_title) == {"退货流程", "换货"}
    assert by_title["退货流程"].version == 2 and by_title["退货流程"].updated_by == "import"
    assert [old.version for old in await store.history(kept)] == [1]
    assert (await store.history(dropped))[0].title == "双十一预告"  # restorable
    assert int(await redis.get(keys.script_seq)) == 2 + 3  # the search index catches up
    # WeCom: the removed code and template are gone there too
    assert live_sandbox.state.contact_ways == {} and live_sandbox.state.group_templates == {}
    assert await redis.hlen(keys.channels) == 0 and await redis.hlen(keys.group_welcomes) == 0
    # the words: one version more, announced once
    library = WordLibrary(redis, keys)
    assert await library.version() == words_version + 1
    words = dict((await library.snapshot()).words)
    assert words["竞品乙"] == "competitor" and "傻瓜" not in words


async def test_sections_left_out_are_untouched(
    redis: Redis, keys: RedisKeys, wecom: WeComClient
) -> None:
    await fill(redis, keys, wecom)
    data = await exported(redis, keys)
    rule = data["tag_rules"][0]
    rule["keywords"].append("价格")
    before = await snapshot(redis, keys)
    version = await redis.get(keys.tag_rules_version)

    plan = await run_import(redis, keys, wecom, {"tag_rules": data["tag_rules"]})

    assert list(plan.sections) == ["tag_rules"]
    after = await snapshot(redis, keys)
    changed = {k for k in set(before) | set(after) if before.get(k) != after.get(k)}
    assert changed == {keys.tag_rules, keys.tag_rules_version, keys.audit}
    assert int(await redis.get(keys.tag_rules_version)) == int(version) + 1  # matchers rebuild
    [stored] = await TagRuleStore(redis, keys).all()
    assert stored.keywords == ["多少钱", "优惠", "价格"]


async def test_only_imports_the_named_sections(
    redis: Redis, keys: RedisKeys, wecom: WeComClient
) -> None:
    await fill(redis, keys, wecom)
    data = await exported(redis, keys)
    data["products"][0]["price"] = "99.00"
    data["scripts"] = []
    plan = await importer(redis, keys, wecom).plan(parse_text(dump_text(data)), ["products"])
    assert list(plan.sections) == ["products"]
    await importer(redis, keys, wecom).apply(plan)
    assert len(await ScriptStore(redis, keys).all()) == 2
    assert '"99.00"' in await redis.hget(keys.products, "cup-316")


async def test_a_dry_run_writes_nothing(
    redis: Redis, keys: RedisKeys, wecom: WeComClient, live_sandbox: Sandbox
) -> None:
    await fill(redis, keys, wecom)
    data = await exported(redis, keys)
    data["scripts"], data["channels"], data["sops"] = [], [], []
    data["store_codes"] = []  # it shows the channel's code
    before, ways = await snapshot(redis, keys), dict(live_sandbox.state.contact_ways)
    plan = await importer(redis, keys, wecom).plan(parse_text(dump_text(data)))
    assert plan.has_changes and plan.counts()["scripts"]["removed"] == 2
    assert await snapshot(redis, keys) == before
    assert live_sandbox.state.contact_ways == ways


async def test_saving_sops_moves_their_unsent_steps(
    redis: Redis, keys: RedisKeys, wecom: WeComClient
) -> None:
    filled = await fill(redis, keys, wecom)
    care, friday = filled.sops
    scheduler = Scheduler(redis, keys)
    added_at = time.time()
    first, second = (jobs.step_id(care, n, "zhangsan", "wmCustomer", added_at) for n in (0, 1))
    await scheduler.add({first: added_at + 86400, second: added_at + 3 * 86400})
    data = await exported(redis, keys)
    rules = {rule["id"]: rule for rule in data["sops"]}
    rules[care]["steps"][0]["days"] = 2  # day 2 at 10:00 instead of day 1
    del rules[care]["steps"][1]  # and no third-day step any more
    rules[friday]["schedule"]["weekdays"] = [6]

    await run_import(redis, keys, wecom, data)

    store = SopStore(redis, keys)
    rule = await store.get(care)
    assert rule is not None and (rule.version, rule.updated_by) == (2, "import")
    due = dict(await redis.zrange(keys.jobs_due, 0, -1, withscores=True))
    assert due[first] == step_due(rule, rule.steps[0], int(added_at), first)
    assert second not in due
    [fire] = [job for job in due if job.startswith(f"{jobs.FIRE}|{friday}|")]
    assert datetime.fromtimestamp(due[fire], CORP_TIME).isoweekday() == 6  # Saturday now

    # a removed rule takes its unsent steps with it
    data["sops"] = [r for r in data["sops"] if r["id"] != care]
    await run_import(redis, keys, wecom, data)
    assert await store.get(care) is None
    assert not [job async for job, _ in scheduler.scheduled(jobs.rule_pattern(care))]


async def test_a_change_between_plan_and_apply_aborts(
    redis: Redis, keys: RedisKeys, wecom: WeComClient
) -> None:
    filled = await fill(redis, keys, wecom)
    data = await exported(redis, keys)
    data["scripts"][0]["title"] = "改过的标题"
    plan = await importer(redis, keys, wecom).plan(parse_text(dump_text(data)))

    store = ScriptStore(redis, keys)  # someone edits a script meanwhile
    other = await store.get(filled.scripts[1])
    assert other is not None
    other.text = "双十一全场满 300 减 60！"
    await store.save(other, "zhangsan", None)
    before = await snapshot(redis, keys)

    with pytest.raises(ConfigChanged, match="请重新运行导入"):
        await importer(redis, keys, wecom).apply(plan)
    assert await snapshot(redis, keys) == before  # nothing written, no audit entry


async def test_a_change_during_apply_aborts_and_undoes_wecom(
    redis: Redis,
    keys: RedisKeys,
    wecom: WeComClient,
    live_sandbox: Sandbox,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await fill(redis, keys, wecom)
    data = await exported(redis, keys)
    data["channels"].append({"name": "直播间", "users": ["lisi"]})
    plan = await importer(redis, keys, wecom).plan(parse_text(dump_text(data)))
    ways = set(live_sandbox.state.contact_ways)
    prepare = RemoteSide.prepare

    async def prepare_then_race(self: RemoteSide, plan: Plan) -> Undo:
        undo = await prepare(self, plan)  # the new code exists in WeCom now…
        assert len(live_sandbox.state.contact_ways) == len(ways) + 1
        # …and an admin saves a tag rule before the transaction runs
        await TagRuleStore(redis, keys).save(TagRule("", "退款", ["退款"], "售后", "退款"))
        return undo

    monkeypatch.setattr(RemoteSide, "prepare", prepare_then_race)
    assert keys.tag_rules in plan.watched
    with pytest.raises(ConfigChanged):
        await importer(redis, keys, wecom).apply(plan)
    assert set(live_sandbox.state.contact_ways) == ways  # the code made for it was deleted
    assert "直播间" not in str(await redis.hgetall(keys.channels))


def test_the_file_is_yaml_that_people_can_read() -> None:
    text = dump_text({"scripts": [{"id": "a", "text": "第一行\n第二行"}]})
    assert "text: |-\n    第一行\n    第二行" in text
    assert yaml.safe_load(text)["scripts"][0]["text"] == "第一行\n第二行"
