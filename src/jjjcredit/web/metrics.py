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


class Credit(Collector):
    """Per provider and item, the credit records' timeliness (services/freshness.read_credit): records,
    late records, whether the provider is silent past the item's update period, and its last batch —
    when, rows read, share rejected; and each item of the edition in force nobody has sent anything for."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def describe(self) -> Iterator[Metric]:
        return iter(self._families())

    def collect(self) -> Iterator[Metric]:
        try:
            with self.engine.connect() as conn:
                pairs, unsent = freshness.read_credit(conn)
        except SQLAlchemyError as exc:
            log.warning("metrics: the credit records' timeliness could not be read: %s", type(exc).__name__,
                        extra={"code": "db.unavailable"})
            return iter(())
        count, late, silent, finished, rows, ratio, nothing = families = self._families()
        for pair in pairs:
            labels = [pair.provider, pair.item]
            count.add_metric(labels, pair.records)
            late.add_metric(labels, pair.late)
            silent.add_metric(labels, int(pair.silent))
            if pair.last_batch is not None:
                finished.add_metric(labels, pair.last_batch.finished_at.timestamp())
                rows.add_metric(labels, pair.last_batch.rows)
                ratio.add_metric(labels, pair.last_batch.reject_ratio)
        for item in unsent:
            nothing.add_metric([item], 1)
        return iter(families)

    @staticmethod
    def _families() -> tuple[GaugeMetricFamily, ...]:
        pair = ["provider", "item"]
        return (GaugeMetricFamily("jjjcredit_credit_records", "Credit records of each provider under each item",
                                  labels=pair),
                GaugeMetricFamily("jjjcredit_credit_late_records", "Credit records of each provider under each "
                                  "item that came after its collection time limit (or were withdrawn after the "
                                  "deadline)", labels=pair),
                GaugeMetricFamily("jjjcredit_credit_silent", "1 when the provider has sent nothing under the item "
                                  "for longer than its update period", labels=pair),
                GaugeMetricFamily("jjjcredit_credit_last_batch_timestamp_seconds", "When the provider's last "
                                  "committed batch under the item finished (Unix time)", labels=pair),
                GaugeMetricFamily("jjjcredit_credit_last_batch_rows", "Rows read in the provider's last committed "
                                  "batch under the item", labels=pair),
                GaugeMetricFamily("jjjcredit_credit_last_batch_reject_ratio", "Rejected rows over rows read in the "
                                  "provider's last committed batch under the item", labels=pair),
                GaugeMetricFamily("jjjcredit_credit_item_unsent", "1 for each item of the catalogue edition in "
                                  "force no provider has sent anything for", labels=["item"]))


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
