"""`scrm-bot group-welcome ...`: group welcome templates in WeCom and join greetings, JSON out.

`set` writes to WeCom first (see bot/welcome/group.py); `--file` holds the one attachment as
`{"msgtype": "link", "link": {...}}` (a list of one is taken too). `greet CHAT_ID|'*' ID` records
the joins of a group (or every group) under a template, for the SOP / mass-message flow.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

from bot.cli.output import admin_services, print_json, reporting
from bot.config import Settings
from bot.text.guard import TextGuard
from bot.typed_input import read_json
from bot.welcome.group import EVERY_GROUP, GroupWelcome, GroupWelcomeStore, single_attachment
from bot.welcome.templates import TemplateError


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    group = commands.add_parser("group-welcome", help="group welcome templates (入群欢迎语)")
    actions = group.add_subparsers(dest="action", required=True, metavar="ACTION")
    actions.add_parser("list", help="every group welcome as JSON")
    actions.add_parser("show", help="one group welcome and the groups it greets").add_argument("id")
    save = actions.add_parser("set", help="create or replace a group welcome (in WeCom first)")
    save.add_argument("--id", default="", help="the group welcome to replace (new when omitted)")
    save.add_argument("--name", required=True)
    save.add_argument("--text", default="", help="may use %%NICKNAME%% (≤3000 bytes)")
    save.add_argument("--file", type=Path, help="JSON of the one attachment")
    actions.add_parser("remove", help="delete in WeCom and here").add_argument("id")
    actions.add_parser("sync", help="make WeCom match the local copy")
    greet = actions.add_parser(
        "greet", help=f"greet a group's joiners ({EVERY_GROUP} = every group)"
    )
    greet.add_argument("chat", metavar="CHAT_ID")
    greet.add_argument("id")
    ungreet = actions.add_parser("ungreet", help="stop greeting a group's joiners")
    ungreet.add_argument("chat", metavar="CHAT_ID")
    actions.add_parser("greetings", help="greetings by group, and how many joins each recorded")


def _attachment(path: Path | None) -> dict[str, Any] | None:
    if path is None:
        return None
    data = read_json(path)
    if isinstance(data, list) and all(isinstance(item, dict) for item in data):
        return single_attachment(data)
    if not isinstance(data, dict):
        raise TemplateError(f"{path} 应是一个附件的 JSON 对象")
    return data


async def run(settings: Settings, args: argparse.Namespace) -> int:
    async with admin_services(settings) as services:
        store = services.stores.group_welcomes
        guard = await services.outgoing_guard() if args.action in ("set", "sync") else None
        return await reporting(_group_welcome(args, store, guard))


async def _group_welcome(
    args: argparse.Namespace, store: GroupWelcomeStore, guard: TextGuard | None
) -> int:
    if args.action == "list":
        print_json([asdict(w) for w in await store.list()])
    elif args.action == "show":
        welcome = await store.get(args.id)
        if welcome is None:
            print(f"错误：没有群欢迎语 {args.id}", file=sys.stderr)
            return 2
        chats = sorted(c for c, w in (await store.greetings()).items() if w == welcome.id)
        print_json(asdict(welcome) | {"greets": chats})
    elif args.action == "set":
        welcome = GroupWelcome(args.id, args.name, args.text, _attachment(args.file))
        print_json(asdict(await store.save(welcome, guard)))
    elif args.action == "remove":
        print_json({"removed": await store.delete(args.id)})
    elif args.action == "sync":
        print_json(
            [{"id": welcome_id, "action": action} for welcome_id, action in await store.sync(guard)]
        )
    elif args.action == "greet":
        await store.set_greeting(args.chat, args.id)
        print_json({"chat": args.chat, "group_welcome": args.id})
    elif args.action == "ungreet":
        print_json({"removed": await store.clear_greeting(args.chat)})
    else:
        print_json({"greetings": await store.greetings(), "stats": await store.stats()})
    return 0
