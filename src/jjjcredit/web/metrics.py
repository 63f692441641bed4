"""The data's freshness on /metrics, read from the database at each scrape (services/freshness.py: two small
queries), beside the HTTP counters and the audit trail's gauges of web/app.py. Every metric is listed in
docs/cli.md (serve, metrics).

A scrape the database cannot answer still serves the other metrics: the freshness series are left out
(Prometheus ``absent()`` sees it) and the failure is logged with ``db.unavailable``.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily, InfoMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from jjjcredit.services import freshness
from jjjcredit.services.federation import status as federation_status

log = logging.getLogger("jjjcredit.web")


class Freshness(Collector):
    """Per source, its last batch — id, when it finished, rows read, share rejected — the library's
    change-feed sequence, and the age of the current evidence signing key."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def describe(self) -> Iterator[Metric]:
        return iter(self._families())  # names only: registering reads nothing

    def collect(self) -> Iterator[Metric]:
        try:
            with self.engine.connect() as conn:
                state = freshness.read_freshness(conn)
        except SQLAlchemyError as exc:  # the HTTP metrics are still worth serving
            log.warning("metrics: the freshness could not be read: %s", type(exc).__name__,
                        extra={"code": "db.unavailable"})
            return iter(())
        info, finished, rows, ratio, sequence, key_age = families = self._families()
        for last in state.last_batches:
            info.add_metric([last.source], {"batch": last.batch})
            finished.add_metric([last.source], last.finished_at.timestamp())
            rows.add_metric([last.source], last.rows)
            ratio.add_metric([last.source], last.reject_ratio)
        sequence.add_metric([], state.sequence)
        if state.signing_key_created is not None:
            now = datetime.datetime.now(datetime.UTC)
            key_age.add_metric([], max(0.0, (now - state.signing_key_created).total_seconds()))
        return iter(families)

    @staticmethod
    def _families() -> tuple[InfoMetricFamily, GaugeMetricFamily, GaugeMetricFamily, GaugeMetricFamily,
                             GaugeMetricFamily, GaugeMetricFamily]:
        source = ["source"]
        return (InfoMetricFamily("jjjcredit_library_last_batch", "The last batch of each source (its id)",
                                 labels=source),
                GaugeMetricFamily("jjjcredit_library_last_batch_timestamp_seconds",
                                  "When the last batch of each source finished (Unix time)", labels=source),
                GaugeMetricFamily("jjjcredit_library_last_batch_rows", "Rows read in the last batch of each source",
                                  labels=source),
                GaugeMetricFamily("jjjcredit_library_last_batch_reject_ratio",
                                  "Rejected rows over rows read in the last batch of each source", labels=source),
                GaugeMetricFamily("jjjcredit_library_sequence",
                                  "The library's change-feed sequence: the last seq given to a change"),
                GaugeMetricFamily("jjjcredit_signing_key_age_seconds",
                                  "Seconds since the current evidence signing key was created"))


class Federation(Collector):
    """Per peer, how far behind its stream this node's follower is: messages and seconds (read from what the
    follower noted, services/federation/status.py — a scrape never waits on the broker)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def describe(self) -> Iterator[Metric]:
        return iter(self._families())

    def collect(self) -> Iterator[Metric]:
        try:
            with self.engine.connect() as conn:
                found = federation_status.lags(conn)
        except SQLAlchemyError as exc:
            log.warning("metrics: the federation lag could not be read: %s", type(exc).__name__,
                        extra={"code": "db.unavailable"})
            return iter(())
        behind, seconds = families = self._families()
        for peer, messages, late in found:
            behind.add_metric([peer], messages)
            seconds.add_metric([peer], late)
        return iter(families)

    @staticmethod
    def _families() -> tuple[GaugeMetricFamily, GaugeMetricFamily]:
        return (GaugeMetricFamily("jjjcredit_federation_behind_messages", "Messages of each peer's stream not "
                                  "applied yet (as the follower last looked)", labels=["peer"]),
                GaugeMetricFamily("jjjcredit_federation_behind_seconds", "Seconds from the peer's newest message "
                                  "back to the last one applied (0 when caught up)", labels=["peer"]))
