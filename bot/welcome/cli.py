"""`scrm-bot welcome ...` and `scrm-bot channels ...`: templates and channel codes, JSON out.

Simple cases take flags; time slots and attachments come in a JSON file with the fields of
`WelcomeTemplate` / `Channel` (see docs/operator-guide.md), checked field by field. `channels
update` changes only what it names (a flag, a field of its file); a channel's members and tags
are looked up in WeCom before anything is saved.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

from bot.cli.audit import note
from bot.cli.output import admin_services, csv_list, print_json, reporting
from bot.config import Settings
from bot.media import MediaError, MediaLibrary
from bot.text.guard import TextGuard
from bot.typed_input import build, read_json_object
from bot.welcome.admin import welcome_changed
from bot.welcome.channel_refs import ChannelReferences
from bot.welcome.channels import Channel, ChannelStore
from bot.welcome.contact_ways import ChannelManager
from bot.welcome.store import WelcomeStore
from bot.welcome.templates import SCOPES, WelcomeTemplate


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    welcome = commands.add_parser("welcome", help="welcome templates")
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
    actions = channels.add_subparsers(dest="action", required=True, metavar="ACTION")
    actions.add_parser("list", help="every channel as JSON")
    show = actions.add_parser("show", help="one channel with its stats")
    show.add_argument("id")
    for name, text in (
        ("create", "create a channel code"),
        ("update", "change a channel: only the fields given (a flag, or a field of --file)"),
    ):
        sub = actions.add_parser(name, help=text, description=text)
        if name == "update":
            sub.add_argument("id")
        sub.add_argument("--file", type=Path, help="JSON with fields of a channel (slots …)")
        sub.add_argument("--name")
        sub.add_argument("--users", type=csv_list, help="comma-separated userids")
        sub.add_argument("--backup", type=csv_list, help="comma-separated userids ('' = none)")
        sub.add_argument("--daily-limit", type=int, help="adds per member per day (0 = no limit)")
        sub.add_argument("--tags", type=csv_list, help="corp tag ids to mark ('' = none)")
    actions.add_parser("delete", help="delete a channel and its code").add_argument("id")


def _template(args: argparse.Namespace) -> WelcomeTemplate:
    if args.file:
        raw = read_json_object(args.file)
        return build(WelcomeTemplate, raw, what=f"{args.file.name}：", defaults={"id": args.id})
    return WelcomeTemplate(
        args.id,
        args.name or args.scope,
        args.scope,
        args.target,
        args.text,
        text_without_name=args.without_name,
    )


CHANNEL_FLAGS = ("name", "users", "backup", "daily_limit", "tags")
# what `channels show` prints beside the fields one sets: accepted in a file, never taken from it
CHANNEL_OUTPUT = frozenset({"id", "config_id", "qr_code", "active", "stats"})


def _channel(args: argparse.Namespace, stored: Channel | None) -> Channel:
    """The channel the command asks for: the stored one (update) with only the fields the
    command names changed — a field of `--file`, then a flag given (flags win)."""
    fields: dict[str, Any] = {}
    if stored is not None:
        fields = {k: v for k, v in asdict(stored).items() if k not in CHANNEL_OUTPUT}
    if args.file:
        fields |= {k: v for k, v in read_json_object(args.file).items() if k not in CHANNEL_OUTPUT}
    fields |= {f: getattr(args, f) for f in CHANNEL_FLAGS if getattr(args, f) is not None}
    fields.setdefault("name", "")
    fields.setdefault("users", [])
    what = f"{args.file.name}：" if args.file else ""
    channel = build(Channel, fields, what=what, defaults={"id": ""})
    if stored is not None:
        channel.id, channel.config_id = stored.id, stored.config_id
        channel.qr_code, channel.active = stored.qr_code, stored.active
    return channel


async def run(settings: Settings, args: argparse.Namespace) -> int:
    async with admin_services(settings) as services:
        redis, keys = services.redis, services.keys
        if args.command == "welcome":
            guard = await services.outgoing_guard()
            media = MediaLibrary(redis, keys, services.wecom.media)
            return await reporting(_welcome(args, WelcomeStore(redis, keys), guard, media))
        store = ChannelStore(redis, keys)
        contact = services.wecom.external_contact
        references = ChannelReferences(redis, keys, services.wecom.user, contact)
        manager = ChannelManager(store, contact, references=references)
        return await reporting(_channels(args, store, manager))


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
        before = await store.get(template.id) if template.id else None
        saved = await store.save(template, guard)
        # audited as `欢迎语 新增` / `修改` records it
        note(args, "welcome.edit" if before else "welcome.add", welcome_changed(before, saved))
        print_json(asdict(saved))
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
        print_json(asdict(await manager.create(_channel(args, None))))
        return 0
    existing = await store.get(args.id)
    if existing is None:
        print(f"错误：没有渠道 {args.id}", file=sys.stderr)
        return 2
    if args.action == "show":
        print_json(asdict(existing) | {"stats": await store.stats(existing.id)})
    elif args.action == "update":
        print_json(asdict(await manager.update(_channel(args, existing))))
    else:
        await manager.delete(existing)
        print_json({"deleted": existing.id})
    return 0
