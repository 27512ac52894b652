"""What every ``siang`` command shares: its settings, its servers, and one-line errors.

An operator meets the CLI with bad input: a file of the wrong kind, a vote
type Siang does not tally, a missing setting, a server that does not answer.
Each of those ends in one line on stderr (``Error: …``) and a non-zero exit,
never a traceback: :class:`OperatorGroup` turns the errors it knows into a
sentence and anything else into its type and first line (``siang -v`` shows
the traceback, for a bug report).
"""

from __future__ import annotations

import os
import sys

import click

from bot.settings import Settings, SettingsError


def settings_from_env(*, line: bool = True) -> Settings:
    """Settings from the environment; ``line=False`` for commands that never call LINE.

    Raises:
        click.ClickException: a setting is missing or malformed.
    """
    try:
        return Settings.from_env(line=line)
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None


def with_services(settings: Settings, *, redis: bool = True):
    """Start the embedded servers the settings leave unset (``siang.services``)."""
    from siang.services import start_embedded

    return start_embedded(settings, redis=redis)


def _one_line(text: str) -> str:
    lines = [line.strip() for line in str(text).splitlines() if line.strip()]
    return lines[0] if lines else ""


def _database_where() -> str:
    return "DATABASE_URL" if os.environ.get("DATABASE_URL") else "the embedded PostgreSQL"


def explain(exc: BaseException) -> str | None:
    """One line for an error an operator can cause; None for an unknown one."""
    import psycopg
    import redis

    from pb.erasure_ledger import LedgerKeyError
    from pb.pabulib import PbFormatError
    from pb.tally import UnsupportedVoteType

    if isinstance(exc, psycopg.OperationalError):
        return f"cannot reach PostgreSQL ({_database_where()}): {_one_line(exc)}"
    if isinstance(exc, psycopg.errors.UndefinedTable):
        return f"the database schema is not up to date: {_one_line(exc)} (run: siang db upgrade)"
    if isinstance(exc, redis.exceptions.ConnectionError):
        where = "REDIS_URL" if os.environ.get("REDIS_URL") else "the embedded Redis"
        return f"cannot reach Redis ({where}): {_one_line(exc)}"
    if _is_http_unreachable(exc):
        return f"cannot reach {_one_line(exc).split(': /', 1)[0]} (LINE_API_BASE?): {type(exc).__name__}"
    if isinstance(exc, UnsupportedVoteType):
        return f"unsupported vote type: {_one_line(exc)}"
    if isinstance(exc, (PbFormatError, LedgerKeyError, SettingsError)):
        return _one_line(exc)
    if type(exc) is ValueError:     # raised for bad input (a CSV's columns, a ballot, a cost)
        return _one_line(exc)
    if isinstance(exc, UnicodeDecodeError):
        return f"not a UTF-8 text file ({exc.reason} at byte {exc.start})"
    if isinstance(exc, OSError) and exc.strerror:
        return f"{exc.filename}: {exc.strerror}" if exc.filename else exc.strerror
    from siang.backup import BackupError
    from siang.up import UpError

    if isinstance(exc, (BackupError, UpError)):
        return _one_line(exc)
    return None


def _is_http_unreachable(exc: BaseException) -> bool:
    import requests
    import urllib3

    return isinstance(exc, (urllib3.exceptions.MaxRetryError, urllib3.exceptions.NewConnectionError,
                            requests.ConnectionError, requests.Timeout))


def preflight(settings: Settings) -> None:
    """Fail at once, in one line, when PostgreSQL or Redis does not answer (5 s each).

    For the long-running commands (web, worker), which would otherwise start
    and retry quietly against a server that is not there.

    Raises:
        click.ClickException: a server did not answer.
    """
    import psycopg
    import redis

    try:
        psycopg.connect(settings.database_url, connect_timeout=5).close()
        if settings.redis_url:
            client = redis.Redis.from_url(settings.redis_url, socket_connect_timeout=5)
            try:
                client.ping()
            finally:
                client.close()
    except (psycopg.OperationalError, redis.exceptions.ConnectionError) as exc:
        raise click.ClickException(explain(exc) or _one_line(exc)) from None


class OperatorGroup(click.Group):
    """A click group whose commands end bad input in one line and a non-zero exit."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        """As click's, but a usage error (a missing file, a bad option) is one line too."""
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode, **extra)
        try:
            super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.exceptions.UsageError as exc:
            where = f" (see: {exc.ctx.command_path} --help)" if exc.ctx is not None else ""
            click.echo(f"Error: {exc.format_message()}{where}", err=True)
            sys.exit(exc.exit_code)
        except click.exceptions.ClickException as exc:
            exc.show()
            sys.exit(exc.exit_code)
        except click.exceptions.Abort:
            click.echo("Aborted!", err=True)
            sys.exit(1)
        sys.exit(0)

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Exit,
                click.exceptions.Abort, SystemExit, KeyboardInterrupt):
            raise
        except Exception as exc:  # noqa: BLE001 - the CLI's last word: one line, not a traceback
            if ctx.params.get("verbose"):
                raise
            message = explain(exc)
            if message is None:
                message = (f"{type(exc).__name__}: {_one_line(exc) or 'no message'} "
                           "(siang -v … shows the traceback)")
            raise click.ClickException(message) from None
