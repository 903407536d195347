"""The word library in Redis, its reloader and the enforcement points."""

from __future__ import annotations

import asyncio
import json

import pytest
from redis.asyncio import Redis

from bot.config import Settings
from bot.keys import RedisKeys
from bot.text import library as library_module
from bot.text.guard import BlockedText, TextGuard
from bot.text.library import LibraryError, WordLibrary
from bot.text.reloader import FilterReloader
from bot.text.starter import AD_LAW_TERMS
from bot.text.word_file import read_word_file


@pytest.fixture
def keys(settings: Settings) -> RedisKeys:
    return RedisKeys(settings.corp_id, settings.key_prefix)


async def test_add_reports_refused_lines_by_number(redis: Redis, keys: RedisKeys) -> None:
    library = WordLibrary(redis, keys)
    text = "微信\n# 注释\n\n竞品甲,竞品\n***\n很长" + "长" * 70 + "\na,b,c\n坏分类,不存在\n微信\n"
    lines, malformed = read_word_file(text, "custom")
    report = await library.add(lines)
    refused = sorted(report.refused + malformed)
    assert [(n, reason[:6]) for n, _, reason in refused] == [
        (5, "只含符号或空"),
        (6, "超过 64 "),
        (7, "列数过多：每"),
        (8, "未知分类「不"),
    ]
    assert (report.added, report.already) == (2, 1)
    snapshot = await library.snapshot()
    assert snapshot.words == [("微信", "custom"), ("竞品甲", "competitor")]


async def test_every_change_bumps_and_announces_the_version(redis: Redis, keys: RedisKeys) -> None:
    library = WordLibrary(redis, keys)
    pubsub = redis.pubsub()
    await pubsub.subscribe(keys.words_changed)
    await pubsub.get_message(timeout=1)  # the subscribe confirmation
    await library.add([(1, "微信", "competitor")])
    await library.allow(["微信支付"])
    await library.set_action("competitor", "mask")
    await library.set_detectors(["phone"])
    await library.remove(["微信"])
    versions = []
    for _ in range(5):
        message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1)
        assert message is not None
        versions.append(int(message["data"]))
    await pubsub.aclose()
    assert versions == [1, 2, 3, 4, 5]
    assert await library.version() == 5


async def test_bad_settings_are_refused_in_chinese(redis: Redis, keys: RedisKeys) -> None:
    library = WordLibrary(redis, keys)
    with pytest.raises(LibraryError, match="处理方式"):
        await library.set_action("competitor", "delete")
    with pytest.raises(LibraryError, match="未知分类"):
        await library.set_action("食品", "block")
    with pytest.raises(LibraryError, match="未知的检测项"):
        await library.set_detectors(["fax"])
    with pytest.raises(LibraryError, match="规范化后为空"):
        await library.allow(["***"])
    assert await library.version() == 0  # nothing changed


async def test_import_of_100k_words_with_progress(redis: Redis, keys: RedisKeys) -> None:
    library = WordLibrary(redis, keys)
    text = "\n".join(f"词{n:06d}" for n in range(100_000))
    lines, _ = read_word_file(text, "custom")
    seen: list[int] = []
    report = await library.add(lines, progress=seen.append)
    assert report.added == 100_000 and report.refused == []
    assert seen[-1] == 100_000 and len(seen) >= 20
    assert await redis.hlen(keys.words) == 100_000


async def test_reloader_swaps_soon_after_a_change(
    redis: Redis, redis_url: str, keys: RedisKeys
) -> None:
    reloader = FilterReloader(redis, keys, redis_url, poll_seconds=30)
    await reloader.start()
    try:
        assert reloader.current.scan("全网最低价")  # the starter ad-law list is in
        assert len(reloader.current) == len(AD_LAW_TERMS)
        before = reloader.current
        reloader.reloaded.clear()
        await WordLibrary(redis, keys).add([(1, "竞品甲", "competitor")])
        await asyncio.wait_for(reloader.reloaded.wait(), timeout=1.0)  # within 1 s
        assert before.scan("竞品甲") == []  # the old filter was never changed in place
        assert [hit.word for hit in reloader.current.scan("竞品甲")] == ["竞品甲"]
    finally:
        await reloader.stop()


