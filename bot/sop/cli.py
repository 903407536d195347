"""`scrm-bot sop ...`: SOP rules from JSON files, pause/resume, open tasks, failures."""

from __future__ import annotations

import argparse
from dataclasses import asdict
from pathlib import Path

from bot.cli.audit import note
from bot.cli.output import AdminServices, admin_services, print_json, reporting
from bot.config import Settings
from bot.sop.admin import sop_switched
from bot.sop.rules import SopError, SopRule
from bot.typed_input import build, read_json_object

BOOKKEEPING = frozenset({"version", "updated_at", "updated_by"})  # the store sets these


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sop = commands.add_parser("sop", help="SOP reminders to staff")
    actions = sop.add_subparsers(dest="action", required=True, metavar="ACTION")
    actions.add_parser("list", help="every SOP rule as JSON")
    actions.add_parser("show", help="one rule").add_argument("id")
    save = actions.add_parser("set", help="create or replace a rule from a JSON file")
    save.add_argument("file", type=Path)
    actions.add_parser("pause", help="pause a rule (steps due meanwhile are skipped)").add_argument(
        "id"
    )
    actions.add_parser("resume", help="resume a paused rule").add_argument("id")
    actions.add_parser("remove", help="delete a rule and its unsent steps").add_argument("id")
    pending = actions.add_parser("pending", help="a staff member's open reminders")
    pending.add_argument("userid")
    failed = actions.add_parser("failed", help="reminders and alerts given up on, newest first")
    failed.add_argument("--limit", type=int, default=20)
    actions.add_parser("status", help="scheduled, running and failed jobs")


async def run(settings: Settings, args: argparse.Namespace) -> int:
    async with admin_services(settings) as services:
        return await reporting(_run(services, args))


async def _run(services: AdminServices, args: argparse.Namespace) -> int:
    store = services.stores.sops
    scheduler = services.stores.scheduler
    if args.action == "list":
        print_json([asdict(r) for r in await store.all()])
    elif args.action == "show":
        rule = await store.get(args.id)
        if rule is None:
            raise SopError(f"没有 SOP {args.id}")
        print_json(asdict(rule))
    elif args.action == "set":
        guard = await services.outgoing_guard()
        print_json(asdict(await store.save(_from_file(args.file), _author(args), guard)))
    elif args.action in ("pause", "resume"):
        before = await store.get(args.id)
        rule = await store.set_enabled(args.id, args.action == "resume", _author(args))
        was = before.enabled if before is not None else not rule.enabled
        note(args, f"sop.{args.action}", sop_switched(rule, was))  # as `SOP 暂停` records it
        print_json({"id": rule.id, "enabled": rule.enabled})
    elif args.action == "remove":
        await store.delete(args.id)
        print_json({"removed": args.id})
    elif args.action == "pending":
        tasks = await services.stores.sop_tasks.pending(args.userid)
        print_json([asdict(t) for t in tasks])
    elif args.action == "failed":
        print_json(await scheduler.failures(args.limit))
    else:
        print_json(await scheduler.counts())
    return 0


def _from_file(path: Path) -> SopRule:
    """The rule in a JSON file, every field checked (`sop show`'s bookkeeping is accepted)."""
    return build(
        SopRule,
        read_json_object(path),
        what=f"{path.name}：",
        defaults={"id": ""},
        ignored=BOOKKEEPING,
    )


def _author(args: argparse.Namespace) -> str:
    """Who a change made here is recorded as made by: `--by NAME`, else the OS user."""
    return str(getattr(args, "actor", "") or "cli")
