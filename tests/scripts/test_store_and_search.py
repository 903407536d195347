"""The script library: checks, versions, sends, and search across processes' indexes."""

from __future__ import annotations

import pytest
from redis.asyncio import Redis

from bot.config import Settings
from bot.keys import RedisKeys
from scripts_library import search
from scripts_library.scripts import Script, ScriptError, ScriptStore, Visibility
from scripts_library.search import ScriptIndex
from tests.helpers import outgoing_guard


@pytest.fixture
def keys(settings: Settings) -> RedisKeys:
    return RedisKeys(settings.corp_id, settings.key_prefix)


@pytest.fixture
def store(redis: Redis, keys: RedisKeys) -> ScriptStore:
    return ScriptStore(redis, keys)


def script(category: str, title: str, text: str, **extra: object) -> Script:
    return Script("", category, title, text, **extra)  # type: ignore[arg-type]


LIBRARY = [
    script("售后/退货", "退货流程", "亲，七天无理由退货：在订单页申请退货，寄回后三天内退款。"),
    script("售后/退货", "退货运费", "退货运费由我们承担，请放心寄回。", keywords=["运费险"]),
    script("售后/换货", "换货说明", "尺码不合适可以换货，{{ customer_name }}请在订单页申请。"),
    script("售前/活动", "双十一活动", "双十一全场满300减50，会员再享9折。"),
    script("常见问题", "发货时间", "下单后48小时内发货，偏远地区稍晚。"),
]


async def fill(store: ScriptStore) -> list[Script]:
    return [await store.save(s, "lisi", None) for s in LIBRARY]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"category": ""}, "分类不能为空"),
        ({"category": "售后//退货"}, "分类不能为空"),
        ({"category": "a/b/c/d/e"}, "分类最多 4 级"),
        ({"title": ""}, "标题不能为空"),
        ({"text": "", "attachments": []}, "文字和附件不能都为空"),
        ({"text": "{{ customer_phone }}"}, "未知变量 customer_phone"),
        ({"text": "{% for %}"}, "模板语法错误"),
        ({"text": "好" * 1400}, "超过企业微信 4000 字节的上限"),
        ({"keywords": [" "]}, "关键词最多 20 个，且不能为空"),
        ({"visibility": Visibility(False, [0])}, "可见部门应是部门 ID"),
        ({"attachments": [{"msgtype": "link", "link": {}}] * 10}, "最多 9 个"),
    ],
)
async def test_bad_scripts_are_refused(
    store: ScriptStore, changes: dict[str, object], message: str
) -> None:
    good = script("售后", "标题", "内容")
    bad = Script(**{**good.__dict__, **changes})  # type: ignore[arg-type]
    with pytest.raises(ScriptError, match=message):
        await store.save(bad, "lisi", None)
    assert await store.all() == []


async def test_sensitive_words_in_text_or_title_are_refused(
    redis: Redis, keys: RedisKeys, store: ScriptStore
) -> None:
    guard = await outgoing_guard(redis, keys)
    with pytest.raises(ScriptError, match="「全网最好」"):
        await store.save(script("售前", "推荐", "这是全网最好的面霜"), "lisi", guard)
    with pytest.raises(ScriptError, match=r"标题.*「销量第一」"):
        await store.save(script("售前", "销量第一", "好用"), "lisi", guard)


async def test_versions_are_kept_and_restorable(store: ScriptStore) -> None:
    first = await store.save(script("售后", "退货", "第一版"), "lisi", None)
    assert (first.version, first.created_by) == (1, "lisi")
    first.text = "第二版"
    second = await store.save(first, "wangwu", None)
    assert (second.version, second.created_by, second.updated_by) == (2, "lisi", "wangwu")
    [old] = await store.history(first.id)
    assert (old.version, old.text) == (1, "第一版")
    restored = await store.restore(first.id, 1, "lisi")
    assert (restored.version, restored.text) == (3, "第一版")
    with pytest.raises(ScriptError, match="没有第 9 版"):
        await store.restore(first.id, 9, "lisi")
    await store.delete(first.id, "lisi")
    assert await store.get(first.id) is None
    back = await store.restore(first.id, 3, "lisi")  # a deleted script comes back
    assert back.text == "第一版" and await store.get(first.id) is not None


async def test_sends_and_recent(store: ScriptStore) -> None:
    a, b, _ = (await fill(store))[:3]
    for sid in (a.id, b.id, a.id):
        await store.record_send(sid, "zhangsan")
    assert await store.recent("zhangsan") == [a.id, b.id]
    assert (await store.sends())[a.id] == 2


async def test_search_by_words_initials_and_substrings(
    redis: Redis, keys: RedisKeys, store: ScriptStore
) -> None:
    saved = {s.title: s for s in await fill(store)}
    index = ScriptIndex(redis, keys)
    await index.refresh()

    def titles(query: str, category: str = "") -> list[str]:
        found = index.search(query, userid="zhangsan", departments=[1], category=category)
        return [s.title for s in found]

    assert titles("退货")[:2] == ["退货流程", "退货运费"]  # title matches first
    assert "换货说明" not in titles("退货")
    assert titles("运费险") == ["退货运费"]  # keywords count
    assert set(titles("sh")) == {"退货流程", "退货运费", "换货说明"}  # 售后 → sh
    assert titles("thlc") == ["退货流程"]  # pinyin initials of a title token run
    assert titles("退貨") == titles("退货")  # traditional folds to simplified
    assert titles("满300") == ["双十一活动"]
    assert titles("", category="售后") == sorted(["换货说明", "退货流程", "退货运费"])
    # no script has both words: any of them then
    assert set(titles("退货 换货")) == {"退货流程", "退货运费", "换货说明"}
    await store.record_send(saved["退货运费"].id, "zhangsan")
    await store.record_send(saved["退货运费"].id, "lisi")
    index._sends_at = 0.0  # the usage counts refresh every few seconds; don't wait in a test
    await index.refresh()
    assert [s.title for s in index.most_used("zhangsan", [1])] == ["退货运费"]


