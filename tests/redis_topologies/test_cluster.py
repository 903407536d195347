"""The bot on a real 3-master Redis Cluster: callbacks and welcomes, admin commands by chat,
scheduler claims, the word library's reload, a configuration import (WATCH + MULTI/EXEC,
with queued Lua), and every key the corp writes in one hash slot."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp.test_utils import TestServer
from redis.crc import key_slot

from bot.appkeys import FILTER
from bot.config import Settings
from bot.config_io import ConfigChanged, Plan, export_sections, parse_text
from bot.config_io.fileio import dump_text
from bot.doctor import run_doctor
from bot.keys import RedisKeys
from bot.media import MediaLibrary
from bot.profiles.store import ProfileStore
from bot.sandbox import Sandbox
from bot.scheduler import Scheduler
from bot.sop import jobs
from bot.sop.rules import Schedule, SopRule, SopStep
from bot.sop.store import SopStore
from bot.storage.client import connect
from bot.storage.topology import RedisClient
from bot.tagging.rules import TagRule
from bot.tagging.store import TagRuleStore
from bot.text.library import WordLibrary
from bot.text.reloader import FilterReloader
from bot.wecom import WeComClient
from bot.welcome.config_remote import RemoteSide, Undo
from bot.welcome.store import WelcomeStore
from bot.welcome.templates import WelcomeTemplate
from scripts_library.scripts import ScriptStore
from tests.config_io.conftest import fill, importer, snapshot, store_groups
from tests.pipeline_support import wait_until
from tests.redis_topologies.conftest import say, welcomed
from tests.redis_topologies.servers import ClusterDeployment

ADD = "话术 新增 售后/退货 | 退货流程 | 亲，七天无理由退货，请在订单页点「申请售后」。"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(100)


@pytest.fixture
async def cluster_wecom(
    cluster_settings: Settings, cluster_redis: RedisClient
) -> AsyncIterator[WeComClient]:
    async with aiohttp.ClientSession() as session:
        yield WeComClient.from_settings(cluster_settings, session, cluster_redis)


async def drained(redis: RedisClient, keys: RedisKeys) -> bool:
    return int(await redis.xlen(keys.events)) == 0


async def test_a_callback_is_acknowledged_and_welcomed_once(
    cluster_bot: TestServer,
    live_sandbox: Sandbox,
    cluster_redis: RedisClient,
    cluster_keys: RedisKeys,
) -> None:
    result = await live_sandbox.customer_adds_staff("zhangsan", "wmCluster")
    assert result.delivery is not None and result.delivery.statuses == [200]
    assert live_sandbox.driver is not None
    for _ in range(2):  # WeCom's retries of the same callback, encrypted afresh
        assert (await live_sandbox.driver.deliver(result.xml)).statuses == [200]
    await welcomed(live_sandbox, "wmCluster")
    await wait_until(lambda: drained(cluster_redis, cluster_keys))
    [welcome] = live_sandbox.welcomes("wmCluster")
    assert welcome.welcome_code == result.welcome_code and welcome.userid == "zhangsan"
    assert len(live_sandbox.calls_to("externalcontact/send_welcome_msg")) == 1
    # the later handlers of the same event ran on the cluster too
    profile = await ProfileStore(cluster_redis, cluster_keys).get("wmCluster")
    assert profile.follows["zhangsan"].added_at


async def test_admin_commands_by_chat(
    cluster_bot: TestServer,
    live_sandbox: Sandbox,
    cluster_redis: RedisClient,
    cluster_keys: RedisKeys,
) -> None:
    store = ScriptStore(cluster_redis, cluster_keys)
    reply = await say(live_sandbox, "admin1", ADD)
    found = re.search(r"编号 ([0-9a-f]{8})", reply)
    assert found is not None, reply
    script_id = found.group(1)
    script = await store.get(script_id)
    assert script is not None and script.title == "退货流程"

    ask = await say(live_sandbox, "admin1", f"话术 删除 {script_id}")
    code = re.search(r"确认 (\d{4})", ask)
    assert code is not None, ask
    wrong = f"{(int(code.group(1)) + 1) % 10_000:04d}"
    assert "不对" in await say(live_sandbox, "admin1", f"确认 {wrong}")
    assert "已删除" in await say(live_sandbox, "admin1", f"确认 {code.group(1)}")
    assert await store.get(script_id) is None
    assert "已撤销" in await say(live_sandbox, "admin1", "撤销")
    restored = await store.get(script_id)
    assert restored is not None and restored.text == script.text


async def test_each_due_job_is_claimed_once(
    redis_cluster: ClusterDeployment, cluster_redis: RedisClient, cluster_keys: RedisKeys
) -> None:
    clients = [connect(redis_cluster.url) for _ in range(3)]  # three processes, say
    try:
        schedulers = [Scheduler(client, cluster_keys) for client in clients]
        now = time.time()
        due = {f"test|{n}": now - 1 for n in range(60)}
        assert await schedulers[0].add(due) == 60
        batches = await asyncio.gather(*(s.claim(now, limit=15) for s in schedulers * 2))
        claimed = [job.id for batch in batches for job in batch]
        assert sorted(claimed) == sorted(due)  # every job once, none twice
        assert await schedulers[1].retry(claimed[0], now - 1)
        [again] = await schedulers[2].claim(now)
        assert (again.id, again.attempts) == (claimed[0], 1)
        await schedulers[2].done(again.id)
        assert (await schedulers[0].counts())["running"] == 59
    finally:
        for client in clients:
            await client.aclose()

    # saving a calendar SOP queues the scheduler's Lua script inside a MULTI/EXEC
    rule = SopRule(
        "",
        "周五群活动",
        [SopStep("周末活动预告，群里见！", delivery="mass")],
        kind="group",
        trigger="schedule",
        schedule=Schedule("18:00", weekdays=[5]),
        groups=["wrGroup"],
    )
    saved = await SopStore(cluster_redis, cluster_keys).save(rule, "cli", None)
    scheduler = Scheduler(cluster_redis, cluster_keys)
    assert [job async for job, _ in scheduler.scheduled(jobs.fire_pattern(saved.id))]


async def test_word_library_changes_reach_the_running_bot(
    cluster_bot: TestServer,
    cluster_settings: Settings,
    cluster_redis: RedisClient,
    cluster_keys: RedisKeys,
) -> None:
    reloader = cluster_bot.app[FILTER]
    assert reloader.current.scan("国家级品质")  # the starter list, seeded at start-up
    await WordLibrary(cluster_redis, cluster_keys).add([(1, "竞品乙", "competitor")])

    async def reloaded() -> bool:
        return bool(reloader.current.scan("比竞品乙好"))

    await wait_until(reloaded)  # announced by PUBLISH, heard by the bot's subscription
    # a large library is built in a child process, which connects with the same URL
    assert cluster_settings.redis_url is not None
    child = FilterReloader(cluster_redis, cluster_keys, cluster_settings.redis_url)
    child._in_process_limit = 0
    assert await child.refresh()
    assert child.current.scan("比竞品乙好") and child.version == reloader.version


async def test_config_import_is_one_watched_transaction(
    cluster_redis: RedisClient,
    cluster_keys: RedisKeys,
    cluster_wecom: WeComClient,
    live_sandbox: Sandbox,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    redis, keys, wecom = cluster_redis, cluster_keys, cluster_wecom
    await store_groups(live_sandbox)
    filled = await fill(redis, keys, wecom)
    ref = await MediaLibrary(redis, keys, wecom.media).add("image", "poster.png", PNG)
    image = {"msgtype": "image", "image": {"media_ref": ref}}
    poster = WelcomeTemplate("", "海报", "staff", "lisi", "看看海报", [image])
    await WelcomeStore(redis, keys).save(poster, None)
    data = await export_sections(redis, keys)
    [returns] = [s for s in data["scripts"] if s["title"] == "退货流程"]
    returns["title"] = "退货须知"
    rules = {rule["id"]: rule for rule in data["sops"]}
    rules[filled.sops[1]]["schedule"]["weekdays"] = [6]  # moves the calendar job (Lua, queued)
    data["words"]["by_category"]["competitor"].append("竞品丙")
    words_version = await WordLibrary(redis, keys).version()

    plan = await importer(redis, keys, wecom).plan(parse_text(dump_text(data)))
    await importer(redis, keys, wecom).apply(plan)
    titles = {s.title for s in await ScriptStore(redis, keys).all()}
    assert "退货须知" in titles and "退货流程" not in titles
    assert await WordLibrary(redis, keys).version() == words_version + 1
    fires = [j async for j, _ in Scheduler(redis, keys).scheduled(jobs.fire_pattern("*"))]
    assert len(fires) == 1

    # the poster's file vanishes between plan and apply: read again under WATCH, refused
    returns["title"] = "退货说明"
    plan = await importer(redis, keys, wecom).plan(parse_text(dump_text(data)))
    await redis.delete(keys.media_blob(ref))
    before = await snapshot(redis, keys)
    with pytest.raises(ConfigChanged):
        await importer(redis, keys, wecom).apply(plan)
    assert await snapshot(redis, keys) == before

    # a write to a watched key after WATCH: EXEC aborts, nothing is written
    await MediaLibrary(redis, keys, wecom.media).add("image", "poster.png", PNG)
    plan = await importer(redis, keys, wecom).plan(parse_text(dump_text(data)))
    prepare = RemoteSide.prepare

    async def prepare_then_race(self: RemoteSide, plan: Plan) -> Undo:
        undo = await prepare(self, plan)
        await TagRuleStore(redis, keys).save(TagRule("", "退款", ["退款"], "售后", "退款"))
        return undo

    monkeypatch.setattr(RemoteSide, "prepare", prepare_then_race)
    with pytest.raises(ConfigChanged):
        await importer(redis, keys, wecom).apply(plan)
    assert "退货说明" not in {s.title for s in await ScriptStore(redis, keys).all()}


async def test_doctor_checks_every_primary(cluster_settings: Settings) -> None:
    checks = {check.name: check for check in await run_doctor(cluster_settings)}
    redis = checks["Redis"]
    assert redis.ok and re.search(r"版本 \d+\.\d+", redis.detail)
    assert "未开启 AOF" in redis.detail  # the test cluster runs without AOF: warned
    assert all(check.ok for check in checks.values()), checks


async def test_every_key_the_bot_writes_is_in_the_corps_slot(
    cluster_bot: TestServer,
    live_sandbox: Sandbox,
    redis_cluster: ClusterDeployment,
    cluster_redis: RedisClient,
    cluster_settings: Settings,
    cluster_keys: RedisKeys,
) -> None:
    await live_sandbox.customer_adds_staff("zhangsan", "wmSlot", state="poster")
    await welcomed(live_sandbox, "wmSlot")
    reply = await say(live_sandbox, "admin1", ADD)
    script_id = re.findall(r"编号 ([0-9a-f]{8})", reply)[0]
    await say(live_sandbox, "admin1", f"话术 删除 {script_id}")
    await say(live_sandbox, "admin1", "确认 99999")  # a wrong-code count beside the command
    await wait_until(lambda: drained(cluster_redis, cluster_keys))

    corp_slot = key_slot(f"{{{cluster_settings.corp_id}}}".encode())
    by_node: dict[int, list[str]] = {}
    for server in redis_cluster.servers:  # every key on every node: this folder's tests' too
        by_node[server.port] = list(server.client().scan_iter(count=1000))
    everything = [key for keys in by_node.values() for key in keys]
    mine = [key for key in everything if key.startswith(cluster_keys.prefix + ":")]
    assert len(mine) > 20 and any(key.endswith(":wrong") for key in mine)
    assert {key for key in everything if key_slot(key.encode()) != corp_slot} == set()
    assert len([port for port, keys in by_node.items() if keys]) == 1  # so one node holds all
    server = redis_cluster.servers[0].client()
    assert int(server.cluster("keyslot", mine[0])) == corp_slot  # the server agrees
