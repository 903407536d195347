"""What a feature adds to the console through its record (`bot.features.Feature.console`):
menu entries and the routes behind them. The console mounts them under `/console/`, behind
its guard (sign-in, admins only, Origin and CSRF on every POST)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from aiohttp import web


@dataclass(frozen=True, slots=True)
class ConsolePart:
    """A feature's console pages: (path under /console/, menu title) each, who adds the
    routes (pages and their `api/...` JSON) to the console's app, and live previews for its
    admin commands' forms (command key → the `api/...` path that previews its text)."""

    pages: tuple[tuple[str, str], ...]
    setup: Callable[[web.Application], None]
    previews: Mapping[str, str] = field(default_factory=dict)
    # POST paths that take a body larger than the console's default (a word file), in bytes
    body_limits: Mapping[str, int] = field(default_factory=dict)
