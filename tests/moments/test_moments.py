"""Moments tasks end to end through the sandbox: created once however many workers launch it,
its job read until done (the members and tags WeCom refused kept), each member's publish status,
a reminder to those who haven't published (once a day), reach (who can see it, comments,
likes) once they have, and cancel; bad tasks refused in Chinese; the CLI shows names."""

from __future__ import annotations

import asyncio
import io
import json

import pytest
from PIL import Image
from redis.asyncio import Redis

from bot.cli import main
from bot.config import Settings
from bot.context import HandlerContext
from bot.moments.model import MomentError, MomentTask
from bot.moments.periodic import round_
from bot.moments.runner import cancel, launch, refresh, remind, save_new
from bot.sandbox import Sandbox
from bot.sandbox.routes_moments import CREATE_SECONDS
from bot.sandbox.state import FollowUser, Tag
from bot.wecom import WeComClient
from tests.helpers import handler_context


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 64), "#cde").save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def ctx(sandbox_settings: Settings, redis: Redis, sandbox_wecom: WeComClient) -> HandlerContext:
    return handler_context(sandbox_settings, redis, sandbox_wecom)


async def test_job_result_publish_status_reminder_and_reach(
    ctx: HandlerContext, live_sandbox: Sandbox
) -> None:
    live_sandbox.state.tags["etVIP"] = Tag("etVIP", "VIP", "eg1", 0)
    for eid in ("wm1", "wm2"):
        live_sandbox.state.follows[("zhangsan", eid)] = FollowUser(
            "zhangsan", eid, 0, tag_ids=["etVIP"]
        )
    image = await ctx.services.media.add("image", "new.png", _png())
    task = await save_new(
        ctx,
        MomentTask(
            "",
            "冬季上新",
            "冬季新品到店",
            images=(image,),
            staff=("zhangsan", "lisi", "ghost"),
            tags=("etVIP",),
        ),
        by="admin1",
    )
    # two workers at once: one WeCom task
    made = await asyncio.gather(round_(ctx), round_(ctx))
    assert sum(made) >= 1
    assert len(live_sandbox.state.moments) == 1
    [moment] = live_sandbox.state.moments.values()
    assert moment.text == "冬季新品到店" and moment.attachments[0]["msgtype"] == "image"
    current = await ctx.services.moments.get(task.id)
    assert current is not None and current.status == "created" and current.jobid == moment.jobid

    current = await refresh(ctx, current)  # the job is still running: nothing yet
    assert current.moment_id == ""
    live_sandbox.advance(CREATE_SECONDS)
    current = await refresh(ctx, current)
    assert current.moment_id == moment.moment_id
    assert current.invalid == {"users": ["ghost"]}
    members = await ctx.services.moments.members(task.id)
    assert {m: r["published"] for m, r in members.items()} == {"zhangsan": False, "lisi": False}

    assert await remind(ctx, current) == 2
    assert await remind(ctx, current) == 0  # once a day each
    assert any("冬季上新" in str(m.content) for m in live_sandbox.app_messages("lisi"))

    live_sandbox.member_publishes_moment(moment.moment_id, "zhangsan")
    live_sandbox.customer_reacts(moment.moment_id, "zhangsan", "wm1", like=True)
    current = await refresh(ctx, current)
    row = (await ctx.services.moments.members(task.id))["zhangsan"]
    assert (row["published"], row["seen_by"], row["likes"], row["comments"]) == (True, 2, 1, 0)
    cancelled = await cancel(ctx, current)
    assert cancelled.status == "cancelled" and moment.cancelled
    with pytest.raises(MomentError, match="现在不能取消"):
        await cancel(ctx, cancelled)


async def test_everyone_published_ends_the_task(ctx: HandlerContext, live_sandbox: Sandbox) -> None:
    task = await save_new(ctx, MomentTask("", "早安", "早安", staff=("zhangsan",)), by="admin1")
    current = await launch(ctx, task)
    assert current is not None and await launch(ctx, task) is None  # claimed once
    live_sandbox.advance(CREATE_SECONDS)
    current = await refresh(ctx, current)
    live_sandbox.member_publishes_moment(current.moment_id, "zhangsan")
    assert (await refresh(ctx, current)).status == "done"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": ""}, "任务名称需要"),
        ({"text": "好" * 2001}, "最多 2000 字"),
        ({"text": "", "images": ()}, "不能都为空"),
        ({"images": ("image-x",), "link_url": "https://x", "link_title": "x"}, "只能是"),
        ({"link_url": "http://x", "link_title": "x"}, "https://"),
        ({"staff": ()}, "需要发表的员工或部门"),
        ({"images": ("image-nope",)}, "不在素材库中"),
    ],
)
async def test_bad_tasks_are_refused(
    ctx: HandlerContext, changes: dict[str, object], message: str
) -> None:
    fields: dict[str, object] = {
        "id": "",
        "name": "周末",
        "text": "周末愉快",
        "staff": ("zhangsan",),
    }
    with pytest.raises(MomentError, match=message):
        await save_new(ctx, MomentTask(**(fields | changes)), by="admin1")  # type: ignore[arg-type]
    assert await ctx.services.moments.all() == []


async def test_the_cli_creates_and_shows_by_name(
    sandbox_cli_env: Settings, live_sandbox: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    run = asyncio.to_thread
    argv = ["moments", "create", "--name", "周五福利", "--text", "周五抽奖", "--staff", "zhangsan"]
    assert await run(main, argv) == 0
    made = json.loads(capsys.readouterr().out)
    assert made["status"] == "待员工发表"
    live_sandbox.advance(CREATE_SECONDS)
    assert await run(main, ["moments", "show", made["id"]]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["members"] == {"张三": {"published": False}} and shown["pending"] == 1
    assert await run(main, ["moments", "show", "zzzzzz"]) == 2
    assert "没有编号为 zzzzzz 的朋友圈任务" in capsys.readouterr().err
