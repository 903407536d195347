"""`scrm-bot scripts ...`: the script library (话术库) from the command line, JSON out."""

from __future__ import annotations

import argparse
import sys
from dataclasses import asdict
from pathlib import Path

from bot.cli.audit import note
from bot.cli.output import admin_services, csv_list, print_json, reporting
from bot.config import Settings
from bot.text.guard import TextGuard
from scripts_library.admin import script_added
from scripts_library.scripts import Script, ScriptError, ScriptStore, Visibility
from scripts_library.transfer import export_text, import_file


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    scripts = commands.add_parser("scripts", help="script library (话术库)")
    actions = scripts.add_subparsers(dest="action", required=True, metavar="ACTION")
    actions.add_parser("list", help="every script as JSON").add_argument("--category", default="")
    actions.add_parser("show", help="one script").add_argument("id")
    for name in ("add", "edit"):
        sub = actions.add_parser(name, help=f"{name} a script")
        if name == "edit":
            sub.add_argument("id")
        sub.add_argument("--category", required=name == "add", default=None)
        sub.add_argument("--title", required=name == "add", default=None)
        sub.add_argument("--text", required=name == "add", default=None)
        sub.add_argument("--keywords", type=csv_list, default=None, help="comma-separated")
        sub.add_argument("--departments", type=csv_list, default=None, help="visible to (ids)")
        sub.add_argument("--staff", type=csv_list, default=None, help="visible to (userids)")
        sub.add_argument("--disable", action="store_true")
    actions.add_parser("remove", help="delete a script (restorable)").add_argument("id")
    actions.add_parser("history", help="earlier versions").add_argument("id")
    restore = actions.add_parser("restore", help="make an earlier version current")
    restore.add_argument("id")
    restore.add_argument("version", type=int)
    search = actions.add_parser("search", help="search as a staff member would")
    search.add_argument("query")
    search.add_argument("--user", default="", help="search as this staff member (visibility)")
    importing = actions.add_parser("import", help="import a .yaml/.yml or .csv file")
    importing.add_argument("file", type=Path)
    importing.add_argument("--dry-run", action="store_true", help="check only, change nothing")
    actions.add_parser("export", help="write a .yaml/.yml or .csv file").add_argument(
        "file", type=Path
    )


async def run(settings: Settings, args: argparse.Namespace) -> int:
    async with admin_services(settings) as services:
        store = services.stores.scripts
        guard = await services.outgoing_guard()
        if args.action == "search":
            index = services.stores.script_index
            directory = services.stores.directory
            departments = await directory.departments(args.user) if args.user else []
            await index.refresh()
            found = index.search(args.query, userid=args.user, departments=departments)
            print_json([{"id": s.id, "category": s.category, "title": s.title} for s in found])
            return 0
        return await reporting(_scripts(args, store, guard))


async def _scripts(args: argparse.Namespace, store: ScriptStore, guard: TextGuard) -> int:
    if args.action == "list":
        rows = [s for s in await store.all() if s.category.startswith(args.category)]
        print_json([asdict(s) for s in rows])
    elif args.action == "add":
        added = await store.save(_changed(Script("", "", "", ""), args), _author(args), guard)
        note(args, "script.add", script_added(added))  # audited as `话术 新增` records it
        print_json(asdict(added))
    elif args.action == "import":
        result = await import_file(store, args.file, _author(args), guard, dry_run=args.dry_run)
        print_json(result | {"dry_run": args.dry_run})
    elif args.action == "export":
        fmt = "csv" if args.file.suffix.lower() == ".csv" else "yaml"
        scripts = await store.all()
        args.file.write_text(export_text(scripts, fmt), encoding="utf-8")
        print_json({"exported": len(scripts), "file": str(args.file)})
    elif args.action == "history":
        print_json([asdict(s) for s in await store.history(args.id)])
    elif args.action == "restore":
        print_json(asdict(await store.restore(args.id, args.version, _author(args))))
    elif args.action == "remove":
        print_json({"removed": (await store.delete(args.id, _author(args))).id})
    else:
        script = await store.get(args.id)
        if script is None:
            print(f"错误：没有话术 {args.id}", file=sys.stderr)
            return 2
        if args.action == "show":
            print_json(asdict(script))
        else:
            print_json(asdict(await store.save(_changed(script, args), _author(args), guard)))
    return 0


def _changed(script: Script, args: argparse.Namespace) -> Script:
    for name in ("category", "title", "text", "keywords"):
        if getattr(args, name) is not None:
            setattr(script, name, getattr(args, name))
    if args.departments is not None or args.staff is not None:
        try:
            departments = [int(d) for d in args.departments or []]
        except ValueError:
            raise ScriptError("--departments 应是逗号分隔的部门 ID") from None
        staff = args.staff or []
        script.visibility = Visibility(not departments and not staff, departments, staff)
    script.enabled = not args.disable
    return script


def _author(args: argparse.Namespace) -> str:
    """Who a change made here is recorded as made by: `--by NAME`, else the OS user."""
    return str(getattr(args, "actor", "") or "cli")
