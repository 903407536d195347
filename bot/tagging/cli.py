"""`scrm-bot tags ...`: keyword tag rules, a dry run of them on any text, and the tag log."""

from __future__ import annotations

import argparse
from dataclasses import asdict
from pathlib import Path

from bot.cli.audit import note
from bot.cli.output import admin_services, csv_list, print_json, reporting
from bot.config import Settings
from bot.tagging.admin import tag_rule_added
from bot.tagging.rules import RuleMatcher, TagRule
from bot.tagging.store import TagRuleStore
from bot.typed_input import build, read_json_object


def add_parsers(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    tags = commands.add_parser("tags", help="keyword auto-tagging rules")
    actions = tags.add_subparsers(dest="action", required=True, metavar="ACTION")
    actions.add_parser("rules", help="every rule as JSON")
    save = actions.add_parser("set", help="create or replace a rule")
    save.add_argument("--file", type=Path, help="JSON with every field of a rule")
    save.add_argument("--id", default="")
    save.add_argument("--name", default="")
    save.add_argument("--keywords", type=csv_list, default=[], help="comma-separated")
    save.add_argument("--group", default="", help="tag group name")
    save.add_argument("--tag", default="", help="tag name")
    save.add_argument("--all", action="store_true", help="every keyword must appear")
    save.add_argument("--word-boundary", action="store_true", help="whole words only (jieba)")
    save.add_argument("--threshold", type=int, default=1, help="matching messages needed")
    save.add_argument("--window-hours", type=float, default=0.0)
    save.add_argument("--exclude", type=csv_list, default=[])
    save.add_argument("--staff", type=csv_list, default=[], help="only these staff members")
    save.add_argument("--channels", type=csv_list, default=[], help="only these channel ids")
    actions.add_parser("remove", help="delete a rule").add_argument("id")
    test = actions.add_parser("test", help="which rules TEXT fires (nothing is tagged)")
    test.add_argument("text")
    test.add_argument("--staff", default=None, help="as a customer of this staff member")
    test.add_argument("--channel", default="")
    log = actions.add_parser("log", help="the latest automatic tags")
    log.add_argument("--limit", type=int, default=20)


async def run(settings: Settings, args: argparse.Namespace) -> int:
    async with admin_services(settings) as services:
        store = services.stores.tag_rules
        if args.action == "log":
            rows = await services.redis.xrevrange(services.keys.autotag_log, count=args.limit)
            print_json([fields for _, fields in rows])
            return 0
        return await reporting(_rules(args, store))


async def _rules(args: argparse.Namespace, store: TagRuleStore) -> int:
    if args.action == "rules":
        print_json([asdict(r) for r in await store.all()])
    elif args.action == "set":
        rule = _rule(args)
        new = not rule.id or await store.get(rule.id) is None
        saved = await store.save(rule)
        if new:  # audited as `标签规则 新增` records it
            note(args, "tagrule.add", tag_rule_added(saved))
        print_json(asdict(saved))
    elif args.action == "remove":
        await store.delete(args.id)
        print_json({"removed": args.id})
    else:
        matches = RuleMatcher(await store.all()).match(args.text, args.staff, args.channel)
        print_json(
            [
                {
                    "rule": m.rule.id,
                    "name": m.rule.name,
                    "keywords": list(m.keywords),
                    "tag": f"{m.rule.tag_group}/{m.rule.tag_name}",
                    "threshold": m.rule.threshold,
                }
                for m in matches
            ]
        )
    return 0


def _rule(args: argparse.Namespace) -> TagRule:
    if args.file:
        raw = read_json_object(args.file)
        return build(TagRule, raw, what=f"{args.file.name}：", defaults={"id": args.id})
    return TagRule(
        id=args.id,
        name=args.name,
        keywords=args.keywords,
        tag_group=args.group,
        tag_name=args.tag,
        mode="all" if args.all else "any",
        word_boundary=args.word_boundary,
        threshold=args.threshold,
        window_hours=args.window_hours,
        exclusions=args.exclude,
        staff=args.staff,
        channels=args.channels,
    )
