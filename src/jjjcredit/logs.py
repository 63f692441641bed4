"""The server's logs: one JSON object a line on stderr — ``time`` (UTC), ``level``, ``logger``,
``message``, and every field a record carries through ``extra=`` (the request line of ``web/app.py``:
request_id, method, path, route, status, latency_ms, client, service, and batch on a credit batch's call;
``code`` on errors).

``jjjcredit serve`` hands :func:`config` to uvicorn, which applies it in every worker process;
nothing is configured at import. The level applies to jjjcredit's and uvicorn's loggers; other
libraries log warnings and worse. Uvicorn's access log is off: the request line replaces it.

>>> record = logging.LogRecord("jjjcredit.web", logging.INFO, __file__, 1, "GET %s", ("/healthz",), None)
>>> record.created, record.status = 0.0, 200
>>> JsonFormatter().format(record)[:79]
'{"time": "1970-01-01T00:00:00.000Z", "level": "info", "logger": "jjjcredit.web"'
>>> json.loads(JsonFormatter().format(record))["status"]
200
"""

from __future__ import annotations

import datetime
import json
import logging
from typing import Any

from jjjcredit.core.codes.personal import shown_personal

LEVELS = ("debug", "info", "warning", "error")
#: What every record has; anything else on a record came through ``extra=`` and goes into the line.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message", "asctime", "taskName", "color_message"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        at = datetime.datetime.fromtimestamp(record.created, datetime.UTC)
        line: dict[str, Any] = {"time": at.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                                "level": record.levelname.lower(), "logger": record.name,
                                "message": record.getMessage()}
        for key, value in vars(record).items():
            if key not in _STANDARD and key not in line:
                line[key] = value
        if record.exc_info:  # a value an exception quotes may be a personal number (core/codes/personal)
            line["exception"] = shown_personal(self.formatException(record.exc_info))
        return readable(json.dumps(line, default=str, ensure_ascii=False))


def readable(text: str) -> str:
    """A JSON line with Chinese (and every printable character) as itself, so that ``grep 北京市`` finds a
    client's name, and each character that is not printable — a direction override, a line separator,
    an invisible one — escaped, so that no line shows other than it holds.

    >>> print(readable(json.dumps({"client": "北京市\\u202e局"}, ensure_ascii=False)))
    {"client": "北京市\\u202e局"}
    """
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else json.dumps(c)[1:-1] for c in text)


def config(level: str = "info") -> dict[str, Any]:
    """A :func:`logging.config.dictConfig` mapping: JSON lines on stderr at ``level`` (one of LEVELS)."""
    if level not in LEVELS:
        raise ValueError(f"log level {level!r} is not one of {', '.join(LEVELS)}")
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": f"{__name__}.JsonFormatter"}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}},
        "root": {"level": "WARNING", "handlers": ["stderr"]},
        "loggers": {
            **{name: {"level": level.upper(), "handlers": [], "propagate": True}
               for name in ("jjjcredit", "uvicorn", "uvicorn.error")},
            "uvicorn.access": {"level": "WARNING", "handlers": [], "propagate": False},
        },
    }
