"""What a feature adds to the console through its record (`bot.features.Feature.console`):
menu entries and the routes behind them. The console mounts them under `/console/`, behind
its guard (sign-in, admins only, Origin and CSRF on every POST)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from aiohttp import web


@dataclass(frozen=True, slots=True)
class ConsolePart:
    """A feature's console pages: (path under /console/, menu title) each, and who adds the
    routes (pages and their `api/...` JSON) to the console's app."""

    pages: tuple[tuple[str, str], ...]
    setup: Callable[[web.Application], None]
