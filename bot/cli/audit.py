"""Audit entries for the settings the CLI changes, in the log admins read with `审计`.

Admin chat records each change as it makes it. A CLI command is recorded once it succeeded:
who ran it (`--by NAME`, else the operating-system user), how (`cli`), which command, and the
command line itself — what an operator reading the log can repeat or take back. `scrm-bot
import` records its own entry (via `import`, with the diff's counts) through the importer.
"""

from __future__ import annotations

import argparse
import getpass
import os
import re
import shlex
import sys
from collections.abc import Awaitable, Sequence

from bot.admin.audit import AuditLog
from bot.admin.session import Change
from bot.config import Settings
from bot.keys import RedisKeys
from bot.storage.client import open_redis

# the actions that change what admins configure (reads, checks and dry runs are not logged)
CHANGES: dict[str, frozenset[str]] = {
    "words": frozenset({"add", "remove", "allow", "import", "set-action", "detectors", "sync"}),
    "welcome": frozenset({"set", "remove"}),
    "channels": frozenset({"create", "update", "delete"}),
    "group-codes": frozenset({"create", "update", "delete"}),
    "group-welcome": frozenset({"set", "remove", "sync", "greet", "ungreet"}),
    "products": frozenset({"set", "remove"}),
    "scripts": frozenset({"add", "edit", "remove", "restore", "import"}),
    "tags": frozenset({"set", "remove"}),
    "sop": frozenset({"set", "pause", "resume", "remove"}),
    "stores": frozenset({"create", "update", "import", "delete"}),
    "fission": frozenset({"create", "coupons"}),
    "links": frozenset({"create", "delete"}),
    "mass": frozenset({"create", "pause", "resume", "remind", "cancel"}),
    "moments": frozenset({"create", "remind", "cancel"}),
    "inherit": frozenset({"resigned", "onjob"}),
}
# `words add` exits 1 when some words were refused: the others were added all the same
PARTLY_DONE = {("words", "add"): frozenset({0, 1})}
GLOBAL_WITH_VALUE = ("--by", "--corp", "--log-level")  # options before the command
MAX_BY_CHARS = 64
SHOWN_CHARS = 120  # of the command line in the log: the texts it carries can be long
_SHELL_SPECIAL = re.compile(r"[\s'\"\\$`|&;<>(){}\[\]*?#~!]")


def by_name(value: str) -> str:
    """`--by NAME`: who to record as the author of a change."""
    name = value.strip()
    if not name or len(name) > MAX_BY_CHARS or not name.isprintable():
        raise argparse.ArgumentTypeError(f"应是 1–{MAX_BY_CHARS} 个可见字符")
    return name


def operator() -> str:
    """The operating-system user running the command, for when `--by` isn't given."""
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name and no passwd entry (a bare container)
        return f"uid {os.getuid()}"


def changes_settings(args: argparse.Namespace, code: int) -> bool:
    """Whether the finished command changed settings (and so is recorded)."""
    action = getattr(args, "action", "")
    if action not in CHANGES.get(args.command, ()) or getattr(args, "dry_run", False):
        return False
    return code in PARTLY_DONE.get((args.command, action), frozenset({0}))


def command_line(argv: Sequence[str]) -> str:
    """`scrm-bot <command> …` as run, without the global options and `--config FILE`, cut
    to SHOWN_CHARS."""
    rest = list(argv)
    while rest and rest[0].startswith("-"):  # global options come before the command
        option = rest.pop(0)
        if option in GLOBAL_WITH_VALUE and rest:
            rest.pop(0)
    kept: list[str] = []
    skip = False
    for token in rest:
        if skip:
            skip = False
        elif token == "--config":
            skip = True
        elif not token.startswith("--config="):
            kept.append(token)
    line = "scrm-bot " + " ".join(_quoted(token) for token in kept)
    return line if len(line) <= SHOWN_CHARS else line[: SHOWN_CHARS - 1] + "…"


def _quoted(token: str) -> str:
    """A token as a shell needs it, quoted only when it must be (shlex quotes all non-ASCII,
    and the log is read by people who type Chinese)."""
    return token if token and not _SHELL_SPECIAL.search(token) else shlex.quote(token)


NOTED = "audit_changes"  # where a command notes its changes on its `args`


def note(args: argparse.Namespace, action: str, change: Change) -> None:
    """Record `change` as admin chat records the same change (its action, item, summary, before
    and after), instead of the command line: a command with a chat twin says what it changed
    the way the chat command does, so the audit log reads alike whichever way it was made."""
    noted: list[tuple[str, Change]] = getattr(args, NOTED, None) or []
    noted.append((action, change))
    setattr(args, NOTED, noted)


async def record(settings: Settings, args: argparse.Namespace, argv: Sequence[str]) -> None:
    """The audit entry of a command that changed settings: each change it noted, else the
    command line."""
    keys = RedisKeys(settings.corp_id, settings.key_prefix)
    async with open_redis(settings.redis_url, settings.data_dir) as (redis, _url):
        audit = AuditLog(redis, keys)
        noted: list[tuple[str, Change]] = getattr(args, NOTED, None) or []
        for action, change in noted:
            await audit.record(
                args.actor,
                "cli",
                action,
                change.target,
                change.summary,
                before=change.before,
                after=change.after,
            )
        if not noted:
            target = getattr(args, "id", "") or str(getattr(args, "file", "") or "")
            await audit.record(
                args.actor, "cli", f"{args.command}.{args.action}", target, command_line(argv)
            )


async def audited(
    work: Awaitable[int], settings: Settings, args: argparse.Namespace, argv: Sequence[str]
) -> int:
    """Run a command; once it changed settings, record it (a failure to is said, not fatal:
    the change is made)."""
    code = await work
    if changes_settings(args, code):
        try:
            await record(settings, args, argv)
        except Exception as exc:  # Redis went away after the change: say so, keep the code
            print(f"注意：改动已完成，但未能记入审计日志（{type(exc).__name__}）", file=sys.stderr)
    return code
