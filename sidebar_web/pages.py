"""The sidebar's HTML: Jinja2 templates with autoescaping on, and the headers every page gets."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web
from jinja2 import Environment, FileSystemLoader, select_autoescape

TEMPLATES = Path(__file__).with_name("templates")
STATIC = Path(__file__).with_name("static")

# autoescape for .html: a customer's name or a script's title can't become markup
ENV = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(),
    trim_blocks=True,
    lstrip_blocks=True,
)


def page(name: str, status: int = 200, **context: Any) -> web.Response:
    return render_page(ENV, name, status, **context)


def render_page(env: Environment, name: str, status: int = 200, **context: Any) -> web.Response:
    """A template of `env` as an HTML answer that no cache keeps (the sidebar's, the console's)."""
    return web.Response(
        text=env.get_template(name).render(**context),
        status=status,
        content_type="text/html",
        headers={"Cache-Control": "no-store"},
    )


def error_page(
    status: int, title: str, message: str, retry_url: str, *, action: str = "重试"
) -> web.Response:
    """A plain-Chinese error with a link (to retry, or back where a retry can't help), for
    browser navigations (OAuth, the page)."""
    return page(
        "error.html", status, title=title, message=message, retry_url=retry_url, action=action
    )


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def security_headers(response: web.StreamResponse, frame_origin: str | None) -> None:
    """No framing (except by the sandbox's chat window in the demo), no sniffing, no inline
    script: what the page runs is its own static files and, in the demo, the stub `ww`."""
    scripts = "'self'" + (f" {frame_origin}" if frame_origin else "")
    ancestors = frame_origin or "'none'"
    response.headers.setdefault(
        "Content-Security-Policy",
        f"default-src 'self'; script-src {scripts}; style-src 'self'; "
        "img-src 'self' https: data:; connect-src 'self'; object-src 'none'; "
        f"base-uri 'none'; form-action 'self'; frame-ancestors {ancestors}",
    )
    if frame_origin is None:
        response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