async def test_visibility_and_disabled_scripts(
    redis: Redis, keys: RedisKeys, store: ScriptStore
) -> None:
    await store.save(
        script("内部", "华东价", "华东专享价", visibility=Visibility(False, [5])), "lisi", None
    )
    await store.save(
        script("内部", "张三专用", "张三的话术", visibility=Visibility(False, [], ["zhangsan"])),
        "lisi",
        None,
    )
    await store.save(script("内部", "停用的", "旧话术", enabled=False), "lisi", None)
    index = ScriptIndex(redis, keys)
    await index.refresh()
    seen = {s.title for s in index.search("", userid="zhangsan", departments=[1])}
    assert seen == {"张三专用"}
    seen = {s.title for s in index.search("", userid="wangwu", departments=[5, 1])}
    assert seen == {"华东价"}
    assert index.categories("wangwu", [5]) == ["内部"]
    assert index.categories("nobody", [9]) == []


async def test_every_process_index_follows_changes(
    redis: Redis, keys: RedisKeys, store: ScriptStore
) -> None:
    one, two = ScriptIndex(redis, keys), ScriptIndex(redis, keys)
    await one.refresh()
    await two.refresh()
    saved = await store.save(script("售后", "退款时效", "三天内退款"), "lisi", None)
    await one.refresh()
    assert [s.id for s in one.search("退款", userid="u", departments=[])] == [saved.id]
    saved.title, saved.text = "发票", "电子发票随包裹寄出"
    await store.save(saved, "lisi", None)
    await two.refresh()
    assert two.search("退款", userid="u", departments=[]) == []
    assert [s.title for s in two.search("发票", userid="u", departments=[])] == ["发票"]
    await store.delete(saved.id, "lisi")
    await one.refresh()
    assert len(one) == 0 and one.search("发票", userid="u", departments=[]) == []


async def test_an_index_that_missed_trimmed_changes_rebuilds(
    redis: Redis, keys: RedisKeys, store: ScriptStore
) -> None:
    index = ScriptIndex(redis, keys)
    await index.refresh()
    saved = await store.save(script("售后", "退款时效", "三天内退款"), "lisi", None)
    await redis.xtrim(keys.script_changes, maxlen=0)  # as if 10,000 changes went by
    await index.refresh()
    assert [s.id for s in index.search("退款", userid="u", departments=[])] == [saved.id]


async def test_scripts_added_after_the_build_rank_by_sends_then_title(
    redis: Redis, keys: RedisKeys, store: ScriptStore
) -> None:
    """Scripts numbered after the build (new ones, edited ones) tie-break with the rest by
    sends, then title, exactly as after a rebuild; an edited script is found once."""
    await fill(store)
    index = ScriptIndex(redis, keys)
    await index.refresh()
    later = [
        await store.save(script("售后/退货", title, "退货请联系客服"), "lisi", None)
        for title in ("退货甲", "退货丙", "退货乙")
    ]
    edited = (await store.get(later[0].id)) or later[0]
    edited.text = "退货请联系客服，运费我们出"
    await store.save(edited, "lisi", None)
    await index.refresh()

    def ranked() -> list[str]:
        found = index.search("", userid="u", departments=[], category="售后/退货", limit=4)
        return [s.title for s in found]

    rebuilt = ScriptIndex(redis, keys)
    await rebuilt.refresh()  # numbered from scratch: the order to match
    every = sorted(["退货流程", "退货运费", "退货甲", "退货丙", "退货乙"])
    assert ranked() == every[:4]
    found = rebuilt.search("", userid="u", departments=[], category="售后/退货", limit=4)
    assert [s.title for s in found] == every[:4]
    assert len(index) == len(rebuilt) == len(LIBRARY) + 3
    assert [s.title for s in index.search("运费我们出", userid="u", departments=[])] == ["退货甲"]

    await store.record_send(later[2].id, "zhangsan")  # 退货乙 was sent: it comes first
    index._sends_at = 0.0  # the usage counts refresh every few seconds; don't wait in a test
    await index.refresh()
    assert ranked() == ["退货乙", *[t for t in every if t != "退货乙"][:3]]


async def test_a_renumbering_rebuild_runs_behind_searches(
    redis: Redis, keys: RedisKeys, store: ScriptStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once enough numbers are dead or out of order the index rebuilds in the background;
    searches meanwhile read the previous catalogue, then the new one, with the same answers."""
    monkeypatch.setattr(search, "RENUMBER_AT", 1)
    saved = await fill(store)
    index = ScriptIndex(redis, keys)
    await index.refresh()
    saved[0].text += "，另有上门取件"
    await store.save(saved[0], "lisi", None)
    await store.save(script("售后/退货", "退货须知", "上门取件免费"), "lisi", None)
    await index.refresh()  # applies the edits: two numbers out of order, one dead
    before = [s.title for s in index.search("上门取件", userid="u", departments=[])]
    await index.refresh()  # loose > 1: the rebuild starts behind this call
    assert index._rebuilding is not None
    assert [s.title for s in index.search("上门取件", userid="u", departments=[])] == before
    await index._rebuilding
    assert index._catalogue.loose() == 0
    assert [s.title for s in index.search("上门取件", userid="u", departments=[])] == before
    assert sorted(before) == ["退货流程", "退货须知"]
