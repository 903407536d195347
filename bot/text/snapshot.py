"""A consistent snapshot of the word library, and the filter and guard built from it."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from redis.asyncio import Redis

from bot.keys import RedisKeys
from bot.text.detectors import DETECTORS
from bot.text.filter import ACTIONS, SensitiveFilter
from bot.text.guard import TextGuard
from bot.text.lexicon import phrase_problem, word_problem

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LibrarySnapshot:
    """Everything a filter is built from, at one version."""

    version: int
    words: list[tuple[str, str]]
    allow: list[str]
    actions: dict[str, str]
    detectors: list[str]

    def build(self) -> SensitiveFilter:
        """The filter of this snapshot. Entries written to Redis by hand that the filter
        can't use are skipped with a warning: a bad entry must not stop the server."""
        words = [(word, category) for word, category in self.words if word_problem(word) is None]
        allow = [phrase for phrase in self.allow if phrase_problem(phrase) is None]
        actions = {name: action for name, action in self.actions.items() if action in ACTIONS}
        detectors = [name for name in self.detectors if name in DETECTORS]
        skipped = (
            len(self.words)
            - len(words)
            + len(self.allow)
            - len(allow)
            + len(self.actions)
            - len(actions)
            + len(self.detectors)
            - len(detectors)
        )
        if skipped:
            log.warning("word library v%d: %d unusable entries skipped", self.version, skipped)
        return SensitiveFilter.from_words(words, allow, actions=actions, detectors=detectors)

    def guard(self, redis: Redis, keys: RedisKeys) -> TextGuard:
        """The outgoing-text check with exactly these words, for saves that must not wait for
        a process's filter to reload (admin commands, imports)."""
        built = self.build()
        return TextGuard(lambda: built, redis, keys)


def snapshot_of(
    version: str | None,
    words: dict[str, str],
    allow: set[str],
    actions: dict[str, str],
    detectors: set[str],
) -> LibrarySnapshot:
    return LibrarySnapshot(
        version=int(version or 0),
        words=sorted(words.items()),
        allow=sorted(allow),
        actions=dict(actions),
        detectors=sorted(detectors),
    )
