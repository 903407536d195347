"""`scrm-bot group-codes create|list|show|update|delete`: group live codes (群活码)."""

from __future__ import annotations

import argparse
from dataclasses import asdict, replace

from bot.cli.output import admin_services, csv_list, print_json, reporting
from bot.clock import corp_now
from bot.config import Settings
from bot.group_codes.codes import GroupCode, GroupCodeError
from bot.group_codes.report import CodeReport, report
from bot.group_codes.stats import GroupCodeStats
from bot.group_codes.store import GroupCodeStore
from bot.wecom.api.external_contact import ExternalContactAPI

SHOWN_DAYS = 7


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    codes = commands.add_parser("group-codes", help="group live codes (群活码)")
    actions = codes.add_subparsers(dest="action", required=True, metavar="ACTION")
    actions.add_parser("list", help="every group live code as JSON")
    actions.add_parser("show", help="one group live code").add_argument("id")
    for name in ("create", "update"):
        sub = actions.add_parser(name, help=f"{name} a group live code (in WeCom first)")
        if name == "update":
            sub.add_argument("id")
        sub.add_argument("--name", required=name == "create", default=None)
        sub.add_argument(
            "--chats",
            type=csv_list,
            required=name == "create",
            default=None,
            help="customer group ids, comma-separated, in the order they fill (at most 5)",
        )
        sub.add_argument(
            "--no-auto-create",
            dest="auto_create",
            action="store_false",
            default=None,
            help="no new group when all are full",
        )
        sub.add_argument("--room-name", default=None, help="new groups' name prefix")
        sub.add_argument("--room-base-id", type=int, default=None, help="new groups' first number")
    actions.add_parser("delete", help="delete a code (its QR code stops working)").add_argument(
        "id"
    )


def _shown(found: CodeReport) -> dict[str, object]:
    days = [{"day": d.isoformat(), "joins": j, "leaves": n} for d, j, n in found.days]
    spans = {
        f"last_{span.days}_days": {
            "joins": span.joins,
            "leaves": span.leaves,
            "net": span.net,
            "retention": span.retention,
        }
        for span in found.spans
    }
    groups = [asdict(group) | {"full": group.full} for group in found.groups]
    return asdict(found.code) | {
        "days": days,
        **spans,
        "groups": groups,
        "groups_created": found.created,
        "fill_error": found.fill_error or None,
    }


def _changed(code: GroupCode, args: argparse.Namespace) -> GroupCode:
    fields = {
        "name": args.name,
        "chat_ids": args.chats,
        "auto_create": args.auto_create,
        "room_base_name": args.room_name,
        "room_base_id": args.room_base_id,
    }
    return replace(code, **{k: v for k, v in fields.items() if v is not None})


async def run(settings: Settings, args: argparse.Namespace) -> int:
    async with admin_services(settings) as services:
        contact = services.wecom.external_contact
        stores = services.stores
        return await reporting(_run(stores.group_codes, stores.group_code_stats, contact, args))


async def _run(
    store: GroupCodeStore,
    stats: GroupCodeStats,
    contact: ExternalContactAPI,
    args: argparse.Namespace,
) -> int:
    if args.action == "list":
        print_json([asdict(c) for c in await store.list()])
    elif args.action == "create":
        print_json(asdict(await store.create(_changed(GroupCode("", "", []), args))))
    elif args.action == "delete":
        print_json({"deleted": (await store.delete(args.id)).id})
    else:
        code = await store.get(args.id)
        if code is None:
            raise GroupCodeError(f"没有群活码 {args.id}")
        if args.action == "show":
            print_json(_shown(await report(code, stats, contact, corp_now().date(), SHOWN_DAYS)))
        else:
            print_json(asdict(await store.update(_changed(code, args))))
    return 0
