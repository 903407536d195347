"""Group welcome templates: WeCom first, then Redis; sync; join greetings recorded end to end."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestServer
from redis.asyncio import Redis

from bot.cli import main
from bot.config import Settings
from bot.context import Delivery
from bot.events import ExternalChatUpdate, parse_event
from bot.keys import RedisKeys
from bot.sandbox import Sandbox
from bot.sandbox.events import chat_event
from bot.text import SensitiveFilter
from bot.text.guard import TextGuard
from bot.wecom import WeComClient, WeComError
from bot.welcome.group import GroupWelcome, GroupWelcomeStore, single_attachment, validate
from bot.welcome.templates import TemplateError
from handlers.group_welcome import record_join_greeting
from tests.helpers import handler_context
from tests.pipeline_support import wait_until

ADD = "externalcontact/group_welcome_template/add"
EDIT = "externalcontact/group_welcome_template/edit"
LINK = {"msgtype": "link", "link": {"title": "入群须知", "url": "https://example.com/rules"}}
IMAGE = {"msgtype": "image", "image": {"pic_url": "https://p.qpic.cn/pic_wework/1/a/0"}}


@pytest.fixture
def keys(sandbox_settings: Settings) -> RedisKeys:
    return RedisKeys(sandbox_settings.corp_id, sandbox_settings.key_prefix)


@pytest.fixture
def wecom(sandbox_wecom: WeComClient) -> WeComClient:
    return sandbox_wecom


@pytest.fixture
def store(redis: Redis, keys: RedisKeys, wecom: WeComClient) -> GroupWelcomeStore:
    return GroupWelcomeStore(redis, keys, wecom.external_contact)


def welcome(text: str = "欢迎 %NICKNAME% 入群！", **fields: Any) -> GroupWelcome:
    return GroupWelcome(fields.pop("id", ""), fields.pop("name", "新人群"), text, **fields)


async def test_save_creates_in_wecom_then_here(
    store: GroupWelcomeStore, live_sandbox: Sandbox
) -> None:
    saved = await store.save(welcome(attachment=LINK))
    assert saved.id and saved.template_id and saved.updated_at > 0
    assert live_sandbox.state.group_templates == {
        saved.template_id: {
            "text": {"content": "欢迎 %NICKNAME% 入群！"},
            "link": {
                "title": "入群须知",
                "url": "https://example.com/rules",
                "picurl": "",
                "desc": "",
            },
        }
    }
    assert await store.get(saved.id) == saved
    assert await store.list() == [saved]


async def test_edit_changes_the_template_in_wecom(
    store: GroupWelcomeStore, live_sandbox: Sandbox
) -> None:
    saved = await store.save(welcome(attachment=LINK))
    # as the CLI sends it: the id, not WeCom's template_id
    edited = await store.save(replace(saved, text="", attachment=IMAGE, template_id=""))
    assert edited.template_id == saved.template_id
    assert live_sandbox.state.group_templates == {saved.template_id: {"image": IMAGE["image"]}}
    assert await store.get(saved.id) == edited
    with pytest.raises(TemplateError, match="没有群欢迎语 nope"):
        await store.save(welcome(id="nope"))


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"text": "好" * 1000 + "!"}, "3001 字节，超过企业微信入群欢迎语 3000 字节的上限"),
        (
            {"attachment": {"msgtype": "link", "link": LINK["link"], "image": IMAGE["image"]}},
            "2 个附件（image、link），企业微信入群欢迎语最多 1 个",
        ),
        ({"text": "欢迎 %FOO% 和 %nickname%"}, "不认识的占位符 %FOO%, %nickname%"),
        ({"text": "欢迎 %FOO%"}, "只支持 %NICKNAME%"),
        ({"text": "{{ customer_name }}您好"}, "客户昵称请写 %NICKNAME%"),
        ({"name": " "}, "需要一个名称"),
        ({"text": ""}, "文字和附件不能都为空"),
        (
            {"attachment": {"msgtype": "link", "link": {"title": "标" * 50, "url": "https://x"}}},
            "title 共 150 字节，上限 128 字节",
        ),
        ({"attachment": {"msgtype": "video", "video": {}}}, "缺少视频文件"),
        ({"attachment": {"msgtype": "product", "product": {"id": "p1"}}}, "附件只能是"),
    ],
)
def test_refused_before_wecom_naming_the_limit(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(TemplateError) as caught:
        validate(welcome(**fields), None)
    assert message in str(caught.value)


def test_a_list_of_attachments_holds_one_at_most() -> None:
    assert single_attachment([]) is None
    assert single_attachment([LINK]) == LINK
    with pytest.raises(TemplateError, match="有 2 个附件，企业微信入群欢迎语最多 1 个"):
        single_attachment([LINK, IMAGE])


async def test_refusals_reach_neither_wecom_nor_redis(
    store: GroupWelcomeStore, live_sandbox: Sandbox, redis: Redis, keys: RedisKeys
) -> None:
    guard = TextGuard(lambda: SensitiveFilter.from_words([("竞品甲", "competitor")]), redis, keys)
    with pytest.raises(TemplateError, match="「竞品-甲」（竞品）"):
        await store.save(welcome("我们比竞品-甲好"), guard)
    link = {"msgtype": "link", "link": {"title": "竞品甲的对比", "url": "https://x"}}
    with pytest.raises(TemplateError, match="「竞品甲」（竞品）"):
        await store.save(welcome(attachment=link), guard)
    with pytest.raises(TemplateError, match="3000 字节"):
        await store.save(welcome("好" * 1001))
    assert live_sandbox.calls_to(ADD) == [] and await store.list() == []


async def test_a_wecom_failure_changes_nothing_here(
    store: GroupWelcomeStore, live_sandbox: Sandbox
) -> None:
    live_sandbox.faults.add(ADD, errcode=48002, times=1)
    with pytest.raises(WeComError) as caught:
        await store.save(welcome())
    assert caught.value.errcode == 48002
    assert await store.list() == [] and live_sandbox.state.group_templates == {}

    saved = await store.save(welcome())
    live_sandbox.faults.add(EDIT, errcode=48002, times=1)
    with pytest.raises(WeComError):
        await store.save(replace(saved, text="改过的"))
    assert await store.get(saved.id) == saved
    assert live_sandbox.state.group_templates[saved.template_id]["text"] == {
        "content": "欢迎 %NICKNAME% 入群！"
    }


async def test_sync_recreates_the_deleted_and_fixes_the_drifted(
    store: GroupWelcomeStore, live_sandbox: Sandbox
) -> None:
    gone = await store.save(welcome("一", attachment=LINK))
    drifted = await store.save(welcome("二"))
    fine = await store.save(welcome("三", attachment=IMAGE))
    templates = live_sandbox.state.group_templates
    del templates[gone.template_id]  # deleted in the admin console
    templates[drifted.template_id] = {"text": {"content": "别人改过"}, "image": IMAGE["image"]}

    report = await store.sync()
    assert sorted(report) == sorted(
        [(gone.id, "recreated"), (drifted.id, "updated"), (fine.id, "ok")]
    )
    recreated = await store.get(gone.id)
    assert recreated is not None and recreated.template_id != gone.template_id
    assert templates[recreated.template_id]["text"] == {"content": "一"}
    assert templates[recreated.template_id]["link"]["url"] == "https://example.com/rules"
    assert templates[drifted.template_id] == {"text": {"content": "二"}}
    assert len(templates) == 3
    assert {action for _, action in await store.sync()} == {"ok"}


async def test_sync_does_not_push_a_text_holding_a_word_blocked_since(
    store: GroupWelcomeStore, live_sandbox: Sandbox, redis: Redis, keys: RedisKeys
) -> None:
    saved = await store.save(welcome("欢迎 %NICKNAME%，本群全网最低价"))
    del live_sandbox.state.group_templates[saved.template_id]
    words = SensitiveFilter.from_words([("全网最低价", "ad_law")], actions={"ad_law": "block"})
    guard = TextGuard(lambda: words, redis, keys)

    [(welcome_id, action)] = await store.sync(guard)
    assert welcome_id == saved.id and action.startswith("blocked") and "全网最低价" in action
    assert len(live_sandbox.calls_to(ADD)) == 1  # the save's own; nothing pushed again
    assert live_sandbox.state.group_templates == {}


async def test_delete_in_wecom_and_here_unless_greeting(
    store: GroupWelcomeStore, live_sandbox: Sandbox
) -> None:
    first = await store.save(welcome())
    assert await store.delete(first.id)
    assert live_sandbox.state.group_templates == {} and await store.get(first.id) is None
    assert not await store.delete(first.id)

    already_gone = await store.save(welcome())
    live_sandbox.state.group_templates.clear()
    assert await store.delete(already_gone.id) and await store.list() == []

    used = await store.save(welcome())
    await store.set_greeting("wrChatA", used.id)
    await store.set_greeting("*", used.id)
    with pytest.raises(TemplateError, match=r"正用于这些群的入群问候：\*、wrChatA"):
        await store.delete(used.id)
    assert (
        await store.get(used.id) == used and used.template_id in live_sandbox.state.group_templates
    )
    assert await store.clear_greeting("wrChatA") and await store.clear_greeting("*")
    assert await store.delete(used.id)


async def test_the_groups_own_greeting_before_every_groups(store: GroupWelcomeStore) -> None:
    general = await store.save(welcome("大家好"))
    vip = await store.save(welcome("VIP 群欢迎您"))
    assert await store.greeting_for("wrVip") is None
    await store.set_greeting("*", general.id)
    assert await store.greeting_for("wrVip") == general
    await store.set_greeting("wrVip", vip.id)
    assert await store.greeting_for("wrVip") == vip
    assert await store.greeting_for("wrOther") == general
    assert await store.greetings() == {"*": general.id, "wrVip": vip.id}
    assert await store.clear_greeting("*") and not await store.clear_greeting("*")
    assert await store.greeting_for("wrOther") is None
    with pytest.raises(TemplateError, match="没有群欢迎语 nope"):
        await store.set_greeting("wrVip", "nope")
    with pytest.raises(TemplateError, match="客户群 ID"):
        await store.set_greeting(" ", vip.id)


async def test_joins_are_recorded_end_to_end(
    sandbox_bot: TestServer,
    live_sandbox: Sandbox,
    store: GroupWelcomeStore,
    redis: Redis,
    keys: RedisKeys,
) -> None:
    greeted = await store.save(welcome())
    await store.set_greeting("wrGreeted", greeted.id)
    joined = await live_sandbox.customer_joins_group("wrGreeted", ["wmAnn", "wmBob"])
    quiet = await live_sandbox.customer_joins_group("wrQuiet", "wmCat", join_scene=0)
    assert joined.delivered and quiet.delivered

    async def handled() -> bool:  # the pipeline deletes each event once its handlers succeeded
        return await redis.xlen(keys.events) == 0

    await wait_until(handled)
    [(_, entry)] = await redis.xrange(keys.group_greetings)
    event = parse_event(joined.xml)
    assert isinstance(event, ExternalChatUpdate)
    assert entry == {
        "chat_id": "wrGreeted",
        "members": json.dumps(["wmAnn", "wmBob"]),
        "member_count": "2",
        "join_scene": "3",
        "group_welcome_id": greeted.id,
        "template_id": greeted.template_id,
        "create_time": str(event.create_time),
        "cur_mem_ver": event.cur_mem_ver,
    }
    assert await store.stats() == {f"{greeted.id}:events": 1, f"{greeted.id}:members": 2}


async def test_a_join_handled_twice_is_recorded_once(
    store: GroupWelcomeStore,
    redis: Redis,
    keys: RedisKeys,
    sandbox_settings: Settings,
    wecom: WeComClient,
) -> None:
    saved = await store.save(welcome())
    await store.set_greeting("*", saved.id)
    xml = chat_event(
        sandbox_settings.corp_id,
        1700000000,
        "wrAny",
        "update",
        [("UpdateDetail", "add_member"), ("JoinScene", 0), ("MemChangeList", ["wmDan"])],
    )
    event = parse_event(xml)
    assert isinstance(event, ExternalChatUpdate)
    ctx = handler_context(sandbox_settings, redis, wecom).for_delivery(
        Delivery("1700000000000-0", 0, 1)
    )
    await record_join_greeting(event, ctx)
    await record_join_greeting(event, ctx.for_delivery(Delivery("1700000000000-0", 0, 2)))
    assert await redis.xlen(keys.group_greetings) == 1
    assert await store.stats() == {f"{saved.id}:events": 1, f"{saved.id}:members": 1}


async def _cli(argv: list[str]) -> int:
    """The CLI runs its own event loop, so it runs in a worker thread beside the test's."""
    return await asyncio.to_thread(main, argv)


