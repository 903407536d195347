"""`scrm-bot links create|list|show|delete|quota`: customer acquisition links (获客助手)."""

from __future__ import annotations

import argparse
from dataclasses import asdict

from bot.acquisition.links import AcquisitionLink, LinkError
from bot.cli.output import AdminServices, admin_services, csv_list, print_json, reporting
from bot.clock import corp_now
from bot.config import Settings

SHOWN_DAYS = 7


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    links = commands.add_parser("links", help="customer acquisition links (获客助手)")
    actions = links.add_subparsers(dest="action", required=True, metavar="ACTION")
    actions.add_parser("list", help="every link, with the URL to hand out")
    create = actions.add_parser("create", help="create a link in WeCom")
    create.add_argument("--name", required=True)
    create.add_argument("--users", type=csv_list, required=True, help="members, comma-separated")
    create.add_argument("--verify", action="store_true", help="customers wait for approval")
    actions.add_parser("show", help="a link and its adds by day").add_argument("id")
    actions.add_parser("delete", help="delete a link (its URL stops working)").add_argument("id")
    actions.add_parser("quota", help="the corp's acquisition quota left")


async def run(settings: Settings, args: argparse.Namespace) -> int:
    async with admin_services(settings) as services:
        return await reporting(_run(services, args))


def _shown(link: AcquisitionLink) -> dict[str, object]:
    return asdict(link) | {"state": link.state, "attributed_url": link.attributed_url}


async def _run(services: AdminServices, args: argparse.Namespace) -> int:
    store = services.stores.acquisition_links
    if args.action == "list":
        print_json([_shown(link) for link in await store.links()])
    elif args.action == "create":
        made = AcquisitionLink("", args.name, list(args.users), skip_verify=not args.verify)
        print_json(_shown(await store.create(made)))
    elif args.action == "quota":
        print_json(await services.wecom.acquisition.quota())
    elif args.action == "delete":
        print_json({"deleted": (await store.delete(args.id)).id})
    else:
        link = await store.get(args.id)
        if link is None:
            raise LinkError(f"没有获客链接 {args.id}")
        days = await store.adds(link.id, SHOWN_DAYS, corp_now().date())
        shown = [{"day": day.isoformat(), "adds": adds} for day, adds in days]
        print_json(_shown(link) | {"days": shown})
    return 0
