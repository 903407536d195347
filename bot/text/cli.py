"""`scrm-bot words ...`: the sensitive-word library from the command line, JSON out."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import aiohttp
from redis.asyncio import Redis

from bot.cli.audit import note
from bot.cli.output import print_json, reporting
from bot.config import Settings
from bot.keys import RedisKeys
from bot.quoting import echo
from bot.storage.client import open_redis
from bot.text.admin import words_added
from bot.text.hygiene import check_word
from bot.text.intercept_auto import InterceptSyncer, read_state
from bot.text.lexicon import word_problem
from bot.text.library import WordLibrary, category_of
from bot.text.starter import seed_starter_words
from bot.text.word_file import read_word_file
from bot.wecom import WeComClient


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    words = commands.add_parser("words", help="the sensitive-word library")
    actions = words.add_subparsers(dest="action", required=True, metavar="ACTION")
    add = actions.add_parser("add", help="add words to a category")
    add.add_argument("words", nargs="+")
    add.add_argument("--category", required=True, help="competitor, insult, ad_law, ... or 竞品 …")
    actions.add_parser("remove", help="remove words").add_argument("words", nargs="+")
    allow = actions.add_parser("allow", help="allow phrases (hits inside them are dropped)")
    allow.add_argument("phrases", nargs="+")
    allow.add_argument("--remove", action="store_true", help="stop allowing them")
    imp = actions.add_parser("import", help="import a txt (word per line) or CSV (word,category)")
    imp.add_argument("file", type=Path)
    imp.add_argument("--category", default="", help="category of lines that name none")
    imp.add_argument(
        "--keep-risky",
        action="store_true",
        help="also import words that would hit ordinary chat (single characters, short "
        "numbers, common words); they are refused and listed with the reason otherwise",
    )
    listing = actions.add_parser("list", help="print the library as JSON")
    listing.add_argument("--category")
    action = actions.add_parser("set-action", help="block, mask or flag a category")
    action.add_argument("category")
    action.add_argument("what", choices=("block", "mask", "flag"))
    detect = actions.add_parser("detectors", help="switch contact detectors on (others off)")
    detect.add_argument("names", nargs="*", help="phone wechat qq url email")
    actions.add_parser("sync", help="sync block words to WeCom intercept rules")
    check = actions.add_parser(
        "check", help="scan a text; prints {blocked, hits} and what each hit word matches as"
    )
    check.add_argument("text", nargs="?", default="")
    check.add_argument(
        "--word", action="append", default=[], help="report what this word would match (repeat)"
    )


def _word_report(word: str) -> dict[str, object]:
    """What `words check --word` says of one word; a word that can't be listed says why, and
    is quoted only in part (a 10,000-character argument is not printed back)."""
    problem = word_problem(word)
    if problem is not None:
        return {"word": echo(word), "problem": problem}
    return check_word(word).as_dict()


class _Progress:
    """A one-line progress bar on stderr for long imports."""

    def __init__(self, total: int) -> None:
        self.total = max(total, 1)

    def __call__(self, done: int) -> None:
        filled = int(30 * done / self.total)
        bar = "#" * filled + "-" * (30 - filled)
        print(f"\r导入中 [{bar}] {done}/{self.total}", end="", file=sys.stderr, flush=True)
        if done >= self.total:
            print(file=sys.stderr)


async def run_words(settings: Settings, args: argparse.Namespace) -> int:
    keys = RedisKeys(settings.corp_id, settings.key_prefix)
    async with open_redis(settings.redis_url, settings.data_dir) as (redis, _url):
        await seed_starter_words(redis, keys)
        return await reporting(_run(args, WordLibrary(redis, keys), settings, redis, keys))


async def _run(
    args: argparse.Namespace,
    library: WordLibrary,
    settings: Settings,
    redis: Redis,
    keys: RedisKeys,
) -> int:
    if args.action == "add":
        words = list(dict.fromkeys(word.strip() for word in args.words if word.strip()))
        before = await library.categories(words)
        report = await library.add((n, w, args.category) for n, w in enumerate(args.words, 1))
        if report.added or report.already:  # audited as `敏感词 新增` records it
            change = words_added(category_of(args.category), words, before, report)
            note(args, "word.add", change)
        print_json(report.as_dict())
        return 0 if not report.refused else 1
    if args.action == "remove":
        print_json({"removed": await library.remove(args.words)})
        return 0
    if args.action == "allow":
        changed = await library.allow(args.phrases, remove=args.remove)
        print_json({"removed" if args.remove else "allowed": changed})
        return 0
    if args.action == "import":
        try:
            text = args.file.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            print(f"错误：无法读取 {args.file}：{exc}", file=sys.stderr)
            return 2
        lines, malformed = read_word_file(text, args.category)
        report = await library.add(
            lines, progress=_Progress(len(lines)), refuse_risky=not args.keep_risky
        )
        report.refused = sorted(report.refused + malformed)
        print_json(report.as_dict())
        return 0
    if args.action == "set-action":
        await library.set_action(args.category, args.what)
    elif args.action == "detectors":
        await library.set_detectors(args.names)
    snapshot = await library.snapshot()
    if args.action == "check":
        hits = snapshot.build().scan(args.text) if args.text else []
        print_json(
            {
                "blocked": any(hit.action == "block" for hit in hits),
                "hits": [hit.as_dict() | check_word(hit.word).as_dict() for hit in hits],
                "words": [_word_report(word) for word in args.word],
            }
        )
        return 0
    if args.action == "sync":
        async with aiohttp.ClientSession() as session:
            client = WeComClient.from_settings(settings, session, redis)
            synced = await InterceptSyncer(redis, keys, client.intercept).sync_now()
        print_json(synced.as_dict())
        return 0
    only = category_of(args.category) if args.action == "list" and args.category else None
    words = [
        {"word": word, "category": category}
        for word, category in snapshot.words
        if only is None or category == only
    ]
    print_json(
        {
            "version": snapshot.version,
            "words": words,
            "allow": snapshot.allow,
            "actions": snapshot.actions,
            "detectors": snapshot.detectors,
            "intercept_sync": (await read_state(redis, keys)).as_dict(),
        }
    )
    return 0
