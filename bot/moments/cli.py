"""`scrm-bot moments …`: moments tasks (客户朋友圈 企业发表) — create, follow, remind, cancel."""

from __future__ import annotations

import argparse
from pathlib import Path

from bot.cli.output import csv_list, in_context, print_json
from bot.config import Settings
from bot.context import HandlerContext
from bot.media import MediaError
from bot.moments.model import MomentError, MomentTask
from bot.moments.report import line, view
from bot.moments.runner import cancel, launch, refresh, remind, save_new


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    moments = commands.add_parser("moments", help="moments tasks (客户朋友圈)")
    actions = moments.add_subparsers(dest="action", required=True, metavar="ACTION")
    actions.add_parser("list", help="every task, newest first")
    create = actions.add_parser("create", help="create a task and make it in WeCom now")
    create.add_argument("--name", required=True)
    create.add_argument("--text", default="", help="≤2,000 characters")
    create.add_argument("--image", type=Path, action="append", default=[], help="≤9, PNG/JPEG")
    create.add_argument("--video", type=Path, default=None, help="one MP4")
    create.add_argument("--link-title", default="")
    create.add_argument("--link-url", default="", help="https://…")
    create.add_argument("--staff", type=csv_list, default=[], help="members who publish")
    create.add_argument("--departments", type=csv_list, default=[], help="department ids")
    create.add_argument("--tags", type=csv_list, default=[], help="corp tag ids who may see it")
    for name, text in (
        ("show", "a task: who has published, who can see it, comments and likes (read now)"),
        ("remind", "message the members who haven't published (once a day each)"),
        ("cancel", "stop: members who haven't published can no longer"),
    ):
        actions.add_parser(name, help=text).add_argument("id")


async def run(settings: Settings, args: argparse.Namespace) -> int:
    return await in_context(settings, lambda ctx: _run(ctx, args))


async def _run(ctx: HandlerContext, args: argparse.Namespace) -> int:
    store = ctx.services.moments
    if args.action == "list":
        print_json([line(t) for t in await store.all()])
        return 0
    if args.action == "create":
        new = await save_new(
            ctx, await _task(ctx, args), by=str(getattr(args, "actor", "") or "cli")
        )
        print_json(await view(ctx, await launch(ctx, new) or new))
        return 0
    task = await store.get(args.id)
    if task is None:
        raise MomentError(f"没有编号为 {args.id[:20]} 的朋友圈任务")
    if args.action == "show":
        print_json(await view(ctx, await refresh(ctx, task)))
    elif args.action == "remind":
        print_json({"reminded": await remind(ctx, task)})
    else:
        print_json(line(await cancel(ctx, task)))
    return 0


async def _task(ctx: HandlerContext, args: argparse.Namespace) -> MomentTask:
    media = ctx.services.media
    try:
        images = [await media.add("image", p.name, p.read_bytes()) for p in args.image]
        video = (
            await media.add("video", args.video.name, args.video.read_bytes()) if args.video else ""
        )
    except (OSError, MediaError) as exc:
        raise MomentError(f"附件没有上传：{exc}") from None
    try:
        departments = tuple(int(d) for d in args.departments)
    except ValueError:
        raise MomentError("部门应是数字编号") from None
    return MomentTask(
        "",
        args.name,
        args.text,
        tuple(images),
        video,
        args.link_title,
        args.link_url,
        tuple(args.staff),
        departments,
        tuple(args.tags),
    )
