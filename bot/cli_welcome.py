"""`scrm-bot welcome ...` and `scrm-bot channels ...`: templates and channel codes, JSON out.

Simple cases take flags; time slots and attachments come in a JSON file with the fields of
`WelcomeTemplate` / `Channel` (see docs/operator-guide.md).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

from bot.cli_output import admin_services, csv_list, print_json, reporting
from bot.config import Settings
from bot.media import MediaError, MediaLibrary
from bot.text.guard import TextGuard
from bot.welcome.channels import Channel, ChannelStore, StaffSlot
from bot.welcome.contact_ways import ChannelManager
from bot.welcome.store import WelcomeStore
from bot.welcome.templates import SCOPES, TemplateError, TimeSlot, WelcomeTemplate


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    welcome = commands.add_parser("welcome", help="welcome templates")
    welcome.add_argument("--config", metavar="FILE", help="TOML file with SCRM_* keys")
    actions = welcome.add_subparsers(dest="action", required=True, metavar="ACTION")
    actions.add_parser("list", help="every template as JSON")
    actions.add_parser("show", help="one template").add_argument("id")
    save = actions.add_parser("set", help="create or replace a template")
    save.add_argument("--id", default="", help="the template to replace (new when omitted)")
    save.add_argument("--file", type=Path, help="JSON with every field (slots, attachments)")
    save.add_argument("--name", default="")
    save.add_argument("--scope", choices=SCOPES, default="default")
    save.add_argument(
        "--target", default="", help="channel state (ch:<id>), staff userid or department id"
    )
    save.add_argument("--text", default="")
    save.add_argument("--without-name", default="", help="text sent when the name is unknown")
    actions.add_parser("remove", help="delete a template").add_argument("id")
    actions.add_parser("stats", help="outcomes per template and channel")

    channels = commands.add_parser("channels", help="channel codes (渠道活码)")
    channels.add_argument("--config", metavar="FILE", help="TOML file with SCRM_* keys")
    actions = channels.add_subparsers(dest="action", required=True, metavar="ACTION")
    actions.add_parser("list", help="every channel as JSON")
    show = actions.add_parser("show", help="one channel with its stats")
    show.add_argument("id")
    for name, text in (("create", "create a channel code"), ("update", "change a channel")):
        sub = actions.add_parser(name, help=text)
        if name == "update":
            sub.add_argument("id")
        sub.add_argument("--file", type=Path, help="JSON with every field (slots)")
        sub.add_argument("--name", default="")
        sub.add_argument("--users", type=csv_list, default=[], help="comma-separated userids")
        sub.add_argument("--backup", type=csv_list, default=[])
        sub.add_argument("--daily-limit", type=int, default=0)
        sub.add_argument("--tags", type=csv_list, default=[], help="corp tag ids to mark")
    actions.add_parser("delete", help="delete a channel and its code").add_argument("id")


def _load(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise TemplateError(f"无法读取 {path}：{exc}") from None
    if not isinstance(data, dict):
        raise TemplateError(f"{path} 应是一个 JSON 对象")
    return data


def _template(args: argparse.Namespace) -> WelcomeTemplate:
    if args.file:
        raw = _load(args.file)
        raw.setdefault("id", args.id)
        try:
            raw["slots"] = [TimeSlot(**slot) for slot in raw.get("slots", [])]
            return WelcomeTemplate(**raw)
        except TypeError as exc:
            raise TemplateError(f"{args.file} 的字段不对：{exc}") from None
    return WelcomeTemplate(
        args.id,
        args.name or args.scope,
        args.scope,
        args.target,
        args.text,
        text_without_name=args.without_name,
    )


def _channel(args: argparse.Namespace, channel_id: str) -> Channel:
    if args.file:
        raw = _load(args.file)
        raw["id"] = channel_id
        try:
            raw["slots"] = [StaffSlot(**slot) for slot in raw.get("slots", [])]
            return Channel(**raw)
        except TypeError as exc:
            raise TemplateError(f"{args.file} 的字段不对：{exc}") from None
    return Channel(
        channel_id,
        args.name,
        args.users,
        backup=args.backup,
        daily_limit=args.daily_limit,
        tags=args.tags,
    )


async def run(settings: Settings, args: argparse.Namespace) -> int:
    async with admin_services(settings) as services:
        redis, keys = services.redis, services.keys
        if args.command == "welcome":
            guard = await services.outgoing_guard()
            media = MediaLibrary(redis, keys, services.wecom.media)
            return await reporting(_welcome(args, WelcomeStore(redis, keys), guard, media))
        store = ChannelStore(redis, keys)
        return await reporting(
            _channels(args, store, ChannelManager(store, services.wecom.external_contact))
        )


async def _welcome(
    args: argparse.Namespace, store: WelcomeStore, guard: TextGuard, media: MediaLibrary
) -> int:
    await store.ensure_default()
    if args.action == "list":
        print_json([asdict(t) for t in await store.list()])
    elif args.action == "show":
        template = await store.get(args.id)
        if template is None:
            print(f"错误：没有模板 {args.id}", file=sys.stderr)
            return 2
        print_json(asdict(template))
    elif args.action == "set":
        template = _template(args)
        base = args.file.parent if args.file else Path.cwd()
        for attachments in [template.attachments, *(s.attachments for s in template.slots)]:
            await _upload_files(attachments, base, media)
        if not template.id:  # "set" replaces the template of that scope, if there is one
            holder = await store.choose_exact(template.scope, template.target)
            template.id = holder.id if holder else ""
        print_json(asdict(await store.save(template, guard)))
    elif args.action == "remove":
        print_json({"removed": await store.delete(args.id)})
    else:
        print_json(await store.stats())
    return 0


async def _upload_files(attachments: list[dict[str, Any]], base: Path, media: MediaLibrary) -> None:
    """Replace `{"file": PATH}` (image, video, file; a mini-program's `pic_file`) by the
    uploaded file's `media_ref`; paths are relative to the JSON file."""
    for item in attachments:
        kind = item.get("msgtype")
        body = item.get(kind) if isinstance(kind, str) else None
        if not isinstance(body, dict):
            continue  # validation names it
        for field, ref_field in (("file", "media_ref"), ("pic_file", "pic_media_ref")):
            if field in body:
                path = base / str(body.pop(field))
                try:
                    content = path.read_bytes()
                except OSError as exc:
                    raise MediaError(f"无法读取附件 {path}：{exc}") from None
                upload_kind = "image" if field == "pic_file" else str(kind)
                body[ref_field] = await media.add(upload_kind, path.name, content)


async def _channels(args: argparse.Namespace, store: ChannelStore, manager: ChannelManager) -> int:
    if args.action == "list":
        print_json([asdict(c) for c in await store.list()])
        return 0
    if args.action == "create":
        print_json(asdict(await manager.create(_channel(args, ""))))
        return 0
    existing = await store.get(args.id)
    if existing is None:
        print(f"错误：没有渠道 {args.id}", file=sys.stderr)
        return 2
    if args.action == "show":
        print_json(asdict(existing) | {"stats": await store.stats(existing.id)})
    elif args.action == "update":
        changed = _channel(args, existing.id)
        changed.config_id, changed.qr_code, changed.active = (
            existing.config_id,
            existing.qr_code,
            existing.active,
        )
        print_json(asdict(await manager.update(changed)))
    else:
        await manager.delete(existing)
        print_json({"deleted": existing.id})
    return 0
