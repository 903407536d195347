"""Prometheus metrics, one registry per app so that several apps in one process don't collide.

Under `scrm-bot serve --workers N` the supervisor sets `PROMETHEUS_MULTIPROC_DIR` for its
workers: prometheus_client then keeps every value in a file per process, and `render` sums
them, so `/metrics` answers the same totals whichever worker the kernel hands the scrape to.

A deployment serving several corps keeps one `MetricFamilies` whose metrics all have a first
label `corp` (the corp's slug); each corp's app counts through its own `Metrics`, bound to its
slug. (prometheus_client's per-process files key values by name and labels, not registry, so
the label is what keeps corps apart under `--workers` too.)
"""

from __future__ import annotations

import os
from typing import Any

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"

STALL_BUCKETS = (0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300)
LAG_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 60, 300)


class MetricFamilies:
    """Every metric the process exports, in one registry; `per_corp` adds the `corp` label."""

    def __init__(self, *, per_corp: bool = False) -> None:
        self.per_corp = per_corp
        self.registry = CollectorRegistry(auto_describe=True)
        corp = ["corp"] if per_corp else []
        self.callbacks = Counter(
            "scrm_callbacks",
            "WeCom callback requests by result (accepted, duplicate, or the refusal reason).",
            [*corp, "result"],
            registry=self.registry,
        )
        self.pipeline_lag = Histogram(
            "scrm_pipeline_lag_seconds",
            "Seconds from callback receipt to the end of handling.",
            corp,
            buckets=LAG_BUCKETS,
            registry=self.registry,
        )
        self.pipeline_backlog = Gauge(
            "scrm_pipeline_backlog",
            "Events in the stream not yet acknowledged (read at scrape time).",
            corp,
            registry=self.registry,
            multiprocess_mode="mostrecent",  # read from Redis: the latest reading, not a sum
        )
        self.pipeline_pending = Gauge(
            "scrm_pipeline_pending",
            "Events delivered to a consumer and not yet acknowledged (read at scrape time).",
            corp,
            registry=self.registry,
            multiprocess_mode="mostrecent",
        )
        self.dead_letters = Gauge(
            "scrm_dead_letters",
            "Events in the dead-letter stream (read at scrape time).",
            corp,
            registry=self.registry,
            multiprocess_mode="mostrecent",
        )
        self.events_handled = Counter(
            "scrm_events_handled",
            "Events by event type and outcome (ok, retry, dead).",
            [*corp, "event", "outcome"],
            registry=self.registry,
        )
        self.handler_errors = Counter(
            "scrm_handler_errors",
            "Handler exceptions by handler.",
            [*corp, "handler"],
            registry=self.registry,
        )
        self.wecom_calls = Counter(
            "scrm_wecom_api_calls",
            "WeCom API calls by path and errcode (-1000: no answer).",
            [*corp, "path", "errcode"],
            registry=self.registry,
        )

        self.loop_stalls = Histogram(
            "scrm_event_loop_stall_seconds",
            "Stretches over 0.1 s in which the event loop ran nothing else (bot.watchdog).",
            corp,
            buckets=STALL_BUCKETS,
            registry=self.registry,
        )

    def render(self) -> bytes:
        """The exposition text: this registry, or every worker's sum under a supervisor."""
        folder = os.environ.get(MULTIPROCESS_ENV)
        if not folder:
            return generate_latest(self.registry)
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=folder)  # type: ignore[no-untyped-call]
        return generate_latest(registry)


class _CorpLabelled:
    """A labelled metric seen by one corp: `labels(...)` adds `corp=<slug>`."""

    def __init__(self, metric: Any, corp: str) -> None:
        self._metric = metric
        self._corp = corp

    def labels(self, **labels: str) -> Any:
        return self._metric.labels(corp=self._corp, **labels)


class Metrics:
    """What one app counts into (the callback, pipeline and WeCom client are handed this):
    its own families, or a shared deployment's bound to the corp's slug."""

    def __init__(self, families: MetricFamilies | None = None, corp: str = "") -> None:
        self.families = families or MetricFamilies()
        self.registry = self.families.registry
        f = self.families
        self._callback_counters: dict[str, Any] = {}
        if not f.per_corp:
            self.callbacks: Any = f.callbacks
            self.pipeline_lag: Any = f.pipeline_lag
            self.pipeline_backlog: Any = f.pipeline_backlog
            self.pipeline_pending: Any = f.pipeline_pending
            self.dead_letters: Any = f.dead_letters
            self.events_handled: Any = f.events_handled
            self.handler_errors: Any = f.handler_errors
            self.wecom_calls: Any = f.wecom_calls
            self.loop_stalls: Any = f.loop_stalls
            return
        if not corp:
            raise ValueError("a per-corp metric family needs the corp's slug")
        self.callbacks = _CorpLabelled(f.callbacks, corp)
        self.pipeline_lag = f.pipeline_lag.labels(corp=corp)
        self.pipeline_backlog = f.pipeline_backlog.labels(corp=corp)
        self.pipeline_pending = f.pipeline_pending.labels(corp=corp)
        self.dead_letters = f.dead_letters.labels(corp=corp)
        self.events_handled = _CorpLabelled(f.events_handled, corp)
        self.handler_errors = _CorpLabelled(f.handler_errors, corp)
        self.wecom_calls = _CorpLabelled(f.wecom_calls, corp)
        self.loop_stalls = f.loop_stalls.labels(corp=corp)

    def count_callback(self, result: str) -> None:
        """One more callback with `result`; the labelled child is looked up once per result
        (every callback counts, and `labels()` costs a lock and a lookup each time)."""
        counter = self._callback_counters.get(result)
        if counter is None:
            counter = self._callback_counters[result] = self.callbacks.labels(result=result)
        counter.inc()

    def render(self) -> bytes:
        """The exposition text of every corp sharing the families (see `MetricFamilies`)."""
        return self.families.render()
