"""The console's HTML: Jinja2 with autoescaping (its own templates, and the sidebar's chart
macros so the dashboard draws the same SVG charts), and the headers every answer gets."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from aiohttp import web
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape

from sidebar_web.pages import TEMPLATES as SIDEBAR_TEMPLATES
from sidebar_web.pages import render_page

TEMPLATES = Path(__file__).with_name("templates")
STATIC = Path(__file__).with_name("static")

_LOADERS = [FileSystemLoader(TEMPLATES), FileSystemLoader(SIDEBAR_TEMPLATES)]
ENV = Environment(
    loader=ChoiceLoader(_LOADERS),
    autoescape=select_autoescape(),
    trim_blocks=True,
    lstrip_blocks=True,
)


def page(name: str, status: int = 200, **context: Any) -> web.Response:
    return render_page(ENV, name, status, **context)


def pages_in(folder: Path) -> Callable[..., web.Response]:
    """`page` for a feature's own templates, kept in its folder; they extend the console's
    (`console_base.html`) and may use the sidebar's chart macros."""
    env = ENV.overlay(loader=ChoiceLoader([FileSystemLoader(folder), *_LOADERS]))

    def feature_page(name: str, status: int = 200, **context: Any) -> web.Response:
        return render_page(env, name, status, **context)

    return feature_page


def error_page(
    status: int, title: str, message: str, retry_url: str, *, action: str = "重试"
) -> web.Response:
    """A plain-Chinese error with one link, for browser navigations (sign-in, pages)."""
    return page(
        "console_error.html",
        status,
        title=title,
        message=message,
        retry_url=retry_url,
        action=action,
    )


def security_headers(response: web.StreamResponse) -> None:
    """Only the console's own files run; nothing frames it; no inline script or style."""
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
        "frame-ancestors 'none'",
    )
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
