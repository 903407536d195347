"""The console's HTML: Jinja2 with autoescaping (its own templates, and the sidebar's chart
macros so the dashboard draws the same SVG charts), and the headers every answer gets."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aiohttp import web
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape

from sidebar_web.pages import TEMPLATES as SIDEBAR_TEMPLATES
from sidebar_web.pages import render_page

TEMPLATES = Path(__file__).with_name("templates")
STATIC = Path(__file__).with_name("static")

ENV = Environment(
    loader=ChoiceLoader([FileSystemLoader(TEMPLATES), FileSystemLoader(SIDEBAR_TEMPLATES)]),
    autoescape=select_autoescape(),
    trim_blocks=True,
    lstrip_blocks=True,
)


def page(name: str, status: int = 200, **context: Any) -> web.Response:
    return render_page(ENV, name, status, **context)


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
