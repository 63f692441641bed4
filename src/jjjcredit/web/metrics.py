"""The data's freshness on /metrics, read from the database at each scrape (services/freshness.py: two small
queries), beside the HTTP counters and the audit trail's gauges of web/app.py. Every metric is listed in
docs/cli.md (serve, metrics).

A scrape the database cannot answer still serves the other metrics: the freshness series are left out
(Prometheus ``absent()`` sees it) and the failure is logged with ``db.unavailable``.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterator, Sequence
from typing import Any

from prometheus_client.core import GaugeMetricFamily, InfoMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from jjjcredit.services import freshness
from jjjcredit.services.federation import status as federation_status

log = logging.getLogger("jjjcredit.web")


class _ReadAtScrape(Collector):
    """Series read from the database at each scrape (:meth:`_read`, then :meth:`_fill` of the
    :meth:`_families`). A scrape the database cannot answer leaves them out (Prometheus ``absent()`` sees
    it) and logs ``db.unavailable``: the other metrics are still worth serving."""

    what = ""  #: what the log line says could not be read

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def describe(self) -> Iterator[Metric]:
        return iter(self._families())  # names only: registering reads nothing

    def collect(self) -> Iterator[Metric]:
        try:
            with self.engine.connect() as conn:
                state = self._read(conn)
        except SQLAlchemyError as exc:
            log.warning("metrics: %s could not be read: %s", self.what, type(exc).__name__,
                        extra={"code": "db.unavailable"})
            return iter(())
        families = self._families()
        self._fill(state, families)
        return iter(families)

    def _read(self, conn: Connection) -> Any:
        raise NotImplementedError

    def _fill(self, state: Any, families: Sequence[Any]) -> None:
        raise NotImplementedError

    @staticmethod
    def _families() -> tuple[Metric, ...]:
        raise NotImplementedError


class Freshness(_ReadAtScrape):
    """Per source, its last batch — id, when it finished, rows read, share rejected — the library's
    change-feed sequence, and the age of the current evidence signing key."""

    what = "the freshness"

    def _read(self, conn: Connection) -> freshness.Freshness:
        return freshness.read_freshness(conn)

    def _fill(self, state: freshness.Freshness, families: Sequence[Any]) -> None:
        info, finished, rows, ratio, sequence, key_age = families
        for last in state.last_batches:
            info.add_metric([last.source], {"batch": last.batch})
            finished.add_metric([last.source], last.finished_at.timestamp())
            rows.add_metric([last.source], last.rows)
            ratio.add_metric([last.source], last.reject_ratio)
        sequence.add_metric([], state.sequence)
        if state.signing_key_created is not None:
            now = datetime.datetime.now(datetime.UTC)
            key_age.add_metric([], max(0.0, (now - state.signing_key_created).total_seconds()))

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


class Credit(_ReadAtScrape):
    """Per provider and item, the credit records' timeliness (services/freshness.read_credit): records,
    late records, whether the provider is silent past the item's update period, and its last batch —
    when, rows read, share rejected; and each item of the edition in force nobody has sent anything for."""

    what = "the credit records' timeliness"

    def _read(self, conn: Connection) -> tuple[list[freshness.CreditFreshness], list[str]]:
        return freshness.read_credit(conn)

    def _fill(self, state: tuple[list[freshness.CreditFreshness], list[str]], families: Sequence[Any]) -> None:
        pairs, unsent = state
        count, late, silent, retired, finished, rows, ratio, nothing = families
        for pair in pairs:
            labels = [pair.provider, pair.item]
            count.add_metric(labels, pair.records)
            late.add_metric(labels, pair.late)
            silent.add_metric(labels, int(pair.silent))
            retired.add_metric(labels, int(pair.retired))
            if pair.last_batch is not None:
                finished.add_metric(labels, pair.last_batch.finished_at.timestamp())
                rows.add_metric(labels, pair.last_batch.rows)
                ratio.add_metric(labels, pair.last_batch.reject_ratio)
        for item in unsent:
            nothing.add_metric([item], 1)

    @staticmethod
    def _families() -> tuple[GaugeMetricFamily, ...]:
        pair = ["provider", "item"]
        return (GaugeMetricFamily("jjjcredit_credit_records", "Credit records of each provider under each item",
                                  labels=pair),
                GaugeMetricFamily("jjjcredit_credit_late_records", "Credit records of each provider under each "
                                  "item that came after its collection time limit (or were withdrawn after the "
                                  "deadline)", labels=pair),
                GaugeMetricFamily("jjjcredit_credit_silent", "1 when the provider has sent nothing under the item "
                                  "for longer than its update period (never while it is retired)", labels=pair),
                GaugeMetricFamily("jjjcredit_credit_retired", "1 while the provider is retired under the item "
                                  "(`credit retire-provider`): not expected to send", labels=pair),
                GaugeMetricFamily("jjjcredit_credit_last_batch_timestamp_seconds", "When the provider's last "
                                  "committed batch under the item finished (Unix time)", labels=pair),
                GaugeMetricFamily("jjjcredit_credit_last_batch_rows", "Rows read in the provider's last committed "
                                  "batch under the item", labels=pair),
                GaugeMetricFamily("jjjcredit_credit_last_batch_reject_ratio", "Rejected rows over rows read in the "
                                  "provider's last committed batch under the item", labels=pair),
                GaugeMetricFamily("jjjcredit_credit_item_unsent", "1 for each item of the catalogue edition in "
                                  "force no provider is expected to send for (none has sent anything, or every one "
                                  "that did is retired)", labels=["item"]))


class Federation(_ReadAtScrape):
    """Per peer, how far behind its stream this node's follower is: messages and seconds (read from what the
    follower noted, services/federation/status.py — a scrape never waits on the broker)."""

    what = "the federation lag"

    def _read(self, conn: Connection) -> Any:
        return federation_status.lags(conn)

    def _fill(self, state: Any, families: Sequence[Any]) -> None:
        behind, seconds = families
        for peer, messages, late in state:
            behind.add_metric([peer], messages)
            seconds.add_metric([peer], late)

    @staticmethod
    def _families() -> tuple[GaugeMetricFamily, GaugeMetricFamily]:
        return (GaugeMetricFamily("jjjcredit_federation_behind_messages", "Messages of each peer's stream not "
                                  "applied yet (as the follower last looked)", labels=["peer"]),
                GaugeMetricFamily("jjjcredit_federation_behind_seconds", "Seconds from the peer's newest message "
                                  "back to the last one applied (0 when caught up)", labels=["peer"]))
