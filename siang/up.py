"""``siang up`` and ``siang services``: one set of embedded servers for every process.

``siang up`` starts the embedded PostgreSQL and Redis once (only those that
``DATABASE_URL`` / ``REDIS_URL`` leave unset), applies migrations, then runs
the Procfile's processes with honcho (a Procfile runner, as foreman): each
line of output prefixed with the time and the process name, and Ctrl-C (or
SIGTERM) stops every process, then the embedded servers. The children reach
the servers through ``DATABASE_URL``/``REDIS_URL`` in their environment, so
none starts its own: DESIGN.md's pitfall (Redis opened by several processes
at once splits the queue) cannot happen.

Without LINE credentials it runs against the LINE emulator (the Procfile's
``linesim`` line) with the demo's channel values and a session key made for
this run; with ``LINE_CHANNEL_SECRET``/``LINE_CHANNEL_ACCESS_TOKEN`` set it
talks to ``LINE_API_BASE`` and leaves ``linesim`` out.

``siang services`` holds only the servers and prints ``export`` lines for
processes started elsewhere (another terminal, an IDE, a debugger).
"""

from __future__ import annotations

import os
import secrets
import shlex
import signal
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TextIO

from bot.settings import Settings
from siang.services import EmbeddedServices, bring_up

REPO = Path(__file__).resolve().parents[1]
PROCFILE = REPO / "Procfile"
EMULATOR = "linesim"
# The emulator's channel values (the same as `siang demo`'s): not secrets.
EMULATOR_SECRET = "siang-demo-channel-secret"
EMULATOR_TOKEN = "siang-demo-channel-access-token"


class UpError(ValueError):
    """Bad Procfile or process names; the message is one line for the operator."""


def local_settings(settings: Settings, sim_port: int) -> tuple[Settings, bool]:
    """Settings for a one-machine run; (settings, True when the LINE emulator stands in).

    Without LINE credentials: the emulator's channel values, the Messaging API
    at ``http://127.0.0.1:{sim_port}`` and, if unset, a session key for this run.
    """
    if settings.channel_secret and settings.channel_access_token:
        return settings, False
    sim = f"http://127.0.0.1:{sim_port}"
    return settings.replace(channel_secret=EMULATOR_SECRET, channel_access_token=EMULATOR_TOKEN,
                            line_api_base=sim, line_data_api_base=sim,
                            secret_key=settings.secret_key or secrets.token_hex(32)), True


def read_procfile(path: Path) -> dict[str, str]:
    """Process name → command, in file order.

    Raises:
        UpError: the file is missing or names no process.
    """
    from honcho.environ import parse_procfile

    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UpError(f"cannot read Procfile {path}: {exc.strerror}") from None
    try:
        processes = dict(parse_procfile(text).processes)
    except AssertionError:
        raise UpError(f"{path}: a process name is given twice") from None
    if not processes:
        raise UpError(f"{path} names no process (lines are `name: command`)")
    return processes


def select(processes: Mapping[str, str], names: tuple[str, ...], emulated: bool) -> dict[str, str]:
    """The processes to run: ``names`` (all by default; the emulator only when emulated).

    Raises:
        UpError: a name that is not in the Procfile.
    """
    unknown = [n for n in names if n not in processes]
    if unknown:
        raise UpError(f"no process {', '.join(unknown)} in the Procfile "
                      f"(it has: {', '.join(processes)})")
    if names:
        return {n: processes[n] for n in processes if n in names}
    return {n: cmd for n, cmd in processes.items() if emulated or n != EMULATOR}


def child_env(settings: Settings, port: int, sim_port: int) -> dict[str, str]:
    """The environment every Procfile process gets: this one plus the servers' URLs,
    ``PORT``, ``LINESIM_PORT`` and this interpreter's ``bin`` first on ``PATH``."""
    bin_dir = str(Path(sys.executable).parent)
    return {**os.environ, **settings.as_env(), "PORT": str(port), "LINESIM_PORT": str(sim_port),
            "PATH": bin_dir + os.pathsep + os.environ.get("PATH", ""), "PYTHONUNBUFFERED": "1"}


def run_up(settings: Settings, *, procfile: Path = PROCFILE, port: int = 5000,
           sim_port: int = 8090, names: tuple[str, ...] = (), out: TextIO = sys.stdout) -> int:
    """Start the servers, migrate, run the Procfile until Ctrl-C; returns the exit status.

    0 after Ctrl-C or SIGTERM (every process and server stopped); otherwise the
    status of the first process that ended on its own (then the others are
    stopped too).

    Raises:
        UpError: bad Procfile or names (before anything starts).
    """
    from honcho.manager import Manager
    from honcho.printer import Printer

    settings, emulated = local_settings(settings, sim_port)
    chosen = select(read_procfile(procfile), names, emulated)
    services = bring_up(settings, prepare_model=any(n != EMULATOR for n in chosen))
    try:
        env = child_env(services.settings, port, sim_port)
        manager = Manager(Printer(out))
        for name, command in chosen.items():
            manager.add_process(name, command, env=env, cwd=str(procfile.parent))
        _print_where(out, port, sim_port, emulated and EMULATOR in chosen)
        manager.loop()
        stopped_by_signal = manager.returncode in (130, 143)
        return 0 if stopped_by_signal else (manager.returncode or 0)
    finally:
        services.stop()
        print("siang up: embedded services stopped", file=out, flush=True)


def _print_where(out: TextIO, port: int, sim_port: int, emulated: bool) -> None:
    lines = [f"siang up: web http://127.0.0.1:{port}/admin/  (health: /healthz, readiness: /readyz)"]
    if emulated:
        lines.append(f"siang up: LINE emulator chat http://127.0.0.1:{sim_port}/chat")
    lines.append("siang up: Ctrl-C stops every process, then PostgreSQL and Redis")
    print("\n".join(lines), file=out, flush=True)


def export_lines(services: EmbeddedServices) -> list[str]:
    """``export NAME=value`` lines (shell-quoted) for processes started elsewhere."""
    values = {"DATABASE_URL": services.settings.database_url,
              "REDIS_URL": services.settings.redis_url,
              "SIANG_DATA_DIR": str(services.settings.data_dir)}
    return [f"export {name}={shlex.quote(value)}" for name, value in values.items()]


def hold_services(settings: Settings, out: TextIO = sys.stdout) -> int:
    """Start the servers, migrate, print ``export`` lines, wait for Ctrl-C/SIGTERM, stop.

    Returns:
        0 once the servers have stopped.
    """
    wanted = {signal.SIGINT, signal.SIGTERM}
    services = bring_up(settings, prepare_model=False)
    # Blocked only now: the servers started above must not inherit a blocked SIGINT
    # (pg_ctl stops PostgreSQL with it).
    signal.pthread_sigmask(signal.SIG_BLOCK, wanted)
    try:
        print("\n".join(export_lines(services)), file=out, flush=True)
        print("# siang services: holding PostgreSQL and Redis; Ctrl-C stops them",
              file=sys.stderr, flush=True)
        signal.sigwait(wanted)
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, wanted)
        services.stop()
    print("# siang services: stopped", file=sys.stderr, flush=True)
    return 0
