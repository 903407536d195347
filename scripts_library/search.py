"""Script search: an in-process index over title, keywords, category and text.

Scripts are analysed into weighted tokens (`scripts_library.analysis`). A query matches
scripts containing all its tokens (any of them when none contains all); a token the
dictionary splits differently falls back to a substring scan. Ranking: relevance (field
weight × the word's rarity), then how often the script was sent, then title.

Each process keeps its own index and catches up from the library's change stream before
reading, so an edit anywhere shows in every process's next search.
"""

from __future__ import annotations

import asyncio
import logging
import time

from redis.asyncio import Redis

from bot import heap
from bot.keys import RedisKeys
from bot.text.lexicon import trim_heap
from scripts_library.analysis import BATCH, analyse_all, tokens
from scripts_library.catalogue import Catalogue
from scripts_library.scripts import Script

__all__ = ["ScriptIndex", "tokens"]
log = logging.getLogger(__name__)

SENDS_REFRESH_SECONDS = 5.0
RENUMBER_AT = 1000  # dead or unordered numbers (and a tenth of all) before a rebuild


class ScriptIndex:
    """Every script of one corp, searchable in memory (a `Catalogue`); `refresh` before
    reading. A rebuild fills a new catalogue and swaps it in whole: a search meanwhile reads
    the previous one rather than a half-built one, and never waits for the rebuild."""

    def __init__(self, redis: Redis, keys: RedisKeys) -> None:
        self._redis = redis
        self._keys = keys
        self._lock = asyncio.Lock()
        self._catalogue = Catalogue()
        self._rebuilding: asyncio.Task[None] | None = None
        self._last_change: str | None = None
        self._seq = 0
        self._sends: dict[str, int] = {}
        self._sends_at = 0.0

    # -- keeping current -------------------------------------------------------------------
    async def refresh(self) -> None:
        """Apply the changes made since the last refresh (one round trip when there are none).
        The first call builds the index; a later rebuild runs in the background."""
        if self._rebuilding is not None and not self._rebuilding.done():
            return  # the current catalogue serves until the renumbered one is swapped in
        async with self._lock:
            if self._last_change is None:
                await self._rebuild()
            elif self._catalogue.loose() > max(RENUMBER_AT, len(self._catalogue) // 10):
                self._start_rebuild()  # renumber: dead and unordered numbers add up
            else:
                async with self._redis.pipeline(transaction=True) as tx:
                    tx.get(self._keys.script_seq)
                    tx.xrange(self._keys.script_changes, f"({self._last_change}", "+")
                    seq, changes = await tx.execute()
                if self._seq + len(changes) < int(seq or 0):
                    await self._rebuild()  # the stream was trimmed past what we saw
                elif changes:
                    self._last_change, self._seq = changes[-1][0], int(seq or 0)
                    await self._reload({fields["id"] for _, fields in changes})
            if time.monotonic() - self._sends_at > SENDS_REFRESH_SECONDS:
                rows = await self._redis.zrange(self._keys.script_sends, 0, -1, withscores=True)
                self._sends = {script_id: int(score) for script_id, score in rows}
                self._catalogue.set_sends(self._sends)
                self._sends_at = time.monotonic()

    def _start_rebuild(self) -> None:
        async def rebuild() -> None:
            try:
                async with self._lock:
                    await self._rebuild()
            except Exception:  # the current catalogue serves on; the next refresh tries again
                log.exception("script index: renumbering failed")

        self._rebuilding = asyncio.create_task(rebuild(), name="script-index-rebuild")

    async def _rebuild(self) -> None:
        async with self._redis.pipeline(transaction=True) as tx:
            tx.get(self._keys.script_seq)
            tx.xrevrange(self._keys.script_changes, count=1)
            tx.hgetall(self._keys.scripts)
            seq, latest, rows = await tx.execute()
        # numbered in (title, id) order; parsed again batch by batch, so that 50k Script
        # objects and their analyses never live at once (the index holds the JSON only)
        entries = sorted(
            (script.title, script.id, data)
            for data in rows.values()
            for script in (Script.from_json(data),)
        )
        del rows
        catalogue = Catalogue()
        for start in range(0, len(entries), BATCH):
            batch = [Script.from_json(data) for _, _, data in entries[start : start + BATCH]]
            # segmenting a large library takes seconds of CPU: off the loop (a child
            # process), so callbacks and the welcome pipeline keep being served meanwhile
            for script, analysis in zip(batch, await analyse_all(batch), strict=True):
                catalogue.insert(script, analysis)
            await asyncio.sleep(0)
        catalogue.seal()
        catalogue.set_sends(self._sends)
        self._catalogue = catalogue
        heap.settle()  # a long-lived structure: out of the collector's full walks
        self._last_change = latest[0][0] if latest else "0-0"
        self._seq = int(seq or 0)
        del entries
        # no gc.collect(): a full collection of a serving process's heap holds the loop
        # ~0.1 s, and the build leaves no cycles; the trim runs without the GIL
        await asyncio.to_thread(trim_heap)

    async def _reload(self, script_ids: set[str]) -> None:
        """Take in changed scripts, a batch at a time with the loop free between batches: an
        import's 5,000 scripts parsed in one go held the loop ~0.15 s."""
        ordered = sorted(script_ids)
        catalogue = self._catalogue
        for start in range(0, len(ordered), BATCH):
            chunk = ordered[start : start + BATCH]
            rows = await self._redis.hmget(self._keys.scripts, chunk)
            scripts = [Script.from_json(data) for data in rows if data]
            analyses = await analyse_all(scripts)
            for script_id in chunk:
                catalogue.remove(script_id)
            for script, analysis in zip(scripts, analyses, strict=True):
                catalogue.insert(script, analysis)
            await asyncio.sleep(0)
        catalogue.set_sends(self._sends)

    # -- reading ---------------------------------------------------------------------------
    def get(self, script_id: str) -> Script | None:
        return self._catalogue.get(script_id)

    def __len__(self) -> int:
        return len(self._catalogue)

    def search(
        self,
        query: str,
        *,
        userid: str,
        departments: list[int],
        category: str = "",
        limit: int = 20,
        every_script: bool = False,
    ) -> list[Script]:
        """Visible, enabled scripts matching `query` (all scripts of `category` when empty);
        `every_script` (admins managing the library) skips visibility and the enabled flag."""
        return self._catalogue.search(
            query,
            userid=userid,
            departments=departments,
            category=category,
            limit=limit,
            every_script=every_script,
        )

    def categories(self, userid: str, departments: list[int]) -> list[str]:
        """Every category path (and its parents) that holds a script this member sees."""
        return self._catalogue.categories(userid, departments)

    def most_used(self, userid: str, departments: list[int], limit: int = 10) -> list[Script]:
        return self._catalogue.most_used(userid, departments, limit)

    def sends(self, script_id: str) -> int:
        return self._sends.get(script_id, 0)
