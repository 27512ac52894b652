"""Siang's settings: one frozen, typed object built from the environment once.

Nothing else in Siang reads ``os.environ``: the CLI builds a :class:`Settings`
with :meth:`Settings.from_env` and hands it to ``create_app``, the worker and
the emulator.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from pathlib import Path


class SettingsError(ValueError):
    """An environment variable is missing or malformed."""


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be an integer, got {raw!r}") from None


@dataclasses.dataclass(frozen=True, slots=True)
class Settings:
    """Everything Siang needs to know about where it runs.

    Attributes:
        channel_secret: LINE channel secret, used to verify ``X-Line-Signature``.
        channel_access_token: LINE channel access token for the Messaging API.
        line_api_base: Messaging API host (``https://api.line.me`` in
            production, the emulator's URL in the demo and tests).
        line_data_api_base: host for message content (``https://api-data.line.me``).
        database_url: libpq URI; empty means "start the embedded PostgreSQL".
        redis_url: Redis URL; empty means "start the embedded Redis".
        data_dir: folder for the embedded servers, the model and uploads.
        admin_password: the staff password for the admin (until staff accounts).
        secret_key: Flask session signing key.
        embedder: ``"e5"`` (multilingual-E5-small) or ``"fake"`` (tests).
        webhook_max_bytes: request body limit of ``POST /callback``, bytes.
        line_timeout_s: timeout of every Messaging API call, seconds.
        line_loading_timeout_s: timeout of the loading-animation call, seconds
            (``SIANG_LINE_LOADING_TIMEOUT_MS``). Shorter: the idea's reply waits
            on it, and the animation is only a courtesy.
        sweep_after_s: a webhook event not processed after this many seconds
            is re-enqueued by the sweeper.
        public_base_url: where residents can open Siang's public pages.
        erasure_key: key of the erasure ledger's keyed hashes
            (``SIANG_ERASURE_KEY``); empty means the key file
            ``data_dir/erasure.key`` (see ``pb.erasure_ledger``).
        clock: ``"system"`` (production) or ``"database"`` (``SIANG_CLOCK``):
            follow the simulated clock of ``siang simulate``'s database (``pb.clock``).
    """

    channel_secret: str
    channel_access_token: str
    line_api_base: str = "https://api.line.me"
    line_data_api_base: str = "https://api-data.line.me"
    database_url: str = ""
    redis_url: str = ""
    data_dir: Path = Path("var")
    admin_password: str = ""
    secret_key: str = ""
    embedder: str = "e5"
    webhook_max_bytes: int = 1_000_000
    line_timeout_s: float = 5.0
    line_loading_timeout_s: float = 1.0
    sweep_after_s: int = 30
    public_base_url: str = "http://127.0.0.1:5000"
    erasure_key: str = ""
    clock: str = "system"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, *, line: bool = True) -> "Settings":
        """Build settings from ``SIANG_*``, ``LINE_*``, ``DATABASE_URL`` and ``REDIS_URL``.

        Args:
            line: require the LINE channel secret and access token; commands
                that never call LINE (``siang db``, ``staff``, ``backup`` ...)
                pass False and get empty ones.

        Raises:
            SettingsError: a required variable is missing or not a number.
        """
        env = os.environ if env is None else env
        # With slots=True, ``cls.field`` is a slot descriptor, not the default value.
        default = {f.name: f.default for f in dataclasses.fields(cls)}
        secret = env.get("LINE_CHANNEL_SECRET", "")
        token = env.get("LINE_CHANNEL_ACCESS_TOKEN", "")
        if line and (not secret or not token):
            raise SettingsError(
                "LINE_CHANNEL_SECRET and LINE_CHANNEL_ACCESS_TOKEN must be set "
                "(`siang demo` sets emulator values for you)"
            )
        embedder = env.get("SIANG_EMBEDDER", "e5")
        if embedder not in ("e5", "fake"):
            raise SettingsError(f"SIANG_EMBEDDER must be 'e5' or 'fake', got {embedder!r}")
        clock = env.get("SIANG_CLOCK", "") or "system"
        if clock not in ("system", "database"):
            raise SettingsError(f"SIANG_CLOCK must be 'system' or 'database', got {clock!r}")
        return cls(
            channel_secret=secret,
            channel_access_token=token,
            line_api_base=env.get("LINE_API_BASE", default["line_api_base"]).rstrip("/"),
            line_data_api_base=env.get(
                "LINE_DATA_API_BASE", env.get("LINE_API_BASE", default["line_data_api_base"])
            ).rstrip("/"),
            database_url=env.get("DATABASE_URL", ""),
            redis_url=env.get("REDIS_URL", ""),
            data_dir=Path(env.get("SIANG_DATA_DIR", "var")).absolute(),
            admin_password=env.get("SIANG_ADMIN_PASSWORD", ""),
            secret_key=env.get("SIANG_SECRET_KEY", ""),
            embedder=embedder,
            webhook_max_bytes=_int(env, "SIANG_WEBHOOK_MAX_BYTES", default["webhook_max_bytes"]),
            line_timeout_s=float(_int(env, "SIANG_LINE_TIMEOUT_MS", 5000)) / 1000,
            line_loading_timeout_s=float(_int(env, "SIANG_LINE_LOADING_TIMEOUT_MS", 1000)) / 1000,
            sweep_after_s=_int(env, "SIANG_SWEEP_AFTER_S", default["sweep_after_s"]),
            public_base_url=env.get("SIANG_PUBLIC_URL", default["public_base_url"]).rstrip("/"),
            erasure_key=env.get("SIANG_ERASURE_KEY", ""),
            clock=clock,
        )

    def replace(self, **changes: object) -> "Settings":
        """A copy with some fields changed (e.g. resolved embedded-server URLs)."""
        return dataclasses.replace(self, **changes)

    def as_env(self) -> dict[str, str]:
        """The environment that rebuilds these settings in a child process."""
        return {
            "LINE_CHANNEL_SECRET": self.channel_secret,
            "LINE_CHANNEL_ACCESS_TOKEN": self.channel_access_token,
            "LINE_API_BASE": self.line_api_base,
            "LINE_DATA_API_BASE": self.line_data_api_base,
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis_url,
            "SIANG_DATA_DIR": str(self.data_dir),
            "SIANG_ADMIN_PASSWORD": self.admin_password,
            "SIANG_SECRET_KEY": self.secret_key,
            "SIANG_EMBEDDER": self.embedder,
            "SIANG_WEBHOOK_MAX_BYTES": str(self.webhook_max_bytes),
            "SIANG_LINE_TIMEOUT_MS": str(int(self.line_timeout_s * 1000)),
            "SIANG_LINE_LOADING_TIMEOUT_MS": str(int(self.line_loading_timeout_s * 1000)),
            "SIANG_SWEEP_AFTER_S": str(self.sweep_after_s),
            "SIANG_PUBLIC_URL": self.public_base_url,
            "SIANG_ERASURE_KEY": self.erasure_key,
            "SIANG_CLOCK": self.clock,
        }