async def test_large_libraries_build_in_a_child_process(
    redis: Redis, redis_url: str, keys: RedisKeys
) -> None:
    await WordLibrary(redis, keys).add((n, f"违禁{n:05d}", "custom") for n in range(3000))
    reloader = FilterReloader(redis, keys, redis_url, in_process_limit=100)
    await reloader.start()
    try:
        assert len(reloader.current) == 3000 + len(AD_LAW_TERMS)
        assert reloader.version == await WordLibrary(redis, keys).version()
        [hit] = reloader.current.scan("卖违禁00042")
        assert hit.word == "违禁00042"
    finally:
        await reloader.stop()


async def test_guard_refuses_outgoing_and_alerts_incoming_once(
    redis: Redis, keys: RedisKeys
) -> None:
    from bot.text import SensitiveFilter

    current = SensitiveFilter.from_words([("竞品甲", "competitor"), ("广告费", "industry")])
    alerts: list[str] = []

    async def notify(text: str) -> None:
        alerts.append(text)

    guard = TextGuard(lambda: current, redis, keys, notify)
    with pytest.raises(BlockedText) as caught:
        guard.check_outgoing("欢迎关注竞品-甲")
    assert "「竞品-甲」（竞品）" in str(caught.value)
    assert [hit.word for hit in guard.check_outgoing("收广告费")] == ["广告费"]  # flag only

    for _ in range(3):
        await guard.inspect_incoming("你们比竞品甲贵", "kf", "wmCustomer")
    await guard.inspect_incoming("你们比竞品甲贵", "kf", "wmOther")
    assert len(alerts) == 2  # once per sender and word, per hour
    assert "wmCustomer 在微信客服中发来" in alerts[0] and "「竞品甲」（竞品）" in alerts[0]
    logged = await redis.xrange(keys.text_hits)
    assert len(logged) == 4
    assert json.loads(logged[0][1]["hits"])[0]["word"] == "竞品甲"
    assert await guard.inspect_incoming("你好", "kf", "wmCustomer") == []


async def test_entries_written_by_hand_never_stop_the_filter(
    redis: Redis, redis_url: str, keys: RedisKeys
) -> None:
    await redis.hset(keys.words, mapping={"竞品甲": "competitor", "！！！": "custom"})
    await redis.hset(keys.words_actions, "competitor", "explode")
    await redis.sadd(keys.words_detectors, "fax", "phone")
    await redis.incr(keys.words_version)
    reloader = FilterReloader(redis, keys, redis_url)
    await reloader.start()
    try:
        hits = reloader.current.scan("竞品甲 13812345678")
        assert [(h.word, h.action) for h in hits] == [("竞品甲", "block"), ("phone", "flag")]
    finally:
        await reloader.stop()


async def test_a_long_message_is_scanned_whole_and_allowed_phrases_still_cover(
    redis: Redis, keys: RedisKeys
) -> None:
    from bot.text import SensitiveFilter

    current = SensitiveFilter.from_words([("苹果", "custom")], allow=["苹果醋"])
    guard = TextGuard(lambda: current, redis, keys)
    text = (
        "苹果醋" * 10_000 + "买苹果"
    )  # long: scanned in a thread; every 苹果 but the last allowed
    hits = await guard.inspect_incoming(text, "kf", "wmLong")
    assert [(hit.word, hit.start) for hit in hits] == [("苹果", 30_001)]


async def test_a_large_library_is_read_in_pieces_at_one_version(
    redis: Redis, keys: RedisKeys, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Above SCAN_ABOVE words the snapshot reads the hash in HSCAN pieces; what it returns is
    what one MULTI reads, and a change during the read starts it again."""
    library = WordLibrary(redis, keys)
    lines = [(n, f"竞品{n:04d}", "competitor") for n in range(1, 301)]
    await library.add(lines)
    await library.allow(["竞品0001甲"])
    whole = await library.snapshot()
    monkeypatch.setattr(library_module, "SCAN_ABOVE", 10)
    monkeypatch.setattr(library_module, "SCAN_COUNT", 50)
    assert await library.snapshot() == whole

    real_hscan = redis.hscan
    changed = False

    async def hscan_then_change(*args: object, **kwargs: object) -> object:
        nonlocal changed
        answer = await real_hscan(*args, **kwargs)
        if not changed:  # an import lands while the first read is under way
            changed = True
            await library.add([(1, "竞品9999", "competitor")])
        return answer

    monkeypatch.setattr(redis, "hscan", hscan_then_change)
    after = await library.snapshot()
    assert after.version == whole.version + 1
    assert ("竞品9999", "competitor") in after.words and len(after.words) == 301
