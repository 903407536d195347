"""Cross-cutting work around every handler call, as middlewares.

The order is fixed in `MIDDLEWARES` (outermost first):
1. `log_handler` - one log line per failure, with the event and delivery attempt;
2. `count_errors` - the per-handler error counter behind /metrics;
3. `classify_errors` - turns failures that no retry can fix into `PermanentFailure`, so the
   pipeline dead-letters them at once instead of retrying.
"""

from __future__ import annotations

from bot.context import HandlerContext
from bot.events import Event
from bot.routing import HandlerFunc, Middleware, StopPropagation
from bot.wecom import WeComError


class PermanentFailure(Exception):
    """A handler failure that retrying cannot fix (e.g. a wrong secret, 48002)."""


async def log_handler(call: HandlerFunc, event: Event, ctx: HandlerContext, name: str) -> None:
    try:
        await call(event, ctx)
    except StopPropagation:
        raise
    except Exception as exc:
        ctx.log.warning(
            "handler %s failed on %s (entry %s, attempt %d): %s",
            name,
            type(event).__name__,
            ctx.delivery.entry_id,
            ctx.delivery.attempt,
            exc,
        )
        raise


async def count_errors(call: HandlerFunc, event: Event, ctx: HandlerContext, name: str) -> None:
    try:
        await call(event, ctx)
    except StopPropagation:
        raise
    except Exception:
        ctx.metrics.handler_errors.labels(handler=name).inc()
        raise


async def classify_errors(call: HandlerFunc, event: Event, ctx: HandlerContext, name: str) -> None:
    try:
        await call(event, ctx)
    except WeComError as exc:
        if exc.retryable:
            raise
        raise PermanentFailure(f"{exc} ({exc.explanation})") from exc


MIDDLEWARES: list[Middleware] = [log_handler, count_errors, classify_errors]
