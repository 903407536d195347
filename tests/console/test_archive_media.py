"""Archived messages that aren't text, through the SDK stub and the console: images, files,
voice, links and recalls are kept as lines of their conversation (a chat between members is
not); in a group, a customer's message is kept only if that customer agreed there, a member's
always; a file is fetched from WeCom (in chunks) only when an admin opens it, checked against its
MD5, cached (a second look makes no SDK call), refused above the size setting, and swept with
its message at the end of the retention; members can't open one."""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestServer
from redis.asyncio import Redis

from bot.appkeys import HANDLER_CONTEXT
from bot.archive.runtime import pull_once, sweep
from bot.archive.sdk import ArchiveSdk, SdkError
from bot.archive.store import ArchiveStore
from bot.config import Settings
from bot.context import HandlerContext
from bot.sandbox import Sandbox
from tests.archive.conftest import Archive, archive, stub_sdk  # noqa: F401 (fixtures)
from tests.console.conftest import SignIn
from tests.pipeline_support import wait_until

NOW_MS = int(time.time()) * 1000
IMAGE = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 800  # a JPEG's magic, 200 KB: four chunks
PDF = "%PDF-1.4 报价单".encode() * 100


@pytest.fixture
def console_settings(  # the console's settings with the archive configured
    console_settings: Settings,
    live_sandbox: Sandbox,
    stub_sdk: Path,  # noqa: F811
    archive: Archive,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Settings:
    media = tmp_path / "wecom-media"
    media.mkdir()
    (media / "img1").write_bytes(IMAGE)
    (media / "file1").write_bytes(PDF)
    (media / "bad1").write_bytes(b"\xff\xd8\xffdamaged")
    monkeypatch.setenv("WEWORK_STUB_MEDIA", str(media))
    monkeypatch.setenv("WEWORK_STUB_CHUNK", "65536")
    return replace(
        console_settings,
        archive_sdk=stub_sdk,
        archive_secret=live_sandbox.archive_secret,
        archive_keys=archive.keys_dir,
        archive_media_max_mb=5,
    )


def _msg(n: int, sender: str, to: str, kind: str, body: dict[str, Any], **extra: Any) -> dict:
    return {
        "msgid": f"m{n}", "action": "send", "from": sender, "tolist": [to], "roomid": "",
        "msgtime": NOW_MS + n * 1000, "msgtype": kind, kind: body, **extra,
    }  # fmt: skip


def _write_archive(data: Archive) -> None:
    md5 = hashlib.md5(IMAGE).hexdigest()
    data.add_key(1)
    for message in (
        _msg(1, "wmM001", "zhangsan", "image", {"sdkfileid": "img1", "md5sum": md5, "filesize": len(IMAGE)}),
        _msg(2, "zhangsan", "wmM001", "file", {"sdkfileid": "file1", "filename": "报价单.pdf",
             "md5sum": hashlib.md5(PDF).hexdigest(), "filesize": len(PDF), "fileext": "pdf"}),
        _msg(3, "wmM001", "zhangsan", "voice", {"sdkfileid": "v1", "voice_size": 900, "play_length": 5}),
        _msg(4, "zhangsan", "wmM001", "link", {"title": "新品上市", "link_url": "https://x"}),
        _msg(5, "zhangsan", "wmM001", "revoke", {"pre_msgid": "m4"}, action="recall"),
        _msg(6, "zhangsan", "lisi", "image", {"sdkfileid": "img1"}),  # between members
        _msg(7, "wmM001", "zhangsan", "file", {"sdkfileid": "huge", "filesize": 30 * 1024 * 1024,
             "filename": "录像.mov"}),
        _msg(8, "wmM001", "zhangsan", "image", {"sdkfileid": "bad1", "md5sum": "0" * 32, "filesize": 11}),
        _msg(9, "wmM001", "zhangsan", "text", {"content": "群里问一下"}, roomid="wrRoom1"),
        _msg(10, "wmM002", "zhangsan", "text", {"content": "我不同意存档"}, roomid="wrRoom1"),
        _msg(11, "zhangsan", "wmM002", "image", {"sdkfileid": "img1", "md5sum": md5}, roomid="wrRoom1"),
    ):  # fmt: skip
        data.add(message, 1)


async def _pulled(ctx: HandlerContext) -> None:
    async def done() -> bool:
        await pull_once(ctx)  # None while the periodic round holds the lock
        return int(await ctx.redis.get(ctx.keys.archive_seq) or 0) == 11

    await wait_until(done)


async def test_lines_files_group_consent_cache_and_retention(
    console_bot: TestServer,
    console_settings: Settings,
    sign_in: SignIn,
    redis: Redis,
    archive: Archive,  # noqa: F811
    live_sandbox: Sandbox,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    live_sandbox.archive_room_votes["wrRoom1"] = {"wmM001": 1, "wmM002": 2}
    _write_archive(archive)
    ctx: HandlerContext = console_bot.app[HANDLER_CONTEXT]
    await _pulled(ctx)
    store = ArchiveStore(redis, ctx.keys)
    lines = await store.messages("zhangsan|wmM001")
    assert [m.text for m in lines] == [
        "[图片]", "[文件] 报价单.pdf", "[语音] 5 秒", "[链接] 新品上市", "[撤回了一条消息]",
        "[文件] 录像.mov", "[图片]",
    ]  # fmt: skip
    assert lines[0].media is not None and lines[0].media.size == len(IMAGE)
    assert not await redis.exists(ctx.keys.archive_conversation("zhangsan|lisi"))

    async def group_kept() -> bool:  # texts reach the store through the pipeline
        return len(await store.messages("room:wrRoom1")) == 2

    await wait_until(group_kept)
    group = await store.messages("room:wrRoom1")
    assert [(m.sender, m.text) for m in group] == [("customer", "群里问一下"), ("staff", "[图片]")]
    assert await redis.hexists(ctx.keys.archive_room_consent, "wrRoom1")

    admin = await sign_in("admin1")
    async with admin.http.get(f"{admin.base}archive", params={"conv": "zhangsan|wmM001"}) as page:
        html = await page.text()
    assert "[文件] 报价单.pdf" in html and "archive/media?conv=" in html
    assert "打开（201 KB）" in html and "（30.0 MB）（超过 5 MB，无法打开）" in html

    def link(m: int) -> dict[str, str]:
        return {"conv": "zhangsan|wmM001", "at": str(NOW_MS // 1000 + m), "msgid": f"m{m}"}

    media_url = f"{admin.base}archive/media"
    async with admin.http.get(media_url, params=link(1)) as got:
        assert got.status == 200 and got.content_type == "image/jpeg"
        assert got.headers["Content-Disposition"].startswith("inline")
        assert await got.read() == IMAGE  # four 64 KB chunks, joined
    async with admin.http.get(media_url, params=link(2)) as got:
        assert got.status == 200 and await got.read() == PDF
        assert "attachment" in got.headers["Content-Disposition"]
        assert "%E6%8A%A5%E4%BB%B7%E5%8D%95.pdf" in got.headers["Content-Disposition"]
    monkeypatch.setenv("WEWORK_STUB_MEDIA_FAIL", "10001")  # WeCom is unreachable now
    async with admin.http.get(media_url, params=link(1)) as got:
        assert got.status == 200 and await got.read() == IMAGE  # from the cache
    async with admin.http.get(media_url, params=link(3)) as got:
        assert got.status == 502 and "10001" in await got.text()
    monkeypatch.delenv("WEWORK_STUB_MEDIA_FAIL")
    async with admin.http.get(media_url, params=link(7)) as got:
        assert got.status == 413 and "超过 5 MB" in await got.text()
    async with admin.http.get(media_url, params=link(8)) as got:
        assert got.status == 502 and "校验值不符" in await got.text()
    async with admin.http.get(media_url, params=link(4)) as got:
        assert got.status == 404  # a link has no file
    async with admin.http.get(media_url, params={**link(1), "at": "1"}) as got:
        assert got.status == 404
    async with admin.http.get(media_url, params={**link(1), "conv": "../x"}) as got:
        assert got.status == 400
    async with admin.http.get(media_url, params={**link(1), "at": "9" * 5000}) as got:
        assert got.status == 400

    member = await sign_in("member1")
    async with member.http.get(media_url, params=link(1), allow_redirects=False) as got:
        assert await got.read() != IMAGE

    cache = console_settings.data_dir / "archive-media"
    assert len(list(cache.iterdir())) == 2
    (cache / ".part-crashed").write_bytes(b"half")  # a download a crash cut short
    os.utime(cache / ".part-crashed", (time.time() - 2 * 86400,) * 2)
    later = time.time() + (console_settings.archive_retention_days + 1) * 86400
    assert await sweep(ctx, now=later) == 9  # every line and text kept
    assert list(cache.iterdir()) == []
    assert await redis.hlen(ctx.keys.archive_room_consent) == 0  # answers older than a day


def test_the_sdk_stops_reading_at_the_bound(
    stub_sdk: Path,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (tmp_path / "big").write_bytes(b"x" * 300_000)
    monkeypatch.setenv("WEWORK_STUB_MEDIA", str(tmp_path))
    monkeypatch.setenv("WEWORK_STUB_CHUNK", "65536")
    sdk = ArchiveSdk(stub_sdk, "corp", "secret")
    try:
        assert len(sdk.media("big", 300_000)) == 300_000
        with pytest.raises(SdkError) as refused:
            sdk.media("big", 100_000)  # the message lied about its size: stop at the bound
        assert refused.value.code == 10000
        with pytest.raises(SdkError) as missing:
            sdk.media("nothing-here", 100_000)
        assert missing.value.code == 10005
    finally:
        sdk.close()
