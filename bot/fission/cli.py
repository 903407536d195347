"""`scrm-bot fission …`: referral fission activities (裂变), participants and coupons."""

from __future__ import annotations

import argparse
import time
from dataclasses import asdict
from pathlib import Path

from bot.cli.output import AdminServices, admin_services, csv_list, print_json, reporting
from bot.config import Settings
from bot.fission.codes import join, personal_poster
from bot.fission.model import Activity, FissionError, parse_coupons
from bot.fission.poster import check_background
from bot.fission.report import (
    activity_numbers,
    progress_of,
    progress_text,
    retention,
    retention_view,
)
from bot.media import MediaLibrary

COUPON_BYTES = 4 * 1024 * 1024


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    fission = commands.add_parser("fission", help="referral fission activities (裂变)")
    actions = fission.add_subparsers(dest="action", required=True, metavar="ACTION")
    actions.add_parser("list", help="every activity")
    create = actions.add_parser("create", help="create an activity")
    create.add_argument("--name", required=True)
    create.add_argument("--staff", type=csv_list, required=True, help="members, comma-separated")
    create.add_argument("--start", required=True, help='corp time, "YYYY-MM-DD HH:MM"')
    create.add_argument("--end", required=True, help='corp time, "YYYY-MM-DD HH:MM"')
    create.add_argument("--goal", type=int, default=3, help="new friends to invite (default 3)")
    create.add_argument("--hold-hours", type=int, default=24, help="stay before counting")
    create.add_argument("--reward", choices=("message", "link", "coupon"), default="message")
    create.add_argument("--reward-text", default="", help="the message, or the link's title")
    create.add_argument("--reward-url", default="", help="the link (https://…)")
    create.add_argument("--poster", type=Path, default=None, help="the poster's background image")
    create.add_argument("--poster-text", default="")
    create.add_argument(
        "--groups",
        type=csv_list,
        default=None,
        help="a group goal: customer groups (≤5) the personal codes fill; friends otherwise",
    )
    show = actions.add_parser("show", help="an activity and its numbers")
    show.add_argument("id")
    joined = actions.add_parser("join", help="a participant's personal code (made once)")
    joined.add_argument("id")
    joined.add_argument("external_userid")
    progress = actions.add_parser("progress", help="a participant's progress (我的进度)")
    progress.add_argument("id")
    progress.add_argument("external_userid")
    poster = actions.add_parser("poster", help="a participant's poster PNG (their code on it)")
    poster.add_argument("id")
    poster.add_argument("external_userid")
    poster.add_argument("-o", "--output", type=Path, required=True, help="FILE.png")
    coupons = actions.add_parser("coupons", help="add coupon codes (one a line) to the pool")
    coupons.add_argument("id")
    coupons.add_argument("file", type=Path)


async def run(settings: Settings, args: argparse.Namespace) -> int:
    async with admin_services(settings) as services:
        return await reporting(_run(services, args))


async def _run(services: AdminServices, args: argparse.Namespace) -> int:
    store = services.stores.fission
    if args.action == "list":
        print_json([asdict(a) for a in await store.activities()])
        return 0
    if args.action == "create":
        print_json(
            asdict(
                await store.save(await _activity(services, args), await services.outgoing_guard())
            )
        )
        return 0
    activity = await store.get(args.id)
    if activity is None:
        raise FissionError(f"没有裂变活动 {args.id}")
    if args.action == "show":
        kept = await retention(
            store, services.stores.profiles, services.redis, services.keys, activity, time.time()
        )
        numbers = await activity_numbers(store, activity)
        print_json(asdict(activity) | numbers | {"retention": retention_view(kept)})
    elif args.action == "join":
        print_json(await join(store, activity, args.external_userid, services.wecom))
    elif args.action == "poster":
        media = MediaLibrary(services.redis, services.keys, services.wecom.media)
        name = await services.stores.names.customer(args.external_userid)
        png = await personal_poster(
            store, activity, args.external_userid, services.wecom, media, name
        )
        args.output.write_bytes(png)
        print_json({"poster": str(args.output), "bytes": len(png)})
    elif args.action == "progress":
        found = await progress_of(store, activity, args.external_userid)
        print_json(found | {"text": progress_text(activity, found)})
    else:
        codes = _coupons(args.file)
        print_json({"coupons": await store.add_coupons(activity.id, codes)})
    return 0


async def _activity(services: AdminServices, args: argparse.Namespace) -> Activity:
    poster = ""
    if args.poster is not None:
        content = args.poster.read_bytes()[: 10 * 1024 * 1024 + 1]
        check_background(content)
        media = MediaLibrary(services.redis, services.keys, services.wecom.media)
        poster = await media.add("image", args.poster.name, content)
    return Activity(
        "",
        args.name,
        list(args.staff),
        args.start,
        args.end,
        args.goal,
        args.hold_hours,
        args.reward,
        args.reward_text,
        args.reward_url,
        poster,
        args.poster_text,
        "group" if args.groups else "friends",
        list(args.groups or []),
    )


def _coupons(path: Path) -> list[str]:
    data = path.read_bytes()[: COUPON_BYTES + 1]
    if len(data) > COUPON_BYTES:
        raise FissionError(f"券码文件超过 {COUPON_BYTES // 1024 // 1024} MB")
    return parse_coupons(data.decode("utf-8-sig", "replace"))
