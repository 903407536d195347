"""`scrm-bot wecom-stats …`: WeCom's own statistics pulled into ours, and the days where WeCom's
new customers and ours disagree."""

from __future__ import annotations

import argparse
from datetime import date, datetime, timedelta

from bot.cli.output import in_context, print_json
from bot.clock import CORP_TIME
from bot.config import Settings
from bot.context import HandlerContext
from bot.errors import UserError
from bot.wecom_stats.pull import WECOM_KEEPS, pull
from bot.wecom_stats.reconcile import DEFAULT_THRESHOLD, reconcile


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    stats = commands.add_parser("wecom-stats", help="WeCom's own statistics, and reconciliation")
    actions = stats.add_subparsers(dest="action", required=True, metavar="ACTION")
    got = actions.add_parser("pull", help="read WeCom's figures of the last N days (≤180)")
    got.add_argument("--days", type=int, default=30)
    check = actions.add_parser("check", help="our new customers beside WeCom's, flagged days")
    check.add_argument("--days", type=int, default=30)
    check.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD, help="share, 0.05")


async def run(settings: Settings, args: argparse.Namespace) -> int:
    return await in_context(settings, lambda ctx: _run(ctx, args))


async def _run(ctx: HandlerContext, args: argparse.Namespace) -> int:
    if not 1 <= args.days <= 400:
        raise UserError("天数应在 1 到 400 之间")
    yesterday = datetime.now(CORP_TIME).date() - timedelta(days=1)
    if args.action == "pull":
        first = yesterday - timedelta(days=min(args.days, WECOM_KEEPS) - 1)
        print_json({"rows": await pull(ctx, first, yesterday)})
        return 0
    names = ctx.services.names
    checks = await reconcile(ctx, yesterday, args.days, args.threshold)
    print_json(
        [
            {
                "day": _day(c.day),
                "ours": c.ours,
                "wecom": c.wecom,
                "flagged": c.flagged,
                "members": {
                    await names.staff_for_admins(m): {"ours": o, "wecom": w}
                    for m, (o, w) in c.members.items()
                },
                "wecom_figures": c.wecom_figures,
            }
            for c in checks
        ]
    )
    return 0


def _day(day: date) -> str:
    return day.isoformat()
