"""Operator commands of ``siang``: up, services, backup, restore, ledger, staff (registered in cli.py)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from siang.cli_support import settings_from_env, with_services


@click.command("up")
@click.option("--procfile", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Procfile to run (default: the repository's).")
@click.option("--port", default=5000, show_default=True, help="PORT of the web process.")
@click.option("--sim-port", default=8090, show_default=True,
              help="LINE emulator port (LINESIM_PORT), when it runs.")
@click.option("--process", "names", multiple=True,
              help="Run only this Procfile process; repeat. Default: all (linesim only "
                   "without LINE credentials).")
def up(procfile: Path | None, port: int, sim_port: int, names: tuple[str, ...]) -> None:
    """Run the Procfile's processes against one set of embedded servers, until Ctrl-C.

    Inputs: the Procfile; DATABASE_URL / REDIS_URL (unset: embedded PostgreSQL and
    Redis under SIANG_DATA_DIR, started once here); LINE_* (unset: the LINE emulator).
    Output: every process's lines, prefixed with time and name. Ctrl-C stops the
    processes, then the embedded servers; exit 0 (else the status of a process that died).
    """
    from siang.app import check_web_settings
    from siang.up import PROCFILE, local_settings, run_up

    settings = settings_from_env(line=False)
    if "web" in (names or ("web",)):
        check_web_settings(local_settings(settings, sim_port)[0])
    sys.exit(run_up(settings, procfile=procfile or PROCFILE, port=port, sim_port=sim_port,
                    names=names))


@click.command("services")
def services() -> None:
    """Hold the embedded PostgreSQL and Redis for processes started elsewhere.

    Inputs: SIANG_DATA_DIR (and DATABASE_URL / REDIS_URL: a set one is not started).
    Output: `export DATABASE_URL=… REDIS_URL=… SIANG_DATA_DIR=…` lines on stdout
    (`eval "$(siang services)"` in another shell is not possible: copy them);
    then waits; Ctrl-C stops the servers.
    """
    from siang.up import hold_services

    sys.exit(hold_services(settings_from_env(line=False)))


@click.command("backup")
@click.argument("out_file", type=click.Path(dir_okay=False, writable=True, path_type=Path))
def backup(out_file: Path) -> None:
    """Write the database to OUT_FILE (pg_dump custom format, the server's own version).

    Inputs: DATABASE_URL (unset: the embedded PostgreSQL). The erasure ledger is
    left out on purpose (docs/OPERATIONS.md, "Backups and erasure").
    Output: OUT_FILE; one JSON line {"file", "bytes", "taken_at", "server_major"}.
    """
    from siang.backup import backup as run_backup

    settings = with_services(settings_from_env(line=False), redis=False).settings
    click.echo(json.dumps(run_backup(settings.database_url, out_file)))


@click.command("restore")
@click.argument("in_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--ledger", "ledger_file", type=click.Path(exists=True, dir_okay=False,
                                                         path_type=Path), default=None,
              help="A ledger export (siang ledger export) to merge first, when the "
                   "database's own ledger was lost.")
@click.option("--yes", is_flag=True, help="Do not ask before replacing the database.")
def restore(in_file: Path, ledger_file: Path | None, yes: bool) -> None:
    """Replace the database with backup IN_FILE, then erase again whoever was erased since.

    Inputs: IN_FILE from `siang backup`; DATABASE_URL; the ledger key
    (SIANG_ERASURE_KEY or SIANG_DATA_DIR/erasure.key). Stop web and workers first.
    Output: one JSON line {"backup_taken_at", "ledger_entries_after_backup",
    "erasures_reapplied", "ledger_file_entries_added"}. A failed restore changes nothing.
    """
    from pb.erasure_ledger import KEY_FILE_NAME, load_key
    from siang.backup import check_archive, restore as run_restore

    check_archive(in_file)
    settings = with_services(settings_from_env(line=False), redis=False).settings
    key_file = settings.data_dir / KEY_FILE_NAME
    key = (load_key(settings.erasure_key, key_file, create=False)
           if settings.erasure_key or key_file.exists() else None)
    if not yes:
        click.confirm(f"Replace every table of the database with {in_file}?", abort=True)
    report = run_restore(settings.database_url, in_file, key, ledger_file)
    click.echo(json.dumps(report.as_dict()))


@click.group("ledger")
def ledger() -> None:
    """The erasure ledger (keyed hashes of erased LINE user ids, kept out of backups)."""


@ledger.command("export")
@click.argument("out_file", type=click.Path(dir_okay=False, writable=True, path_type=Path))
def ledger_export(out_file: Path) -> None:
    """Write the erasure ledger to OUT_FILE as JSON lines, to keep apart from the backups.

    Inputs: DATABASE_URL. Output: OUT_FILE ({"subject", "ideas_mode", "erased_at"}
    per line: no personal data) and one JSON line {"file", "entries"}.
    """
    from siang.backup import export_ledger

    settings = with_services(settings_from_env(line=False), redis=False).settings
    n = export_ledger(settings.database_url, out_file)
    click.echo(json.dumps({"file": str(out_file), "entries": n}))


@click.group("staff")
def staff() -> None:
    """Staff accounts for the admin (admin, officer, viewer, community)."""


def _new_password(password_stdin: bool) -> str:
    if password_stdin:
        return sys.stdin.readline().rstrip("\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


@staff.command("create")
@click.argument("username")
@click.option("--name", "display_name", default="", help="Display name (default: username).")
@click.option("--role", type=click.Choice(["admin", "officer", "viewer", "community"]),
              required=True)
@click.option("--district", "assigned", multiple=True,
              help="Thai district name an officer (or a scoped viewer) works in; repeat.")
@click.option("--community", "community_id", type=int, default=None,
              help="Id of the one community a community committee account reaches (the "
                   "number in /admin/communities/ID); required with --role community.")
@click.option("--password-stdin", is_flag=True, help="Read the password from stdin.")
def staff_create(username: str, display_name: str, role: str, assigned: tuple[str, ...],
                 community_id: int | None, password_stdin: bool) -> None:
    """Create staff account USERNAME (password asked twice, at least 12 characters).

    A ``community`` account (issue 18) sees and compiles only its community's plan.
    Inputs: DATABASE_URL (no LINE settings). Output: one line "created staff #ID …".
    """
    from pb import communities
    from pb import db as pbdb
    from pb import staff as staff_rows

    if role == "officer" and not assigned:
        raise click.ClickException("a district officer needs at least one --district")
    if role == "community" and community_id is None:
        raise click.ClickException("a community account needs --community ID (the community's "
                                   "number in /admin/communities)")
    if role != "community" and community_id is not None:
        raise click.ClickException("--community goes only with --role community")
    settings = with_services(settings_from_env(line=False), redis=False).settings
    password = _new_password(password_stdin)
    try:
        with pbdb.connection(settings.database_url) as conn, conn.transaction():
            if community_id is not None and communities.find(conn, community_id) is None:
                raise click.ClickException(f"no community #{community_id} "
                                           "(see /admin/communities)")
            staff_id = staff_rows.create(conn, username=username, display_name=display_name,
                                         password=password, role=role, assigned=list(assigned),
                                         community_id=community_id)
    except staff_rows.StaffError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"created staff #{staff_id} {username.strip().lower()} ({role})")


@staff.command("set-password")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Read the password from stdin.")
def staff_set_password(username: str, password_stdin: bool) -> None:
    """Set staff member USERNAME's password (their other sessions end).

    Inputs: DATABASE_URL. Output: one line "password set for …".
    """
    from pb import db as pbdb
    from pb import staff as staff_rows

    settings = with_services(settings_from_env(line=False), redis=False).settings
    password = _new_password(password_stdin)
    try:
        with pbdb.connection(settings.database_url) as conn, conn.transaction():
            found = staff_rows.get_by_username(conn, username)
            if found is None:
                raise click.ClickException(f"no staff member {username!r}")
            staff_rows.set_password(conn, found.id, password)
    except staff_rows.StaffError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"password set for {found.username}")


COMMANDS = (up, services, backup, restore, ledger, staff)
