"""Logging set-up: `SCRM_LOG_FORMAT` text or JSON lines, and context carried by contextvars.

Context fields are set with `log_context(...)` and end up on every log line written inside it,
in whatever task: an HTTP request's id (`request_id_middleware`), and in the pipeline the
event's stream entry id, MsgId, type and corp around each handler call. In JSON format every
record is one line:

    {"time": "2026-05-01T08:30:00.123+00:00", "level": "INFO", "logger": "scrm.handlers",
     "message": "…", "event_id": "1746088200123-0", …, "exc_info": "Traceback …"}

The text format is the one the bot always wrote (`time LEVEL logger: message`).
"""

from __future__ import annotations

import contextvars
import itertools
import json
import logging
import os
import re
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from types import MappingProxyType
from typing import IO, Any

from aiohttp import web
from aiohttp.typedefs import Handler

from bot.config import LOG_FORMATS

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
REQUEST_ID_HEADER = "X-Request-Id"
# a forwarded id is kept only when it is short and made of characters safe in any log or header
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,100}")

# A new request id: this process's random half, then a counter (32 hex digits, as a uuid4's
# hex was). Unique without a syscall or a uuid per request, which cost the callback path
# ~3 us of its ~150; the ids only correlate log lines, nobody needs to be unable to guess them.
_ID_PREFIX = os.urandom(8).hex()
_id_counter = itertools.count()
_NO_CONTEXT: Mapping[str, Any] = MappingProxyType({})
_context: contextvars.ContextVar[Mapping[str, Any]] = contextvars.ContextVar(
    "scrm_log_context", default=_NO_CONTEXT
)
# attributes every LogRecord has; anything else on a record came from `extra=`
_RECORD_ATTRS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "taskName",
}
_BASE_KEYS = ("time", "level", "logger", "message")


@contextmanager
def log_context(**fields: Any) -> Iterator[None]:
    """Add `fields` to every log record written inside the block (empty values are left out)."""
    merged = {**_context.get(), **{k: v for k, v in fields.items() if v not in (None, "")}}
    token = _context.set(MappingProxyType(merged))
    try:
        yield
    finally:
        _context.reset(token)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, context, extras, exc_info."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        extras = {k: v for k, v in vars(record).items() if k not in _RECORD_ATTRS}
        for key, value in {**_context.get(), **extras}.items():
            if key not in _BASE_KEYS:  # the four base keys can't be overwritten
                data[key] = value
        if record.exc_info:
            data["exc_info"] = self.formatException(record.exc_info)
        elif record.exc_text:
            data["exc_info"] = record.exc_text
        if record.stack_info:
            data["stack_info"] = self.formatStack(record.stack_info)
        return json.dumps(data, ensure_ascii=False, default=str)


def formatter(log_format: str) -> logging.Formatter:
    """The formatter of `log_format` (`text` or `json`)."""
    if log_format == "json":
        return JsonFormatter()
    if log_format == "text":
        return logging.Formatter(TEXT_FORMAT)
    raise ValueError(f"log format must be one of {LOG_FORMATS}, not {log_format!r}")


_installed: list[logging.Handler] = []  # the handler `configure` added, if any


def configure(
    level: str | int = "INFO", log_format: str = "text", stream: IO[str] | None = None
) -> None:
    """Log to `stream` (stderr) at `level` in `log_format`, like `logging.basicConfig`: when the
    root logger already has handlers of someone else's (a test runner), they are left alone.
    An unknown format falls back to text; the settings check reports it by key."""
    root = logging.getLogger()
    while _installed:
        root.removeHandler(_installed.pop())
    if root.handlers:
        return
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(formatter(log_format if log_format in LOG_FORMATS else "text"))
    root.setLevel(level.upper() if isinstance(level, str) else level)
    root.addHandler(handler)
    _installed.append(handler)


def set_format(log_format: str) -> None:
    """Switch the handler `configure` installed to `log_format` (once the settings are loaded)."""
    for handler in _installed:
        handler.setFormatter(formatter(log_format))


def sane_request_id(value: str | None) -> str | None:
    """`value` if it is fit to be logged and echoed as a request id, else None."""
    if value and _SANE_REQUEST_ID.fullmatch(value):
        return value
    return None


def new_request_id() -> str:
    """A request id unique across processes: 32 hex digits."""
    return f"{_ID_PREFIX}{next(_id_counter):016x}"


@web.middleware
async def request_id_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Give the request an id (the caller's `X-Request-Id` when sane, else a new one), log
    under it, and echo it in the response's `X-Request-Id`.

    Every request passes here, so it sets the context variable itself rather than through
    `log_context` (a generator-based context manager and two dict merges cost the callback
    path ~8 us a request at its maximum rate)."""
    request_id = sane_request_id(request.headers.get(REQUEST_ID_HEADER)) or new_request_id()
    outer = _context.get()
    token = _context.set(
        MappingProxyType({**outer, "request_id": request_id})
        if outer
        else MappingProxyType({"request_id": request_id})
    )
    try:
        response = await handler(request)
    except web.HTTPException as exc:  # raised answers (redirects, 4xx) carry it too
        exc.headers[REQUEST_ID_HEADER] = request_id
        raise
    finally:
        _context.reset(token)
    if not response.prepared:  # a streamed response has already sent its headers
        response.headers[REQUEST_ID_HEADER] = request_id
    return response
