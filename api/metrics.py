"""What `/metrics` counts: requests by route pattern, and the registry's own gauges.

Requests are labelled by the URL rule that matched (`/api/v1/workers/<nik:nik>`),
never by the path asked for: a path carries NIKs, and every distinct label
value is a time series kept for ever. Methods outside the standard few count
as `other`, paths that match no rule as `unmatched`, for the same reason.

Under `registry serve` every gunicorn worker writes its counts to files in
`PROMETHEUS_MULTIPROC_DIR` (set, and emptied, by registry/entrypoints/serve.py
before any worker starts) and a scrape of any worker adds up all of them. The
registry's gauges (log size, projection lag, checkpoint age, readiness) are
read from the database at each scrape, by whichever worker answers: they
hold no per-process state to add up.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from flask import Response, g, request
from prometheus_client import (
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST

log = logging.getLogger("registry.metrics")
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED = "unmatched"

disable_created_metrics()  # a `_created` series per label set doubles the scrape for nothing

# Collected per process; under gunicorn through the multi-process files instead.
_LOCAL = CollectorRegistry(auto_describe=True)
REQUESTS = Counter("registry_http_requests", "Requests answered, by route pattern and status.",
                   ("method", "route", "status"), registry=_LOCAL)
LATENCY = Histogram("registry_http_request_duration_seconds",
                    "Time from the request's arrival in the app to its answer, by route pattern.",
                    ("method", "route"), registry=_LOCAL,
                    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))


def _labels() -> tuple[str, str]:
    rule = request.url_rule
    method = request.method if request.method in METHODS else "other"
    return method, rule.rule if rule is not None else UNMATCHED


def start() -> None:
    """before_request: the clock starts (first, so that refusals are timed too)."""
    g.metrics_started = time.perf_counter()


def observe(response: Response) -> Response:
    """after_request: count the answer."""
    _count(response.status_code)
    return response


def observe_failure(error: BaseException | None) -> None:
    """teardown_request: an exception no handler answered was a 500 the hooks did not see."""
    if error is not None:
        _count(500)


def _count(status: int) -> None:
    started = g.pop("metrics_started", None)
    if started is None:  # counted already, or begun before the hooks (nothing to time)
        return
    method, route = _labels()
    REQUESTS.labels(method, route, str(status)).inc()
    LATENCY.labels(method, route).observe(time.perf_counter() - started)


class RegistryCollector:
    """The registry's gauges, read from the database at each scrape."""

    def __init__(self, reg: Any) -> None:
        self.reg = reg

    def collect(self) -> Iterator[Metric]:
        try:  # read everything first: a database lost mid-scrape reads as down
            gauges = list(self._gauges()) if self.reg.store.ping() else []
        except Exception:  # noqa: BLE001 - a scrape reports, it does not fail
            log.warning("reading the registry's gauges failed", exc_info=True)
            gauges = []
        yield GaugeMetricFamily("registry_database_up",
                                "1 if the database answered this scrape.", value=int(bool(gauges)))
        yield from gauges

    def _gauges(self) -> Iterator[Metric]:
        runner = self.reg.projections
        unbuilt = runner.unbuilt()
        yield GaugeMetricFamily("registry_read_models_ready",
                                "1 if every read model is built for this version.",
                                value=int(not unbuilt))
        head = self.reg.app.head_position()
        yield CounterMetricFamily("registry_events_written",
                                  "Events in the log (its head position).", value=head)
        lag = GaugeMetricFamily("registry_projection_lag_events",
                                "Events in the log a read model has yet to apply.",
                                labels=("read_model",))
        for name, behind in sorted(runner.lag(head).items()):
            lag.add_metric((name,), behind)
        yield lag
        newest = self.reg.log.kept.newest_signed()
        if newest is not None:
            size, signed_at = newest
            yield GaugeMetricFamily("registry_checkpoint_tree_size",
                                    "Leaves of the newest signed checkpoint kept.", value=size)
            age = (datetime.now(UTC) - signed_at).total_seconds()
            yield GaugeMetricFamily("registry_checkpoint_age_seconds",
                                    "Seconds since the newest checkpoint was signed.",
                                    value=max(0.0, age))
        if self.reg.replica is not None:
            behind = self.reg.replica.replica_lag()
            yield GaugeMetricFamily("registry_replica_up",
                                    "1 if the read replica answered this scrape.",
                                    value=int(behind is not None))
            if behind is not None:
                yield GaugeMetricFamily(
                    "registry_replica_lag_events",
                    "Events of the log the replica's read models have yet to apply.",
                    value=behind)


class _Local:
    def collect(self) -> Iterator[Metric]:
        return iter(_LOCAL.collect())


def exposition(reg: Any) -> Response:
    """The text `/metrics` answers: this process's counts (or all workers'), and the gauges."""
    scrape = CollectorRegistry(auto_describe=False)
    if os.environ.get(MULTIPROC_ENV):
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(scrape)
    else:
        scrape.register(_Local())
    scrape.register(RegistryCollector(reg))
    return Response(generate_latest(scrape), mimetype=None, content_type=CONTENT_TYPE_LATEST)
