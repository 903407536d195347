"""What a command's code gets: the handler context, the admin's session, and the stores."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.admin.grammar import Noun, Parsed, Spec
from bot.admin.session import AdminSession, Change
from bot.context import HandlerContext
from bot.errors import UserError
from bot.text.guard import TextGuard


class CommandError(UserError, ValueError):
    """A command that can't be done as asked; the message goes back to the admin as is."""


@dataclass(frozen=True, slots=True)
class Call:
    """One admin's command in progress; `seen` is what the preview of a confirmed command
    saw (see `Confirmation`), None otherwise."""

    ctx: HandlerContext
    session: AdminSession
    seen: Any = None

    @property
    def admin(self) -> str:
        return self.session.userid

    def quote(self, text: str, limit: int = 0) -> str:
        """Stored content for a reply: block words starred as the library stands now, and cut
        to one line of `limit` characters when a limit is given."""
        masked = self.ctx.text.quoted(text)
        return short(masked, limit) if limit else masked

    async def guard(self) -> TextGuard:
        """The word check as the library stands now: a word added a moment ago (maybe by this
        admin) counts, even before this process's filter has reloaded.

        The process's filter when it is of the current version (the usual case); otherwise one
        built from the library in a thread: building 100,000 words takes ~0.2 s, which the
        event loop must not wait for."""
        library = self.ctx.services.words
        version = self.ctx.text.version
        if version is not None and version() == await library.version():
            return self.ctx.text
        snapshot = await library.snapshot()
        built = await asyncio.to_thread(snapshot.build)
        return TextGuard(lambda: built, self.ctx.redis, self.ctx.keys)


@dataclass(frozen=True, slots=True)
class Confirmation:
    """What a destructive command will do (the first line is the summary, more lines follow
    the code), and what it saw (JSON-able): the command gets it back as `Call.seen` when it
    is confirmed, to refuse if things changed in between."""

    what: str
    seen: Any = None


Executor = Callable[[Parsed, Call], Awaitable[str]]
# Checks a destructive command's target and says what it will do, before the code is asked for
Preview = Callable[[Parsed, Call], Awaitable[str | Confirmation]]


def short(text: str, limit: int = 60) -> str:
    """One line of `text`, cut to `limit` characters, for lists and confirmations."""
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


Undo = Callable[[Change, Call], Awaitable[str]]


@dataclass(frozen=True, slots=True)
class AdminPart:
    """A feature's admin chat commands: its nouns, their specs (the parser's and 帮助's one
    source), who runs each (`noun.verb` -> executor), who previews a destructive one, and who
    takes back each kind of change it records (`Change.kind` -> undo)."""

    nouns: tuple[Noun, ...]
    specs: tuple[Spec, ...]
    executors: Mapping[str, Executor]
    previews: Mapping[str, Preview] = field(default_factory=dict)
    undo: Mapping[str, Undo] = field(default_factory=dict)