async def test_group_welcome_commands(
    sandbox_cli_env: Settings,
    live_sandbox: Sandbox,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    attachment = tmp_path / "link.json"
    attachment.write_text(json.dumps([LINK]), encoding="utf-8")

    set_args = ["group-welcome", "set", "--name", "新人群", "--text", "欢迎 %NICKNAME%"]
    assert await _cli([*set_args, "--file", str(attachment)]) == 0
    saved = json.loads(capsys.readouterr().out)
    remote = live_sandbox.state.group_templates[saved["template_id"]]
    assert remote["text"] == {"content": "欢迎 %NICKNAME%"}
    assert remote["link"]["url"] == "https://example.com/rules"

    assert await _cli(["group-welcome", "greet", "wrCli", saved["id"]]) == 0
    capsys.readouterr()
    assert await _cli(["group-welcome", "remove", saved["id"]]) == 2
    assert "wrCli" in capsys.readouterr().err
    live_sandbox.state.group_templates.clear()
    assert await _cli(["group-welcome", "sync"]) == 0
    assert json.loads(capsys.readouterr().out) == [{"id": saved["id"], "action": "recreated"}]
    assert await _cli(["group-welcome", "show", saved["id"]]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["greets"] == ["wrCli"] and shown["template_id"] != saved["template_id"]
    assert await _cli(["group-welcome", "greetings"]) == 0
    assert json.loads(capsys.readouterr().out) == {
        "greetings": {"wrCli": saved["id"]},
        "stats": {},
    }
    assert await _cli(["group-welcome", "ungreet", "wrCli"]) == 0
    assert json.loads(capsys.readouterr().out) == {"removed": True}
    assert await _cli(["group-welcome", "remove", saved["id"]]) == 0
    assert json.loads(capsys.readouterr().out) == {"removed": True}
    assert live_sandbox.state.group_templates == {}

    # refused input exits 2, a WeCom error 1, each with one readable line
    assert await _cli(["group-welcome", "set", "--name", "n", "--text", "好" * 1001]) == 2
    assert "3003 字节，超过企业微信入群欢迎语 3000 字节的上限" in capsys.readouterr().err
    assert await _cli(["group-welcome", "set", "--name", "n", "--text", "全网最好的群"]) == 2
    assert "「全网最好」（广告法极限词）" in capsys.readouterr().err  # the starter list applies
    live_sandbox.faults.add(ADD, errcode=48002, times=1)
    assert await _cli(["group-welcome", "set", "--name", "n", "--text", "欢迎"]) == 1
    assert "企业微信接口错误 48002" in capsys.readouterr().err
    assert await _cli(["group-welcome", "show", "nope"]) == 2
    assert await _cli(["group-welcome", "list"]) == 0
    assert json.loads(capsys.readouterr().out) == []
