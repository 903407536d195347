"""`scrm-bot export FILE.yaml` and `scrm-bot import FILE.yaml`: configuration as code.

Export writes everything admins configure (see `bot.config_io`) to one YAML file. Import checks
the whole file first (every problem listed, exit 2, nothing changed), prints the diff per
section, and — unless `--dry-run` — applies it in one Redis transaction (exit 3 when the
configuration changed meanwhile: nothing was written, run it again).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from redis.asyncio import Redis

from bot.cli.output import admin_services, csv_list, print_json, reporting
from bot.config import Settings
from bot.config_io import (
    ConfigChanged,
    ConfigImporter,
    ConfigProblems,
    Plan,
    export_sections,
    read_file,
    section_order,
    sections_named,
)
from bot.config_io.fileio import dump_text
from bot.keys import RedisKeys

SHOWN_PER_KIND = 20  # items listed per section and kind; --json lists them all
SHOWN_CHARS = 60  # of each changed field's old and new value in the diff
SIGNS = (("added", "+", "新增"), ("changed", "~", "修改"), ("removed", "-", "删除"))


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    only_help = f"comma-separated sections: {', '.join(section_order())}"
    export = commands.add_parser("export", help="write the configuration to a YAML file")
    export.add_argument("file", help="FILE.yaml, or - for standard output")
    export.add_argument("--only", type=csv_list, default=None, help=only_help)
    load = commands.add_parser("import", help="apply a configuration file (checked, atomic)")
    load.add_argument("file", type=Path, help="FILE.yaml, as written by export")
    load.add_argument("--dry-run", action="store_true", help="check and show the diff only")
    load.add_argument("--only", type=csv_list, default=None, help=only_help)
    load.add_argument("--json", action="store_true", help="print the diff as JSON")


async def run(settings: Settings, args: argparse.Namespace) -> int:
    try:
        only = sections_named(args.only)
        async with admin_services(settings) as services:
            if args.command == "export":
                return await reporting(_export(services.redis, services.keys, args.file, only))
            wecom = services.wecom
            importer = ConfigImporter(
                services.redis, services.keys, wecom.external_contact, users=wecom.user, wecom=wecom
            )
            return await reporting(_import(importer, args, only))
    except ConfigProblems as exc:
        print("错误：配置文件有以下问题，未做任何改动：", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return 2
    except ConfigChanged as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 3


async def _export(redis: Redis, keys: RedisKeys, target: str, only: list[str] | None) -> int:
    sections = await export_sections(redis, keys, only)
    text = dump_text(sections)
    if target == "-":
        sys.stdout.write(text)
        return 0
    path = Path(target)
    try:  # a new file next to the old one, renamed over it: never half a backup
        fd, temporary = tempfile.mkstemp(dir=path.parent or Path("."), prefix=f".{path.name}.")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(temporary, path)
    except OSError as exc:
        print(f"错误：无法写入 {path}：{exc.strerror or exc}", file=sys.stderr)
        return 2
    print_json({"file": str(path), "sections": {n: _count(v) for n, v in sections.items()}})
    return 0


def _count(value: Any) -> int:
    if isinstance(value, dict) and "by_category" in value:  # words
        return sum(len(words) for words in value["by_category"].values())
    return len(value)


async def _import(
    importer: ConfigImporter, args: argparse.Namespace, only: list[str] | None
) -> int:
    plan = await importer.plan(read_file(args.file), only)
    if args.json:
        print(json.dumps(plan.as_dict() | {"dry_run": args.dry_run}, ensure_ascii=False, indent=2))
    else:
        print(render(plan))
    if args.dry_run:
        if not args.json:
            print("试运行：没有写入任何内容。")
        return 0
    warnings = await importer.apply(plan, actor=args.actor, target=args.file.name)
    for warning in warnings:
        print(f"注意：{warning}", file=sys.stderr)
    if not args.json:
        print("已导入，并记入审计日志。" if plan.has_changes else "没有变化，未写入任何内容。")
    return 0


def _shown(value: Any) -> str:
    """A field's value on one line, cut to SHOWN_CHARS (--json shows it whole)."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    text = " ".join(str(text).split())
    return text if len(text) <= SHOWN_CHARS else text[: SHOWN_CHARS - 1] + "…"


def render(plan: Plan) -> str:
    """The diff for people: counts per section, then the items added, changed, removed."""
    lines: list[str] = []
    for name, section in plan.sections.items():
        counts = section.counts()
        lines.append(
            f"{section.label}（{name}）：新增 {counts['added']}，修改 {counts['changed']}，"
            f"删除 {counts['removed']}，不变 {counts['unchanged']}"
        )
        listed = section.as_dict()
        for kind, sign, word in SIGNS:
            items = listed[f"{kind}_items"]
            for ref in items[:SHOWN_PER_KIND]:
                lines.append(f"  {sign} {ref['id']}  {ref['name']}")
                for field, (old, new) in ref.get("fields", {}).items():
                    lines.append(f"      {field}：{_shown(old)} → {_shown(new)}")
            if len(items) > SHOWN_PER_KIND:
                lines.append(
                    f"  {sign} ……另有 {len(items) - SHOWN_PER_KIND} 项{word}（--json 列出全部）"
                )
    lines += [f"说明：{note}" for note in plan.notes]
    return "\n".join(lines) if lines else "文件中没有要导入的部分。"
