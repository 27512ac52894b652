"""Logging for every Siang process: one JSON object per line, with correlation ids.

:func:`configure` is called once by each entry point (``siang`` commands,
the gunicorn app factory) and sends every logger's records to stderr as JSON
lines (python-json-logger), fields:

* ``time`` (ISO 8601, UTC), ``level``, ``logger``, ``message``, ``process``
  (web, worker, cli), ``pid``;
* ``request_id``: a webhook request's id (``bot.webhook`` takes the
  ``X-Request-Id`` of a proxy in front, or makes one, and answers with it);
* ``job_id``, and ``event_id`` / ``outbox_id`` / ``announcement_id`` when
  the job is about one: every line a worker writes while running a job, so
  one webhook event can be followed from the request that stored it
  (``"stored as [ids]"``) to its job and its reply.

Never in a log line (PDPA; README "Privacy"): a LINE user, group or room id,
idea text, a token or a password. The code does not log them, the tests
check it (``tests/test_logs.py``), and as a last guard the formatter
replaces anything shaped like a LINE id or a bearer token before a line is
written.

``SIANG_LOG_FORMAT=text`` gives plain lines instead, for a person at a terminal.
"""

from __future__ import annotations

import logging
import os
import re
import sys
from typing import IO, Any

from pythonjsonlogger.json import JsonFormatter

#: LINE user, group and room ids (``U``/``C``/``R`` + 32 hex digits) and bearer tokens.
_SECRETS = re.compile(r"\b[UCR][0-9a-f]{32}\b|(?i:bearer\s+)[A-Za-z0-9._~+/=-]{8,}")
_JOB_SUBJECT = re.compile(r"^(event|outbox|announcement)-(?:queue-)?(\d+)")
_MARK = "_siang_handler"
TEXT_FORMAT = "%(asctime)s %(process_role)s %(name)s %(levelname)s %(message)s"


def redact(text: str) -> str:
    """``text`` with LINE ids and bearer tokens replaced by ``[redacted]``."""
    return _SECRETS.sub("[redacted]", text)


class Correlation(logging.Filter):
    """Adds ``request_id`` (in a Flask request), ``job_id`` and the job's subject id
    (in an RQ job) and ``process_role`` to every record; never drops one."""

    def __init__(self, role: str) -> None:
        super().__init__()
        self.role = role

    def filter(self, record: logging.LogRecord) -> bool:
        record.process_role = self.role
        try:
            from flask import g, has_request_context

            if has_request_context() and g.get("request_id"):
                record.request_id = g.request_id
        except ImportError:   # pragma: no cover - Flask is a dependency
            pass
        try:
            from rq import get_current_job

            job = get_current_job()
        except Exception:     # outside a worker, RQ may find no connection: not an error here
            job = None
        if job is not None:
            record.job_id = job.id
            match = _JOB_SUBJECT.match(job.id or "")
            if match:
                setattr(record, f"{match.group(1)}_id", int(match.group(2)))
        return True


class _Json(JsonFormatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


class _Text(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def formatter(fmt: str = "json") -> logging.Formatter:
    """The formatter :func:`configure` puts on its handler: "json" or "text"."""
    if fmt == "text":
        return _Text(TEXT_FORMAT)
    return _Json("{asctime}{levelname}{name}{process_role}{process}{message}", style="{",
                 rename_fields={"asctime": "time", "levelname": "level", "name": "logger",
                                "process_role": "process", "process": "pid"},
                 json_ensure_ascii=False, datefmt="%Y-%m-%dT%H:%M:%S%z")


def configure(role: str, level: int = logging.INFO, *, stream: IO[str] | None = None,
              fmt: str | None = None) -> logging.Handler:
    """Send every log record of this process to ``stream`` (stderr) as JSON lines.

    Calling it again replaces the handler it added before (tests do). The
    handlers gunicorn installed on its own loggers get the same format and
    guard, so its access and error lines are JSON too.

    Args:
        role: "web", "worker" or "cli": the ``process`` field.
        level: the root logger's level (``logging.INFO``, ``logging.WARNING``).
        stream: where lines go (default ``sys.stderr``).
        fmt: "json" or "text"; default ``$SIANG_LOG_FORMAT``, else "json".

    Returns:
        The handler it installed.
    """
    fmt = fmt or os.environ.get("SIANG_LOG_FORMAT", "json")
    if fmt not in ("json", "text"):
        raise ValueError(f"SIANG_LOG_FORMAT must be json or text, not {fmt!r}")
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(formatter(fmt))
    handler.addFilter(Correlation(role))
    setattr(handler, _MARK, True)
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, _MARK, False)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for name in ("gunicorn.error", "gunicorn.access"):
        for other in logging.getLogger(name).handlers:
            other.setFormatter(formatter(fmt))
            if not any(isinstance(f, Correlation) for f in other.filters):
                other.addFilter(Correlation(role))
    return handler


def fields(line: str) -> dict[str, Any]:
    """One JSON log line as a dict (for tests and tools)."""
    import json

    return json.loads(line)
