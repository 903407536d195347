"""aiogram-style routing: a `Router` per feature module, dispatched by event type.

Each event's class is fixed by its (MsgType, Event, ChangeType) at parse time, so dispatch is a
lookup by class. Every matching handler runs, in the order the routers were included (order is
priority: the welcome must go out before slower work); a handler may raise `StopPropagation`
to keep later ones from seeing the event. A router marked `urgent` (someone is waiting: the new
customer's welcome, an admin's answer) runs in the pipeline's first lane; the others' handlers
may wait while urgent work is queued (`bot.pipeline.later`).
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from bot.context import HandlerContext
from bot.events import Event

E = TypeVar("E", bound=Event)
HandlerFunc = Callable[[Any, HandlerContext], Awaitable[None]]
Filter = Callable[[Any, HandlerContext], bool | Awaitable[bool]]
# A middleware wraps the call of one handler: (call, event, ctx, handler name) -> None
Middleware = Callable[[HandlerFunc, Event, HandlerContext, str], Awaitable[None]]


class StopPropagation(Exception):
    """Raised by a handler that consumed the event; later handlers don't see it."""


@dataclass(frozen=True, slots=True)
class HandlerSpec:
    """One registered handler: its stable name, event class, callback and filters."""

    name: str
    event_type: type[Event]
    callback: HandlerFunc
    filters: tuple[Filter, ...]
    urgent: bool = False

    async def accepts(self, event: Event, ctx: HandlerContext) -> bool:
        for check in self.filters:
            verdict = check(event, ctx)
            if inspect.isawaitable(verdict):
                verdict = await verdict
            if not verdict:
                return False
        return True


class Router:
    """The handlers of one feature module, registered with `@router.on(EventClass, *filters)`."""

    def __init__(self, name: str, *, urgent: bool = False) -> None:
        self.name = name
        self.urgent = urgent  # someone waits for these handlers: they never queue behind others
        self.handlers: list[HandlerSpec] = []

    def on(
        self, event_type: type[E], *filters: Filter
    ) -> Callable[
        [Callable[[E, HandlerContext], Awaitable[None]]],
        Callable[[E, HandlerContext], Awaitable[None]],
    ]:
        def register(
            callback: Callable[[E, HandlerContext], Awaitable[None]],
        ) -> Callable[[E, HandlerContext], Awaitable[None]]:
            name = f"{self.name}.{callback.__name__}"
            if any(spec.name == name for spec in self.handlers):
                raise ValueError(f"handler {name} registered twice")
            self.handlers.append(HandlerSpec(name, event_type, callback, filters, self.urgent))
            return callback

        return register


@dataclass(frozen=True, slots=True)
class Dispatched:
    """What one dispatch did: the handlers that ran, and whether one stopped propagation."""

    ran: list[str]
    stopped: bool = False


class Dispatcher:
    """Runs the handlers of an ordered list of routers through a fixed middleware chain."""

    def __init__(self, routers: Sequence[Router], middlewares: Sequence[Middleware] = ()) -> None:
        self.routers = list(routers)
        self.middlewares = list(middlewares)
        self._by_type: dict[type[Event], list[HandlerSpec]] = {}

    def handlers_for(self, event_type: type[Event]) -> list[HandlerSpec]:
        if event_type not in self._by_type:
            self._by_type[event_type] = [
                spec
                for router in self.routers
                for spec in router.handlers
                if issubclass(event_type, spec.event_type)
            ]
        return self._by_type[event_type]

    def has_later(self, event_type: type[Event], skip: Iterable[str] = ()) -> bool:
        """Whether handlers that aren't urgent (and not in `skip`) would see this event."""
        done = set(skip)
        return any(not s.urgent and s.name not in done for s in self.handlers_for(event_type))

    async def dispatch(
        self,
        event: Event,
        ctx: HandlerContext,
        skip: Iterable[str] = (),
        on_success: Callable[[str], Awaitable[None]] | None = None,
        urgent: bool | None = None,
    ) -> Dispatched:
        """Run every matching handler not in `skip` (`urgent`: only those of urgent routers,
        or only the others; None: all); returns the names of those that ran."""
        done = set(skip)
        ran: list[str] = []
        for spec in self.handlers_for(type(event)):
            if urgent is not None and spec.urgent != urgent:
                continue
            if spec.name in done or not await spec.accepts(event, ctx):
                continue
            try:
                await self._call(spec, event, ctx)
            except StopPropagation:
                ran.append(spec.name)
                return Dispatched(ran, stopped=True)
            ran.append(spec.name)
            if on_success is not None:
                await on_success(spec.name)
        return Dispatched(ran)

    async def _call(self, spec: HandlerSpec, event: Event, ctx: HandlerContext) -> None:
        call: HandlerFunc = spec.callback
        for middleware in reversed(self.middlewares):
            call = _wrap(middleware, call, spec.name)
        await call(event, ctx)


def _wrap(middleware: Middleware, inner: HandlerFunc, name: str) -> HandlerFunc:
    async def call(event: Event, ctx: HandlerContext) -> None:
        await middleware(inner, event, ctx, name)

    return call
