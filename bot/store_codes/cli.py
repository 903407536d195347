"""`scrm-bot stores …`: store-code campaigns (门店活码) and their stores."""

from __future__ import annotations

import argparse
from dataclasses import asdict, replace
from pathlib import Path

from bot.cli.output import AdminServices, admin_services, print_json, reporting
from bot.clock import corp_now
from bot.config import Settings
from bot.store_codes.csv_import import MAX_BYTES, parse_stores
from bot.store_codes.model import Campaign, StoreCodeError
from bot.store_codes.report import store_numbers
from bot.store_codes.store import StoreCodeStore

SHOWN_DAYS = 7


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    stores = commands.add_parser("stores", help="store codes (门店活码): campaigns and stores")
    actions = stores.add_subparsers(dest="action", required=True, metavar="ACTION")
    actions.add_parser("list", help="every campaign, with its landing page path")
    for name in ("create", "update"):
        sub = actions.add_parser(name, help=f"{name} a campaign")
        if name == "update":
            sub.add_argument("id")
        sub.add_argument("--name", required=name == "create", default=None)
        sub.add_argument(
            "--backup",
            required=name == "create",
            default=None,
            help="the code shown outside the radius: channel:<id> or group:<id>",
        )
        sub.add_argument("--radius", type=int, default=None, help="metres (default 5000)")
        sub.add_argument(
            "--coordinates",
            choices=("gcj02", "wgs84"),
            default=None,
            help="of the stores: gcj02 (Amap, Tencent maps; default) or wgs84 (GPS)",
        )
    load = actions.add_parser("import", help="replace a campaign's stores from a CSV file")
    load.add_argument("id")
    load.add_argument("file", type=Path, help="name,city,address,lat,lng,code (UTF-8)")
    show = actions.add_parser("show", help="a campaign, its stores and their numbers")
    show.add_argument("id")
    show.add_argument("--days", type=int, default=SHOWN_DAYS, help="numbers of the last N days")
    actions.add_parser("delete", help="delete a campaign (its page answers 404)").add_argument("id")


async def run(settings: Settings, args: argparse.Namespace) -> int:
    async with admin_services(settings) as services:
        return await reporting(_run(services, settings, args))


async def _run(services: AdminServices, settings: Settings, args: argparse.Namespace) -> int:
    store = services.stores.store_codes
    if args.action == "list":
        base = settings.public_url.rstrip("/")
        print_json([asdict(c) | {"page": f"{base}/s/{c.id}"} for c in await store.campaigns()])
    elif args.action == "create":
        radius, coordinates = args.radius or 5000, args.coordinates or "gcj02"
        made = Campaign("", args.name, args.backup, radius, coordinates)
        print_json(asdict(await store.save_campaign(made)))
    elif args.action == "update":
        found = await _campaign(store, args.id)
        changes = {
            "name": args.name,
            "backup": args.backup,
            "radius_m": args.radius,
            "coordinates": args.coordinates,
        }
        changed = replace(found, **{k: v for k, v in changes.items() if v is not None})
        print_json(asdict(await store.save_campaign(changed)))
    elif args.action == "import":
        await _campaign(store, args.id)
        data = args.file.read_bytes()[: MAX_BYTES + 1]
        stores, lines = parse_stores(data)
        await store.replace_stores(args.id, stores, lines)
        print_json({"campaign": args.id, "stores": len(stores)})
    elif args.action == "show":
        found = await _campaign(store, args.id)
        today = corp_now().date()
        loads, rows = await store_numbers(services.redis, services.keys, found, args.days, today)
        numbers = {"days": args.days, "page_loads": loads, "stores": [r.as_dict() for r in rows]}
        print_json(asdict(found) | numbers)
    else:
        print_json({"deleted": (await store.delete_campaign(args.id)).id})
    return 0


async def _campaign(store: StoreCodeStore, campaign_id: str) -> Campaign:
    found = await store.campaign(campaign_id)
    if found is None:
        raise StoreCodeError(f"没有门店活码活动 {campaign_id}")
    return found
