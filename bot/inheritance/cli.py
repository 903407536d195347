"""`scrm-bot inherit …`: customers and groups of a member handed to others (离职继承, 在职继承)."""

from __future__ import annotations

import argparse
from collections import Counter

from bot.cli.output import csv_list, in_context, print_json
from bot.config import Settings
from bot.context import HandlerContext
from bot.inheritance.assign import RULES
from bot.inheritance.report import line, view
from bot.inheritance.runner import InheritError, poll, start
from bot.storage.locks import RedisLock


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    inherit = commands.add_parser("inherit", help="inheritance: resigned and on-job hand-overs")
    actions = inherit.add_subparsers(dest="action", required=True, metavar="ACTION")
    actions.add_parser("waiting", help="customers of resigned members waiting, per member")
    for kind, text in (("resigned", "离职继承"), ("onjob", "在职继承")):
        sub = actions.add_parser(kind, help=f"hand a member's customers and groups over ({text})")
        sub.add_argument("--from", dest="handover", required=True, help="the member leaving")
        sub.add_argument("--to", type=csv_list, required=True, help="takeover members")
        sub.add_argument("--rule", choices=RULES, default="round_robin")
        sub.add_argument("--customers", type=csv_list, default=None, help="only these")
        sub.add_argument("--no-groups", action="store_true", help="leave the groups")
        if kind == "onjob":
            sub.add_argument("--message", default="", help="to the customers, ≤200 characters")
    actions.add_parser("list", help="every hand-over")
    actions.add_parser("show", help="one hand-over, read from WeCom now").add_argument("id")


async def run(settings: Settings, args: argparse.Namespace) -> int:
    return await in_context(settings, lambda ctx: _run(ctx, args))


async def _run(ctx: HandlerContext, args: argparse.Namespace) -> int:
    store = ctx.services.inheritance
    if args.action == "waiting":
        rows = await ctx.wecom.transfer.unassigned()
        per = Counter(str(r.get("handover_userid", "")) for r in rows)
        names = ctx.services.names
        print_json({await names.staff_for_admins(m): n for m, n in per.most_common()})
    elif args.action == "list":
        print_json([line(h) for h in await store.all()])
    elif args.action == "show":
        handover = await store.get(args.id)
        if handover is None:
            raise InheritError(f"没有编号为 {args.id[:20]} 的继承任务")
        async with RedisLock(ctx.redis, ctx.keys.inherit_lock, ttl=600, wait=30):
            await poll(ctx, handover)
        print_json(await view(ctx, await store.get(args.id) or handover))
    else:
        async with RedisLock(ctx.redis, ctx.keys.inherit_lock, ttl=600, wait=30):
            made = await start(
                ctx,
                args.action,
                args.handover,
                args.to,
                args.rule,
                by=str(getattr(args, "actor", "") or "cli"),
                customers=args.customers,
                groups=not args.no_groups,
                message=getattr(args, "message", ""),
            )
        print_json(await view(ctx, made))
    return 0
