"""`scrm-bot mass …`: mass-send tasks (群发助手) — preview, create, follow, remind, cancel."""

from __future__ import annotations

import argparse
from pathlib import Path

from bot.cli.output import in_context, print_json
from bot.config import Settings
from bot.context import HandlerContext
from bot.mass import actions
from bot.mass.create import make, preview
from bot.mass.model import MassError, MassTask, from_dict
from bot.mass.report import preview_view, task_line, task_view
from bot.mass.results import refresh
from bot.typed_input import read_json_object

TASK_FILE_HELP = (
    'JSON: {"name", "text", "attachments", "chat_type": "single"|"group", "audience": '
    '{"tags_all", "tags_any", "segments", "channels", "added_within_days", "staff", '
    '"departments", "group_name"}, "mode": "unified"|"select", "not_before": '
    '"YYYY-MM-DD HH:MM", "skip_recent": "none"|"day"|"week"}'
)


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    mass = commands.add_parser("mass", help="mass-send tasks (群发助手)")
    actions_ = mass.add_subparsers(dest="action", required=True, metavar="ACTION")
    actions_.add_parser("list", help="every task, newest first")
    for name, text in (
        ("preview", "whom a task file would reach per member, and who is left out"),
        ("create", "save a task (made at its start time, or at once with --now)"),
    ):
        sub = actions_.add_parser(name, help=text)
        sub.add_argument("file", type=Path, help=TASK_FILE_HELP)
        if name == "create":
            sub.add_argument("--now", action="store_true", help="make its WeCom tasks now")
    for name, text in (
        ("show", "a task: its WeCom tasks, who was left out, results (read now)"),
        ("pause", "hold a task not made yet"),
        ("resume", "release a paused task"),
        ("remind", "have WeCom remind the members who haven't sent (3 a day)"),
        ("cancel", "cancel: members who haven't sent no longer can"),
    ):
        actions_.add_parser(name, help=text).add_argument("id")


async def run(settings: Settings, args: argparse.Namespace) -> int:
    return await in_context(settings, lambda ctx: _run(ctx, args))


async def _run(ctx: HandlerContext, args: argparse.Namespace) -> int:
    if args.action == "list":
        tasks = await ctx.services.mass.all()
        print_json([{"id": t.id, "line": task_line(t), "status": t.status} for t in tasks])
    elif args.action == "preview":
        task = _from_file(args.file)
        await actions.check(ctx, task)
        print_json(await preview_view(ctx, task, await preview(ctx, task)))
    elif args.action == "create":
        task = await actions.save_new(ctx, _from_file(args.file), by=_author(args))
        if args.now:
            task = await make(ctx, task) or task
        print_json(await task_view(ctx, task))
    elif args.action == "show":
        task = await actions.task_or_error(ctx, args.id)
        if task.status == "sent":
            await refresh(ctx, task)
        print_json(await task_view(ctx, task))
    else:
        print_json(await _change(ctx, args.action, args.id))
    return 0


async def _change(ctx: HandlerContext, action: str, task_id: str) -> dict[str, object]:
    if action == "pause":
        return {"status": (await actions.pause(ctx, task_id)).status}
    if action == "resume":
        return {"status": (await actions.resume(ctx, task_id)).status}
    if action == "remind":
        return {"reminded": await actions.remind(ctx, task_id)}
    task, count = await actions.cancel(ctx, task_id)
    return {"status": task.status, "wecom_tasks_cancelled": count}


def _from_file(path: Path) -> MassTask:
    try:
        return from_dict(read_json_object(path))
    except MassError as exc:
        raise MassError(f"{path.name}：{exc}") from None


def _author(args: argparse.Namespace) -> str:
    return str(getattr(args, "actor", "") or "cli")
