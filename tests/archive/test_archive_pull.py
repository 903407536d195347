"""The chat archive pulled through the SDK (a C stub built here, bound with ctypes): 3,000
messages across two key versions, a crash in the middle and a network error resumed without
loss or duplicates; text becomes ChatText events (and sensitive words, tagging and profiles see
it); a customer who didn't agree is not kept; a message that can't be opened is set aside; a
missing key version stops the pull where it is; a wrong secret is refused at Init."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from redis.asyncio import Redis

from bot.archive import puller as puller_module
from bot.archive.keys import ArchiveKeys
from bot.archive.puller import ArchivePuller
from bot.archive.sdk import ArchiveSdk, SdkError
from bot.config import Settings
from bot.context import HandlerContext
from bot.events import ChatText
from bot.sandbox import Sandbox
from bot.wecom import WeComClient
from tests.archive.conftest import Archive
from tests.helpers import handler_context

MEMBERS = ("zhangsan", "lisi")


def _message(n: int) -> dict[str, object]:
    customer = f"wmA{n % 50:03d}"
    member = MEMBERS[n % 2]
    sender, to = (customer, member) if n % 3 else (member, customer)
    return {
        "msgid": f"msg{n:05d}",
        "action": "send",
        "from": sender,
        "tolist": [to],
        "roomid": "",
        "msgtime": 1_764_900_000_000 + n * 1000,
        "msgtype": "text",
        "text": {"content": f"第 {n} 条：请问还有货吗"},
    }


async def _texts(redis: Redis, ctx: HandlerContext) -> list[ChatText]:
    entries = await redis.xrange(ctx.keys.events)
    return [ChatText.from_json(fields["chat"]) for _, fields in entries if "chat" in fields]


@pytest.fixture
def ctx(
    sandbox_settings: Settings,
    redis: Redis,
    sandbox_wecom: WeComClient,
    live_sandbox: Sandbox,
    stub_sdk: Path,
    archive: Archive,
) -> HandlerContext:
    settings = replace(
        sandbox_settings,
        archive_sdk=stub_sdk,
        archive_secret=live_sandbox.archive_secret,
        archive_keys=archive.keys_dir,
    )
    return handler_context(settings, redis, sandbox_wecom)


def _puller(ctx: HandlerContext, stub_sdk: Path, archive: Archive) -> ArchivePuller:
    sdk = ArchiveSdk(stub_sdk, ctx.settings.corp_id, ctx.settings.archive_secret)
    return ArchivePuller(ctx, sdk, ArchiveKeys.from_directory(archive.keys_dir))


async def test_3000_messages_two_key_versions_a_crash_and_a_network_error(
    ctx: HandlerContext,
    redis: Redis,
    archive: Archive,
    stub_sdk: Path,
    live_sandbox: Sandbox,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    archive.add_key(1)
    archive.add_key(2)
    for n in range(3000):
        archive.add(_message(n), 1 if n < 1500 else 2)
    live_sandbox.archive_consent[("lisi", "wmA001")] = "Disagree"  # n % 50 == 1 and odd n
    monkeypatch.setenv("WEWORK_STUB_FAIL", "2000:10001")  # the network fails once there

    # a crash while the second batch is being read: the first batch is saved, nothing else
    real = puller_module.as_chat_text
    calls = 0

    def crashing(message: dict[str, object]) -> ChatText | None:
        nonlocal calls
        calls += 1
        if calls == 1500:
            raise RuntimeError("the process died")
        return real(message)

    monkeypatch.setattr(puller_module, "as_chat_text", crashing)
    first = _puller(ctx, stub_sdk, archive)
    with pytest.raises(RuntimeError):
        await first.pull()
    assert int(await redis.get(ctx.keys.archive_seq)) == 1000
    monkeypatch.setattr(puller_module, "as_chat_text", real)

    again = _puller(ctx, stub_sdk, archive)  # a new process
    report = await again.pull()
    assert report.seq == 2000 and "10001" in report.stopped  # the network error: stop, keep 2000
    report = await again.pull()
    assert report.seq == 3000 and report.stopped == ""
    assert (await again.pull()).batches == 0  # caught up

    texts = await _texts(redis, ctx)
    ids = [t.msgid for t in texts]
    assert len(ids) == len(set(ids))  # no duplicates
    refused = {f"msg{n:05d}" for n in range(3000) if n % 50 == 1 and n % 2 == 1}
    assert set(ids) == {f"msg{n:05d}" for n in range(3000)} - refused  # no loss
    sample = next(t for t in texts if t.msgid == "msg00004")
    assert (sample.sender, sample.external_userid, sample.staff_userid) == (
        "customer",
        "wmA004",
        "zhangsan",
    )
    assert sample.source == "archive" and sample.text == "第 4 条：请问还有货吗"


async def test_bad_items_missing_keys_and_wrong_secrets(
    ctx: HandlerContext, redis: Redis, archive: Archive, stub_sdk: Path
) -> None:
    archive.add_key(1)
    archive.add(_message(1), 1)
    archive.add(_message(2), 1, corrupt=True)  # the SDK can't open it: 10008
    archive.add(_message(3), 1)
    archive.public[7] = archive.public[1]  # a version we have no private key file of
    archive.add(_message(4), 7)
    archive.add(_message(5), 1)
    report = await _puller(ctx, stub_sdk, archive).pull()
    assert report.failed == 1 and report.seq == 3  # stopped before the unknown version
    assert "缺少第 7 版私钥" in report.stopped
    [aside] = [json.loads(x) for x in await redis.lrange(ctx.keys.archive_failed, 0, -1)]
    assert aside["seq"] == 2 and "10008" in aside["why"]
    assert [t.msgid for t in await _texts(redis, ctx)] == ["msg00001", "msg00003"]
    with pytest.raises(SdkError) as wrong:
        ArchiveSdk(stub_sdk, ctx.settings.corp_id, "wrong")
    assert wrong.value.code == 10003


async def test_doctor_checks_the_sdk_keys_and_one_pull(
    ctx: HandlerContext, redis: Redis, archive: Archive, stub_sdk: Path
) -> None:
    from bot.archive.doctor import check_archive

    assert (await check_archive(redis, ctx.settings))[1:] == (
        False,
        "没有私钥：在 SCRM_ARCHIVE_KEYS 目录放入 <版本号>.pem",
    )  # type: ignore[index]
    archive.add_key(3)
    archive.add(_message(1), 3)
    _name, ok, detail = await check_archive(redis, ctx.settings)  # type: ignore[misc]
    assert ok and "私钥版本 3" in detail and "有新消息待拉取" in detail
    wrong = replace(ctx.settings, archive_secret="wrong")
    assert "10003" in (await check_archive(redis, wrong))[2]  # type: ignore[index]
    missing = replace(ctx.settings, archive_sdk=Path("/nowhere/sdk.so"))
    assert "找不到 SDK 文件" in (await check_archive(redis, missing))[2]  # type: ignore[index]
    assert await check_archive(redis, replace(ctx.settings, archive_sdk=None)) is None


async def test_a_group_wecom_refuses_is_not_kept_and_a_busy_wecom_is_asked_again(
    ctx: HandlerContext, redis: Redis, archive: Archive, stub_sdk: Path, live_sandbox: Sandbox
) -> None:
    archive.add_key(1)
    for n, room in enumerate(("wrGone", "wrBusy", "wrOk"), start=1):
        message = _message(3 * n + 1) | {"roomid": room, "from": "wmG001", "tolist": ["lisi"]}
        archive.add(message, 1)
    live_sandbox.archive_room_votes = {room: {"wmG001": 1} for room in ("wrBusy", "wrOk")}
    live_sandbox.archive_room_errors = {"wrGone": 40058, "wrBusy": -1}
    puller = _puller(ctx, stub_sdk, archive)
    report = await puller.pull()
    assert report.seq == 0 and "同意情况查询失败" in report.stopped  # busy: nothing moved
    assert await _texts(redis, ctx) == []
    del live_sandbox.archive_room_errors["wrBusy"]  # WeCom answers again
    report = await puller.pull()
    assert report.seq == 3 and report.stopped == "" and report.not_agreed == 1
    assert [t.chat_id for t in await _texts(redis, ctx)] == ["wrBusy", "wrOk"]  # not wrGone's
