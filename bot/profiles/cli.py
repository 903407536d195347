"""`scrm-bot profile EXTERNAL_USERID`: what the bot keeps about one customer, as JSON; and
`scrm-bot profiles sync`: the first sync of every customer from WeCom (`bot.profiles.sync`)."""

from __future__ import annotations

import argparse
import sys
import time

from bot.cli.output import admin_services, csv_list, print_json
from bot.config import Settings
from bot.profiles.sync import FirstSync, SyncReport
from bot.rfm.runner import segment_of
from bot.wecom import WeComError


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    profiles = commands.add_parser("profiles", help="all customers' profiles")
    actions = profiles.add_subparsers(dest="action", required=True)
    sync = actions.add_parser("sync", help="read every customer from WeCom (the first sync)")
    sync.add_argument("--staff", type=csv_list, default=None, help="only these members' customers")
    profile = commands.add_parser("profile", help="one customer's stored profile")
    profile.add_argument("external_userid")
    profile.add_argument(
        "--refresh", action="store_true", help="read WeCom's record first (externalcontact/get)"
    )


async def run(settings: Settings, args: argparse.Namespace) -> int:
    if args.command == "profiles":
        return await _sync(settings, args.staff)
    async with admin_services(settings) as services:
        store = services.stores.profiles
        if args.refresh:
            try:
                data = await services.wecom.external_contact.get(args.external_userid)
            except WeComError as exc:
                print(f"无法读取企业微信中的客户：{exc.explanation}")
                return 1
            await store.record_contact(data, int(time.time()))
        profile = await store.get(args.external_userid)
        if not profile.known:
            print(f"没有客户 {args.external_userid} 的资料（可加 --refresh 从企业微信读取）")
            return 1
        shown = profile.to_dict()
        shown["rfm"] = await segment_of(services.redis, services.keys, args.external_userid)
        print_json(shown)
        return 0


async def _sync(settings: Settings, staff: list[str] | None) -> int:
    def progress(report: SyncReport) -> None:
        print(
            f"已读取 {report.pages} 页，客户 {len(report.customers)} 位",
            file=sys.stderr,
            flush=True,
        )

    async with admin_services(settings) as services:
        try:
            report = await FirstSync(services.stores, progress).run(staff)
        except WeComError as exc:
            print(f"企业微信接口错误 {exc.errcode}：{exc.explanation}", file=sys.stderr)
            return 1
    print_json(report.as_dict())
    return 0
