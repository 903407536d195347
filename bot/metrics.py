"""Prometheus metrics, one registry per app so that several apps in one process don't collide.

Under `scrm-bot serve --workers N` the supervisor sets `PROMETHEUS_MULTIPROC_DIR` for its
workers: prometheus_client then keeps every value in a file per process, and `render` sums
them, so `/metrics` answers the same totals whichever worker the kernel hands the scrape to.
"""

from __future__ import annotations

import os

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"

LAG_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 60, 300)


class Metrics:
    """Every metric the process exports; handed to the callback, pipeline and WeCom client."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.callbacks = Counter(
            "scrm_callbacks",
            "WeCom callback requests by result (accepted, duplicate, or the refusal reason).",
            ["result"],
            registry=self.registry,
        )
        self.pipeline_lag = Histogram(
            "scrm_pipeline_lag_seconds",
            "Seconds from callback receipt to the end of handling.",
            buckets=LAG_BUCKETS,
            registry=self.registry,
        )
        self.pipeline_backlog = Gauge(
            "scrm_pipeline_backlog",
            "Events in the stream not yet acknowledged (read at scrape time).",
            registry=self.registry,
            multiprocess_mode="mostrecent",  # read from Redis: the latest reading, not a sum
        )
        self.pipeline_pending = Gauge(
            "scrm_pipeline_pending",
            "Events delivered to a consumer and not yet acknowledged (read at scrape time).",
            registry=self.registry,
            multiprocess_mode="mostrecent",
        )
        self.dead_letters = Gauge(
            "scrm_dead_letters",
            "Events in the dead-letter stream (read at scrape time).",
            registry=self.registry,
            multiprocess_mode="mostrecent",
        )
        self.events_handled = Counter(
            "scrm_events_handled",
            "Events by event type and outcome (ok, retry, dead).",
            ["event", "outcome"],
            registry=self.registry,
        )
        self.handler_errors = Counter(
            "scrm_handler_errors",
            "Handler exceptions by handler.",
            ["handler"],
            registry=self.registry,
        )
        self.wecom_calls = Counter(
            "scrm_wecom_api_calls",
            "WeCom API calls by path and errcode (-1000: no answer).",
            ["path", "errcode"],
            registry=self.registry,
        )

    def render(self) -> bytes:
        """The exposition text: this app's registry, or every worker's sum under a supervisor."""
        folder = os.environ.get(MULTIPROCESS_ENV)
        if not folder:
            return generate_latest(self.registry)
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=folder)  # type: ignore[no-untyped-call]
        return generate_latest(registry)
