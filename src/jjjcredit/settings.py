"""Settings, read from the environment once, at the edge (CLI or server start), never at import."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from jjjcredit.core.errors import Error
from jjjcredit.core.limits import Limits

DEFAULT_DATABASE_URL = "sqlite:///" + str(Path("var") / "jjjcredit.sqlite3")
#: The platform's address when none is configured: where ``jjjcredit serve`` listens by default. Signed
#: reports and the catalogue's DCAT names point there — never to the Host a caller's request names.
DEFAULT_PUBLIC_URL = "http://127.0.0.1:8000"


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    #: A directory of edited crosswalk files that replace the package defaults of the same name.
    crosswalks_dir: Path | None = None
    #: Calls a minute from one address without an API key (a setting; the regulation gives none).
    public_rate_per_minute: int = 60
    #: Calls a minute one client (API key) makes to the public's services — lookup, search, verify, reconcile,
    #: the catalogue, credit records (``JJJCREDIT_CLIENT_RATE_PER_MINUTE``; a setting, the regulation gives
    #: none): ten times the public's, since a key is issued to a known party and a batch counts its work.
    client_rate_per_minute: int = 600
    #: How long audit trail entries are kept (``jjjcredit audit purge``): ten years by default.
    audit_retention_days: int = 3653
    #: Redis for state every worker shares (the public rate limits); ``None``: each process counts alone.
    redis_url: str | None = None
    #: The prefix of every Redis key this server writes (several deployments may share one Redis).
    redis_prefix: str = "jjjcredit:"
    #: How long the server's shutdown waits for the audit trail's queue to be written when the database
    #: refuses writes; what is left then is counted (metric, log line) and given up.
    audit_close_seconds: float = 5.0
    #: How often the server signs a checkpoint of the audit chain's head (seconds; 0: only on demand).
    audit_checkpoint_seconds: float = 3600.0
    #: The operator's secret the signing keys are encrypted with in the database (``None``: no signing).
    signing_key_secret: str | None = None
    #: Proxies whose X-Forwarded-For is believed (addresses or CIDR networks, ``JJJCREDIT_TRUSTED_PROXIES``,
    #: comma-separated); none by default: a call is counted against the address it comes from.
    trusted_proxies: tuple[str, ...] = ()
    #: Files at least this big are read and checked by a second process while the ingest writes.
    read_aside_bytes: int = 8 << 20
    #: The encoding of every CSV a command writes (``--csv-encoding``): ``utf-8-sig`` (UTF-8 with a byte
    #: order mark) or ``gb18030`` — the two Excel on a Chinese Windows opens correctly.
    csv_encoding: str = "utf-8-sig"
    #: Where the catalogue's DCAT URIs start (``JJJCREDIT_CATALOGUE_BASE_URI``, e.g. the public address
    #: of ``/api/v1/catalogue/``); ``None``: as the reports' address (``report_base_url``), never the Host
    #: header of the request.
    catalogue_base_uri: str | None = None
    #: The public address credit reports point to: their QR code and verification address are
    #: ``{this}/api/v1/reports/{number}`` (``JJJCREDIT_REPORT_BASE_URL``); ``None``: the address ``jjjcredit
    #: serve`` listens on (it sets the variable from --host and --port when it is not set), else
    #: :data:`DEFAULT_PUBLIC_URL` — never the Host header of the request, which any caller chooses.
    report_base_url: str | None = None
    #: Days within which a published penalty that is changed or revoked is withdrawn
    #: (``JJJCREDIT_WITHDRAWAL_DAYS``; Administrative Penalty Law 2021, Art. 48: three days).
    withdrawal_days: int = 3
    #: This node's name in exchange packages (``JJJCREDIT_NODE``): the producing node of every package it
    #: exports, the name its peers know it by (a lower-case word; one node per region by default).
    node: str = "hebei"
    #: The broker federation publishes and follows changes through (``JJJCREDIT_NATS_URL``): NATS with
    #: JetStream.
    nats_url: str = "nats://127.0.0.1:4222"
    #: The prefix of federation's stream and subject names on the broker (``JJJCREDIT_FEDERATION_PREFIX``):
    #: streams ``JJJ_<NODE>``, subjects ``jjj.<node>.<kind>``.
    federation_prefix: str = "jjj"
    #: Seconds before the broker delivers again a message a follower took and did not acknowledge
    #: (``JJJCREDIT_FEDERATION_ACK_SECONDS``): how long a follower stopped mid-message holds up its next run.
    federation_ack_seconds: float = 30.0
    #: Whether the relay compresses a message's data (``JJJCREDIT_FEDERATION_COMPRESS``, 1 or 0; a follower
    #: reads both): 0 while a peer still runs a release that does not read the ``Jjj-Data-Encoding`` header.
    federation_compress: bool = True
    #: Signed credit reports a minute one client (API key) — or, without a key, one address — may have issued
    #: (``JJJCREDIT_REPORTS_PER_MINUTE``): each is rendered, numbered, signed and kept, far more work than a
    #: look-up; counted apart from (and besides) the public's calls.
    reports_per_minute: int = 20
    #: The size of everything accepted (``JJJCREDIT_LIMIT_<NAME>``; docs/limits.md).
    limits: Limits = field(default_factory=Limits)

    @property
    def catalogue_base(self) -> str:
        """Where the catalogue's DCAT URIs start, ending with ``/``: :attr:`catalogue_base_uri`, else the
        reports' address (:attr:`report_base_url`, else :data:`DEFAULT_PUBLIC_URL`) + ``/api/v1/catalogue/``.
        The command line and the API name an edition the same way.

        >>> Settings(report_base_url="https://credit.example/").catalogue_base
        'https://credit.example/api/v1/catalogue/'
        >>> Settings(catalogue_base_uri="https://data.example/catalogue").catalogue_base
        'https://data.example/catalogue/'
        """
        reports = (self.report_base_url or DEFAULT_PUBLIC_URL).rstrip("/")
        base = self.catalogue_base_uri or f"{reports}/api/v1/catalogue/"
        return base if base.endswith("/") else base + "/"

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        crosswalks_dir = env.get("JJJCREDIT_CROSSWALKS_DIR") or None
        return cls(database_url=env.get("JJJCREDIT_DATABASE_URL", DEFAULT_DATABASE_URL),
                   crosswalks_dir=Path(crosswalks_dir) if crosswalks_dir else None,
                   public_rate_per_minute=_whole(env, "JJJCREDIT_PUBLIC_RATE_PER_MINUTE", 60, 1, 10**9),
                   client_rate_per_minute=_whole(env, "JJJCREDIT_CLIENT_RATE_PER_MINUTE", 600, 1, 10**9),
                   reports_per_minute=_whole(env, "JJJCREDIT_REPORTS_PER_MINUTE", 20, 1, 10**9),
                   audit_retention_days=_whole(env, "JJJCREDIT_AUDIT_RETENTION_DAYS", 3653, 1, 36_500),
                   audit_close_seconds=_seconds(env, "JJJCREDIT_AUDIT_CLOSE_SECONDS", 5, 0.01, 3600),
                   audit_checkpoint_seconds=_seconds(env, "JJJCREDIT_AUDIT_CHECKPOINT_SECONDS", 3600, 0, 86_400 * 366),
                   signing_key_secret=signing_secret(env),
                   redis_url=env.get("JJJCREDIT_REDIS_URL") or None,
                   redis_prefix=env.get("JJJCREDIT_REDIS_PREFIX", "jjjcredit:"),
                   trusted_proxies=tuple(p.strip() for p in env.get("JJJCREDIT_TRUSTED_PROXIES", "").split(",")
                                         if p.strip()),
                   read_aside_bytes=_whole(env, "JJJCREDIT_READ_ASIDE_BYTES", 8 << 20, 0, 1 << 40),
                   csv_encoding=env.get("JJJCREDIT_CSV_ENCODING") or "utf-8-sig",
                   catalogue_base_uri=env.get("JJJCREDIT_CATALOGUE_BASE_URI") or None,
                   report_base_url=env.get("JJJCREDIT_REPORT_BASE_URL") or None,
                   withdrawal_days=_whole(env, "JJJCREDIT_WITHDRAWAL_DAYS", 3, 0, 366),
                   node=env.get("JJJCREDIT_NODE") or "hebei",
                   nats_url=env.get("JJJCREDIT_NATS_URL") or "nats://127.0.0.1:4222",
                   federation_prefix=env.get("JJJCREDIT_FEDERATION_PREFIX") or "jjj",
                   federation_ack_seconds=_seconds(env, "JJJCREDIT_FEDERATION_ACK_SECONDS", 30, 1, 86_400),
                   federation_compress=_switch(env, "JJJCREDIT_FEDERATION_COMPRESS", True),
                   limits=Limits.from_env(env))


def _whole(env: Mapping[str, str], name: str, default: int, least: int, most: int) -> int:
    """A setting that is a whole number from ``least`` to ``most``; anything else is refused by name."""
    raw = env.get(name, "").strip()
    if not raw:
        return default
    value = int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 20 else None
    if value is None or not least <= value <= most:
        raise Error("settings.invalid", f"{name} must be a whole number from {least:,} to {most:,}, not {raw!r}.")
    return value


_SECONDS = re.compile(r"[0-9]+(\.[0-9]+)?")


def _seconds(env: Mapping[str, str], name: str, default: float, least: float, most: float) -> float:
    """A setting that is a number of seconds from ``least`` to ``most`` (digits, a decimal point); anything
    else is refused by name."""
    raw = env.get(name, "").strip()
    if not raw:
        return default
    value = float(raw) if _SECONDS.fullmatch(raw) and len(raw) <= 30 else None
    if value is None or not least <= value <= most:
        raise Error("settings.invalid", f"{name} must be a number of seconds from {_shown(least)} to "
                    f"{_shown(most)}, not {raw!r}.")
    return value


def _shown(value: float) -> str:
    return f"{value:,.0f}" if value == int(value) else f"{value:g}"


def _switch(env: Mapping[str, str], name: str, default: bool) -> bool:
    """A setting that is on (1) or off (0); anything else is refused, never taken for either."""
    raw = env.get(name, "").strip()
    if not raw:
        return default
    if raw not in ("0", "1"):
        raise Error("settings.invalid", f"{name} must be 1 (on) or 0 (off), not {raw!r}.")
    return raw == "1"


def signing_secret(env: Mapping[str, str]) -> str | None:
    """The operator's secret for the signing keys: ``JJJCREDIT_SIGNING_KEY_SECRET``, else the first line
    of the file ``JJJCREDIT_SIGNING_KEY_FILE`` names; ``None`` when neither is set."""
    secret = env.get("JJJCREDIT_SIGNING_KEY_SECRET")
    if secret:
        return secret
    path = env.get("JJJCREDIT_SIGNING_KEY_FILE")
    if path:
        try:
            first = Path(path).read_text(encoding="utf-8").strip().splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            why = "not UTF-8 text" if isinstance(exc, UnicodeDecodeError) else (exc.strerror or type(exc).__name__)
            raise Error("evidence.no_secret", f"Cannot read the operator secret file (JJJCREDIT_SIGNING_KEY_FILE): "
                        f"{path!r}: {why}; expected a text file whose first line is the secret.") from None
        return first[0] if first and first[0] else None
    return None
