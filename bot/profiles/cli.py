"""`scrm-bot profile EXTERNAL_USERID`: what the bot keeps about one customer, as JSON."""

from __future__ import annotations

import argparse
import time

from bot.cli.output import admin_services, print_json
from bot.config import Settings
from bot.rfm.runner import segment_of
from bot.wecom import WeComError


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    profile = commands.add_parser("profile", help="one customer's stored profile")
    profile.add_argument("external_userid")
    profile.add_argument(
        "--refresh", action="store_true", help="read WeCom's record first (externalcontact/get)"
    )


async def run(settings: Settings, args: argparse.Namespace) -> int:
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
