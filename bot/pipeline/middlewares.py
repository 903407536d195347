"""Cross-cutting work around every handler call, as middlewares.

The order is fixed in `MIDDLEWARES` (outermost first):
1. `with_log_context` - every line logged during the call carries the event's stream entry id
   (`event_id`), MsgId, type and corp, the handler and the attempt (see `bot.logs`);
2. `log_handler` - one log line per failure, with the event and delivery attempt;
3. `count_errors` - the per-handler error counter behind /metrics;
4. `classify_errors` - turns failures that no retry can fix into `PermanentFailure`, so the
   pipeline dead-letters them at once instead of retrying.
"""

from __future__ import annotations

from bot.context import HandlerContext
from bot.events import AppMessage, ChatText, Event
from bot.logs import log_context
from bot.routing import HandlerFunc, Middleware, StopPropagation
from bot.wecom import WeComError


class PermanentFailure(Exception):
    """A handler failure that retrying cannot fix (e.g. a wrong secret, 48002)."""


async def with_log_context(call: HandlerFunc, event: Event, ctx: HandlerContext, name: str) -> None:
    if isinstance(event, AppMessage):
        msg_id = event.msg_id
    else:
        msg_id = event.msgid if isinstance(event, ChatText) else ""
    with log_context(
        event_id=ctx.delivery.entry_id,
        msg_id=msg_id,
        event_type=type(event).__name__,
        corp=event.to_user_name or ctx.settings.corp_id,
        handler=name,
        attempt=ctx.delivery.attempt,
    ):
        await call(event, ctx)


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


MIDDLEWARES: list[Middleware] = [with_log_context, log_handler, count_errors, classify_errors]
