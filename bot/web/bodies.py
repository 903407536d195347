"""Reading a request body within a size and a time bound, the one way every endpoint does it.

The declared length is checked before anything is read; a body streamed without one is counted
as it comes and dropped the moment it passes the limit; the whole read has a deadline, so a
sender trickling bytes can't hold a connection. Chunks are joined once at the end (a growing
bytearray reallocates, and freed blocks stay with the process). Callers turn the two refusals
into their own answer (a callback's 413 and metric label, the sidebar's Chinese message).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from aiohttp import web

READ_SECONDS = 10.0
CHUNK = 64 * 1024


class BodyTooLarge(Exception):
    """The body is longer than the limit (declared, or counted as it came)."""


class BodyTimeout(Exception):
    """The body did not arrive in time."""


async def read_capped(
    request: web.Request,
    limit: int,
    *,
    seconds: float | None = None,
    feed: Callable[[bytes], object] | None = None,
) -> bytes:
    """The body, at most `limit` bytes within `seconds` (default READ_SECONDS); `feed` sees each
    chunk as it arrives (e.g. an HMAC over a signed body)."""
    if request.content_length is not None and request.content_length > limit:
        raise BodyTooLarge
    if request.content.is_eof():
        # the whole body came with the head (a callback's usual case): take it as it is,
        # without the deadline and the chunk iteration, ~8 us of a callback's ~150
        body = request.content.read_nowait()
        if len(body) > limit:
            raise BodyTooLarge
        if feed is not None:
            feed(body)
        return body
    chunks: list[bytes] = []
    size = 0
    try:
        async with asyncio.timeout(READ_SECONDS if seconds is None else seconds):
            async for chunk in request.content.iter_chunked(CHUNK):
                size += len(chunk)
                if size > limit:
                    raise BodyTooLarge
                if feed is not None:
                    feed(chunk)
                chunks.append(chunk)
    except TimeoutError:
        raise BodyTimeout from None
    finally:
        # The refusal's traceback holds this frame: without this, a refused body stays in
        # memory until the exception is collected (120 refused 8 MiB bodies once kept 1 GiB).
        if size > limit:
            chunks.clear()
    return b"".join(chunks)
