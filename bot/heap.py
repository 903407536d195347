"""The serving process's long-lived heap, kept out of the cyclic garbage collector's way.

Python's full (generation 2) collection walks every container object the process holds. With
a script catalogue, a word filter and the handlers' caches loaded that took 70-100 ms in
`scrm-bot serve`, a few times a minute under a burst: the event loop stood still and the
callbacks' p99 rose to ~110 ms. `gc.freeze()` moves what exists into a permanent generation
the collector no longer walks; objects freed by reference counting are still freed. So a
serving process freezes its heap once started, and again after swapping in a large structure
(a rebuilt catalogue, a reloaded filter). Only cyclic garbage that exists at a freeze is kept
for good: at start-up a collection runs first; after a swap the old structure holds no cycles.
Off unless `enable()`d (by `serve_app`): tests and one-shot commands collect as usual.
"""

from __future__ import annotations

import gc

_enabled = False


def enable() -> None:
    global _enabled
    _enabled = True


def settle(*, collect: bool = False) -> None:
    """Freeze what the process holds now (after a full collection with `collect`)."""
    if not _enabled:
        return
    if collect:
        gc.collect()
    gc.freeze()
