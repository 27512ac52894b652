"""Siang's Prometheus metrics: what is counted, where the numbers live, how they are scraped.

A leaf module: it imports only ``prometheus_client`` and the standard
library, so the webhook (``bot``), the admin, the workers and the web app
may all record into it without importing one another.

Several processes count: gunicorn's web workers and every ``siang
worker``. In prometheus_client's multiprocess mode each process writes its
numbers to small files in one folder, ``$PROMETHEUS_MULTIPROC_DIR``
(default ``SIANG_DATA_DIR/metrics``), and ``GET /metrics`` on any web
worker adds them all up. :func:`setup` chooses the folder; it must run in a
process before the first metric is touched, which is why nothing here
imports prometheus_client at import time. A process that never calls it
(the tests, a one-off command) counts in its own memory instead.

Queue depths and the outbox backlog are not counted: the web reads them
from Redis and PostgreSQL at scrape time (:class:`Reading`), so they are
true even when no process has counted anything yet.

The metrics (all prefixed ``siang_``): see :class:`_Metrics` and
``docs/OPERATIONS.md`` "Metrics".
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

#: The environment variable prometheus_client reads to choose multiprocess mode.
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
#: Bangkok is UTC+7 all year (no daylight saving): LINE's quota month and "per day" are local.
BANGKOK = dt.timezone(dt.timedelta(hours=7))

ACK_BUCKETS_S = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0)
REPLY_BUCKETS_S = (0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 20.0, 30.0, 60.0)
JOB_BUCKETS_S = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)
EMBED_BUCKETS_S = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)

_lock = threading.Lock()
_metrics: _Metrics | None = None
_multiproc_dir: Path | None = None


def status_class(status: int) -> str:
    """A LINE answer's HTTP status as a label: "200" (any 2xx), "409", "429", "4xx",
    "5xx", or "network" (0: timeout or connection error). 409 and 429 stand apart
    because they mean "already accepted" and "rate limited" (Messaging API, "Retry")."""
    if 200 <= status < 300:
        return "200"
    if status in (409, 429):
        return str(status)
    if 400 <= status < 500:
        return "4xx"
    if status >= 500:
        return "5xx"
    return "network"


class _Metrics:
    """The metric objects, built on first use (after :func:`setup`)."""

    def __init__(self) -> None:
        from prometheus_client import Counter, Histogram

        self.webhook_ack = Histogram(
            "siang_webhook_ack_seconds", "Seconds from a webhook request to its answer, "
            "by HTTP status (LINE wants a 2xx within 2 s).", ["status"], buckets=ACK_BUCKETS_S)
        self.events = Counter(
            "siang_events", "Webhook events stored (new), processed (handled, or given up "
            "with an error kept) and failed (an attempt raised).", ["outcome"])
        self.jobs = Histogram(
            "siang_job_seconds", "Seconds an RQ job ran, by job kind and result.",
            ["kind", "result"], buckets=JOB_BUCKETS_S)
        self.reply_latency = Histogram(
            "siang_reply_latency_seconds", "Seconds from the LINE event's timestamp to the "
            "answer of the reply call that answers it.", buckets=REPLY_BUCKETS_S)
        self.deliveries = Counter(
            "siang_line_deliveries", "Outbox sends to LINE, by call kind and answer "
            "(200, 409 already accepted, 429 rate limited, 4xx, 5xx, network).",
            ["kind", "status"])
        self.messages = Counter(
            "siang_line_messages", "Recipients reached by accepted calls, by kind and "
            "Bangkok day; push, multicast and broadcast count against the monthly quota, "
            "reply is free.", ["kind", "day"])
        self.embed = Histogram(
            "siang_embed_seconds", "Seconds to embed one idea (model and grouping vector).",
            buckets=EMBED_BUCKETS_S)
        self.announcement_recipients = Counter(
            "siang_announcement_recipients_queued", "Residents written into announcement "
            "batches by the queuing job.")


def _m() -> _Metrics:
    global _metrics
    if _metrics is None:
        with _lock:
            if _metrics is None:
                _metrics = _Metrics()
    return _metrics


# --- the processes' folder ---------------------------------------------------------------

def _pid_of(path: Path) -> int | None:
    """The process id in a multiprocess file name (``counter_1234.db``), or None."""
    tail = path.stem.rpartition("_")[2]
    return int(tail) if tail.isdigit() else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def wipe_if_stale(directory: Path) -> bool:
    """Empty the metrics folder when no process that wrote into it is still running.

    That is the start of a fresh run: the files of a previous run would add
    its totals to this one's. While any writer lives, every file stays, the
    dead ones' too, so that the sums never go down when one process of
    many restarts (Prometheus would read that as a counter reset).

    Returns:
        True when the folder was emptied.
    """
    files = list(directory.glob("*.db"))
    if any(_alive(pid) for pid in map(_pid_of, files) if pid is not None and pid != os.getpid()):
        return False
    for path in files:
        path.unlink(missing_ok=True)
    return True


def setup(data_dir: Path) -> Path:
    """Count into files shared by every Siang process on this machine (multiprocess mode).

    Call once per process, first thing in an entry point (the gunicorn app
    factory, ``siang worker``), before any metric is touched. The folder is
    ``$PROMETHEUS_MULTIPROC_DIR`` when set, else ``data_dir/metrics`` (the
    variable is then set, so that processes started from this one share it).
    The folder is emptied when it holds only files of finished processes
    (:func:`wipe_if_stale`).

    Returns:
        The folder.

    Raises:
        RuntimeError: prometheus_client was imported earlier in this process
            without the variable, so it already counts in memory.
    """
    global _multiproc_dir
    directory = Path(os.environ.get(MULTIPROC_ENV) or Path(data_dir) / "metrics")
    if "prometheus_client" in sys.modules and not os.environ.get(MULTIPROC_ENV):
        raise RuntimeError("bot.metrics.setup() must run before prometheus_client is imported")
    directory.mkdir(parents=True, exist_ok=True)
    os.environ[MULTIPROC_ENV] = str(directory)
    wipe_if_stale(directory)
    _multiproc_dir = directory
    return directory


# --- recording ---------------------------------------------------------------------------

def webhook_acked(status: int, seconds: float) -> None:
    """One webhook request answered with ``status`` after ``seconds``."""
    _m().webhook_ack.labels(str(status)).observe(seconds)


def events_counted(outcome: str, n: int = 1) -> None:
    """``n`` webhook events reached ``outcome``: "stored", "processed" or "failed"."""
    if n:
        _m().events.labels(outcome).inc(n)


@contextlib.contextmanager
def job_timer(kind: str) -> Iterator[dict[str, str]]:
    """Time an RQ job as ``kind``; the caller may set ``["result"]`` on the yielded dict
    (default "ok"; "error" when the job raised, and the exception goes on)."""
    labels = {"result": "ok"}
    start = time.perf_counter()
    try:
        yield labels
    except BaseException:
        labels["result"] = "error"
        raise
    finally:
        _m().jobs.labels(kind, labels["result"]).observe(time.perf_counter() - start)


def reply_answered(event_timestamp_ms: int | float, now: float | None = None) -> None:
    """A reply call was answered; ``event_timestamp_ms`` is the LINE event's ``timestamp``
    (Unix milliseconds). Clock skew can make the difference negative: counted as 0."""
    seconds = (now if now is not None else time.time()) - float(event_timestamp_ms) / 1000.0
    _m().reply_latency.observe(max(0.0, seconds))


def line_delivery(kind: str, status: int, recipients: int, *,
                  now: dt.datetime | None = None) -> None:
    """One outbox call to LINE answered ``status``; an accepted one (2xx) reached
    ``recipients`` people (LINE counts its quota per recipient, whatever the messages)."""
    m = _m()
    m.deliveries.labels(kind, status_class(status)).inc()
    if 200 <= status < 300 and recipients > 0:
        day = (now or dt.datetime.now(dt.timezone.utc)).astimezone(BANGKOK).date().isoformat()
        m.messages.labels(kind, day).inc(recipients)


def timed_embed(embed: Callable[[str], object]) -> Callable[[str], object]:
    """``embed`` that records its seconds in ``siang_embed_seconds``."""
    def timed(text: str):
        start = time.perf_counter()
        try:
            return embed(text)
        finally:
            _m().embed.observe(time.perf_counter() - start)
    return timed


def announcement_recipients_queued(n: int) -> None:
    """The queuing job wrote ``n`` more residents into announcement batches."""
    if n:
        _m().announcement_recipients.inc(n)


# --- scraping ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Reading:
    """A gauge read at scrape time: name (``siang_`` prefix included), help text,
    label names, and (label values, value) samples."""

    name: str
    documentation: str
    labels: tuple[str, ...]
    samples: tuple[tuple[tuple[str, ...], float], ...]


def render(readings: Iterable[Reading] = ()) -> tuple[bytes, str]:
    """The Prometheus text exposition of every process's counts plus ``readings``.

    In multiprocess mode (after :func:`setup`) the counts of every process
    that wrote into the folder are summed; otherwise this process's own.

    Returns:
        (body, content type).
    """
    from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
    from prometheus_client.core import GaugeMetricFamily

    _m()                                 # every metric family exists, even before a count
    registry = CollectorRegistry()
    if _multiproc_dir is not None:
        from prometheus_client.multiprocess import MultiProcessCollector

        MultiProcessCollector(registry, path=str(_multiproc_dir))
    else:
        registry.register(_Own(REGISTRY))
    families = []
    for reading in readings:
        family = GaugeMetricFamily(reading.name, reading.documentation, labels=list(reading.labels))
        for values, value in reading.samples:
            family.add_metric(list(values), value)
        families.append(family)
    registry.register(_Fixed(families))
    return generate_latest(registry), CONTENT_TYPE_LATEST


class _Own:
    """This process's default registry, as a collector."""

    def __init__(self, registry) -> None:
        self._registry = registry

    def collect(self):
        return self._registry.collect()


class _Fixed:
    """Metric families read at scrape time, as a collector."""

    def __init__(self, families: list) -> None:
        self._families = families

    def collect(self):
        return iter(self._families)
