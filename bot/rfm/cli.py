"""`scrm-bot rfm ...`: import orders from CSV, recompute the segments now, show the results."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from bot.cli.output import AdminServices, admin_services, print_json, reporting
from bot.config import Settings
from bot.rfm.corp_run import corp_runner
from bot.rfm.csv_import import import_orders
from bot.rfm.orders import OrderError, OrderStore
from bot.rfm.runner import latest_summary, segment_of
from bot.storage.locks import LockTimeout


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    rfm = commands.add_parser("rfm", help="orders and RFM customer segments")
    actions = rfm.add_subparsers(dest="action", required=True, metavar="ACTION")
    load = actions.add_parser(
        "import", help="import orders: order_id,external_userid,amount,paid_at[,refunded]"
    )
    load.add_argument("file", type=Path, metavar="FILE.csv")
    load.add_argument("--dry-run", action="store_true", help="check the file, store nothing")
    run = actions.add_parser("run", help="recompute the segments now and sync their tags")
    run.add_argument(
        "--all", action="store_true", help="sync every customer's tags, not only changed ones"
    )
    show = actions.add_parser("show", help="one customer's scores, or the latest run's summary")
    show.add_argument("external_userid", nargs="?", default="")


async def run(settings: Settings, args: argparse.Namespace) -> int:
    async with admin_services(settings) as services:
        try:
            return await reporting(_action(settings, services, args))
        except OrderError as exc:
            print(f"错误：{exc}", file=sys.stderr)
            return 2
        except LockTimeout:
            print("错误：另一个进程正在计算 RFM 分层，请稍后再试", file=sys.stderr)
            return 2


async def _action(settings: Settings, services: AdminServices, args: argparse.Namespace) -> int:
    redis, keys = services.redis, services.keys
    if args.action == "import":
        store = OrderStore(redis, keys)
        print_json(await import_orders(store, args.file, time.time(), dry_run=args.dry_run))
    elif args.action == "run":
        runner = corp_runner(redis, keys, services.wecom, settings)  # as the daily run: SOPs too
        report = await runner.run(time.time(), resync_all=args.all)
        print_json(report.as_dict())
    elif args.external_userid:
        found = await segment_of(redis, keys, args.external_userid)
        if found is None:
            print(
                f"错误：客户 {args.external_userid} 还没有 RFM 分层"
                "（没有订单，或导入后尚未计算：scrm-bot rfm run）",
                file=sys.stderr,
            )
            return 2
        print_json({"external_userid": args.external_userid, **found})
    else:
        summary = await latest_summary(redis, keys)
        print_json({"orders": await OrderStore(redis, keys).count(), "latest_run": summary})
    return 0
