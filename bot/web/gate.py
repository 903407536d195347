"""A bound on the request bodies a process reads before their signature is checked."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

MAX_UNVERIFIED_BODIES = 4  # per process


class BodyGate:
    """Counts the bodies being read before they are authenticated.

    Such a body costs memory until it is refused, and anyone can send one. Past `limit` at
    once, `admit` says no and the caller answers 503 without reading the body: what an
    unauthenticated sender can make a process hold is `limit` bodies of the endpoint's cap,
    however many requests it sends. (One event loop runs every request of a process, so a
    plain counter needs no lock.)
    """

    def __init__(self, limit: int = MAX_UNVERIFIED_BODIES) -> None:
        self.limit = limit
        self.reading = 0

    @contextlib.contextmanager
    def admit(self) -> Iterator[bool]:
        """Yields whether this body may be read now; counts it while it is."""
        if self.reading >= self.limit:
            yield False
            return
        self.reading += 1
        try:
            yield True
        finally:
            self.reading -= 1
