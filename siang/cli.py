"""The ``siang`` command line (click)."""

from __future__ import annotations

import importlib
import json
import logging
import os
import sys
from pathlib import Path

import click

from bot.settings import Settings, SettingsError
from siang import cli_ops
from siang.cli_support import OperatorGroup, preflight, settings_from_env, with_services
from workers.queues import QUEUE_KINDS


def _settings(*, line: bool = True) -> Settings:
    """Settings from the environment; ``line=False`` where LINE is never called."""
    return settings_from_env(line=line)


# Embedder kind (SIANG_EMBEDDER) → the name stored with each embedding.
EMBEDDER_NAMES = {"e5": "multilingual-e5-small", "fake": "fake-trigram-384"}


def _with_services(settings: Settings, *, redis: bool = True):
    return with_services(settings, redis=redis)


@click.group(cls=OperatorGroup)
@click.option("-v", "--verbose", is_flag=True, help="Log at INFO level; show an error's traceback.")
def main(verbose: bool) -> None:
    """Siang (เสียง): LINE chatbot and staff admin for Bangkok participatory budgeting.

    Settings come from the environment (README, "Running"); each command asks only
    for those it uses. Bad input ends in one line and a non-zero exit.
    """
    from siang.logs import configure   # JSON lines with correlation ids (siang/logs.py)

    role = {"worker": "worker", "web": "web"}.get(click.get_current_context().invoked_subcommand
                                                  or "", "cli")
    configure(role, logging.INFO if verbose else logging.WARNING)


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply pending migrations (numbered plain-SQL files in migrations/).

    Inputs: DATABASE_URL (unset: the embedded PostgreSQL). Output: the migrations applied.
    """
    from pb import db as pbdb

    services = _with_services(_settings(line=False), redis=False)
    with pbdb.connection(services.settings.database_url) as conn:
        applied = pbdb.upgrade(conn)
    click.echo("applied: " + (", ".join(applied) if applied else "nothing, up to date"))


@db.command("downgrade")
def db_downgrade() -> None:
    """Roll back the newest migration. Inputs: DATABASE_URL. Output: its name."""
    from pb import db as pbdb

    services = _with_services(_settings(line=False), redis=False)
    with pbdb.connection(services.settings.database_url) as conn:
        click.echo(f"rolled back: {pbdb.downgrade(conn) or 'nothing'}")


@main.command()
@click.option("--burst", is_flag=True, help="Exit when the queues are empty.")
@click.option("--queue", "queues", multiple=True, type=click.Choice(QUEUE_KINDS),
              help="Work only these queues, in this order (repeat the option). Default: "
                   "conversation, then upkeep. In production run one kind of each, so a "
                   "resident's reply never waits behind a recluster or a tally.")
def worker(burst: bool, queues: tuple[str, ...]) -> None:
    """Work the RQ queues (loads the embedder once) and run the sweeper, until stopped.

    Inputs: LINE_*, DATABASE_URL, REDIS_URL, SIANG_EMBEDDER. Output: log lines.
    """
    services = _with_services(_settings())      # settings first: a missing one fails fast
    preflight(services.settings)
    from bot import metrics
    from workers.main import run

    metrics.setup(services.settings.data_dir)      # counts shared with the web's /metrics
    run(services.settings, burst=burst, queues=queues or QUEUE_KINDS)


@main.command()
def sweep() -> None:
    """Re-enqueue unfinished events, due outbox rows and stale keywords, once.

    Inputs: DATABASE_URL, REDIS_URL. Output: one JSON line of counts.
    """
    services = _with_services(_settings(line=False))
    preflight(services.settings)
    from nlp.embedder import FakeEmbedder
    from workers import runtime, sweeper

    runtime.init(services.settings, embedder=FakeEmbedder())
    click.echo(json.dumps(sweeper.sweep_once()))


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
@click.option("--workers", "n_workers", default=2, show_default=True)
def web(host: str, port: int, n_workers: int) -> None:
    """Serve the webhook and the admin with gunicorn, until stopped.

    Inputs: LINE_*, SIANG_SECRET_KEY, DATABASE_URL, REDIS_URL. Output: gunicorn's log.
    """
    from siang.app import check_web_settings

    settings = _settings()
    try:
        check_web_settings(settings)
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None
    services = _with_services(settings)
    preflight(services.settings)
    env = {**os.environ, **services.settings.as_env()}
    os.execvpe(sys.executable, [sys.executable, "-m", "gunicorn", "--workers", str(n_workers),
                                "--threads", "4", "--bind", f"{host}:{port}",
                                "siang.wsgi:app_from_env()"], env)


@main.group()
def nlp() -> None:
    """Thai idea clustering."""


@nlp.command("recluster")
@click.option("--process", "process_id", type=int, default=None,
              help="Process id (default: the open one).")
def nlp_recluster(process_id: int | None) -> None:
    """Regroup every district's ideas from stored embeddings (keeps staff decisions).

    Inputs: DATABASE_URL. Output: one JSON line summary.
    """
    from nlp import clustering
    from nlp.represent import for_embedder
    from pb import db as pbdb
    from pb import processes
    from workers.clustering import recluster

    settings = _with_services(_settings(line=False), redis=False).settings
    name = EMBEDDER_NAMES[settings.embedder]
    with pbdb.connection(settings.database_url) as conn:
        with conn.transaction():
            pid = process_id or processes.current_id(conn)
        summary = recluster(conn, clustering.default_threshold(name), pid,
                            distance_threshold=clustering.recluster_distance(
                                for_embedder(name).name))
    click.echo(json.dumps(summary))


@nlp.command("regroup")
@click.option("--embedder", "kind", type=click.Choice(["e5", "fake"]), default=None,
              help="Embedder whose vectors to regroup (default: SIANG_EMBEDDER).")
def nlp_regroup(kind: str | None) -> None:
    """Recompute every stored idea's grouping vector with the shipped projection.

    Run after migration 0006 on a database with older ideas, or after a new
    nlp/artefacts/representation_e5.npz is shipped; then `siang nlp recluster`.
    Inputs: DATABASE_URL. Output: one JSON line {"regrouped", "representation"}.
    """
    import numpy as np

    from nlp.represent import for_embedder
    from pb import db as pbdb
    from pb import ideas

    settings = _with_services(_settings(line=False), redis=False).settings
    name = EMBEDDER_NAMES[kind or settings.embedder]
    representation = for_embedder(name)
    done, after = 0, 0
    with pbdb.connection(settings.database_url) as conn:
        while True:
            with conn.transaction():
                rows = ideas.embeddings_to_regroup(conn, name, after_id=after)
                if not rows:
                    break
                vectors = representation.transform([r[1] for r in rows],
                                                   np.stack([r[2] for r in rows]))
                ideas.set_groupings(conn, [r[0] for r in rows], vectors)
            done += len(rows)
            after = rows[-1][0]
    click.echo(json.dumps({"regrouped": done, "representation": representation.name}))


nlp.add_command(__import__("siang.similar_csv", fromlist=["similar_csv"]).similar_csv)


@nlp.command("cluster-csv")
@click.argument("in_csv", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("out_csv", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--n-clusters", type=int, default=None,
              help="Return exactly K clusters and no noise (to compare methods).")
@click.option("--embedder", "kind", type=click.Choice(["e5", "fake"]), default="e5",
              show_default=True)
@click.option("--data-dir", type=click.Path(path_type=Path), default=Path("var"),
              show_default=True)
def nlp_cluster_csv(in_csv: Path, out_csv: Path, n_clusters: int | None, kind: str,
                    data_dir: Path) -> None:
    """Cluster IN_CSV (columns id,text) into OUT_CSV (id,cluster; -1 = noise); no database.

    Output: OUT_CSV and one JSON line summary.
    """
    from nlp.embedder import load_embedder
    from nlp.pipeline import cluster_csv

    summary = cluster_csv(in_csv, out_csv, load_embedder(kind, data_dir.absolute()),
                          n_clusters=n_clusters)
    click.echo(json.dumps(summary, ensure_ascii=False, default=float))


@main.command()
@click.option("--exit", "exit_after", is_flag=True,
              help="Replay, wait until every idea is clustered, print a summary and exit.")
@click.option("--ideas", "n_ideas", default=2000, show_default=True)
@click.option("--ideas-per-resident", default=7, show_default=True)
@click.option("--port", default=5000, show_default=True, help="Web (webhook and admin) port.")
@click.option("--sim-port", default=8090, show_default=True, help="LINE emulator port.")
@click.option("--embedder", "kind", type=click.Choice(["e5", "fake"]), default="e5",
              show_default=True)
@click.option("--data-dir", type=click.Path(path_type=Path), default=Path("var"),
              show_default=True)
def demo(exit_after: bool, n_ideas: int, ideas_per_resident: int, port: int, sim_port: int,
         kind: str, data_dir: Path) -> None:
    """Run everything on this machine and replay real Bangkok ideas through LINE.

    Output: progress, where to open the admin and the chat; with --exit a summary
    and one JSON line.
    """
    from siang.demo import DemoOptions, run_demo

    options = DemoOptions(n_ideas=n_ideas, ideas_per_resident=ideas_per_resident, port=port,
                          sim_port=sim_port, embedder=kind, data_dir=data_dir.absolute(),
                          exit_after=exit_after)
    sys.exit(run_demo(options))


@main.command()
@click.option("--preset", type=click.Choice(["small", "city"]), default="small", show_default=True,
              help="small: 3 districts, 300 residents, 2,000 ideas, 1,500 ballots; city: 50, "
                   "10,000, 50,000, 100,000.")
@click.option("--residents", type=int, default=None)
@click.option("--ideas", type=int, default=None)
@click.option("--ballots", type=int, default=None, help="Chat and paper (5 %) ballots.")
@click.option("--districts", type=int, default=None)
@click.option("--faults", is_flag=True, help="Kill workers, flush Redis, restart PostgreSQL, "
                                             "LINE errors (the fault plan).")
@click.option("--seed", type=int, default=17, show_default=True)
@click.option("--workers", type=int, default=2, show_default=True,
              help="Conversation worker processes (besides the upkeep worker).")
@click.option("--concurrency", type=int, default=24, show_default=True,
              help="Residents acting at once.")
@click.option("--embedder", "kind", type=click.Choice(["e5", "fake"]), default="e5",
              show_default=True)
def simulate(preset: str, residents: int | None, ideas: int | None, ballots: int | None,
             districts: int | None, faults: bool, seed: int, workers: int, concurrency: int,
             kind: str) -> None:
    """One city through a whole PB cycle (issue 17); exits 1 when an invariant fails.

    Output: progress, the invariants, var/simulate/<run>/report.html and one JSON line last.
    """
    from siang.simulate.city import PRESETS, Options, simulate as run_simulation

    sizes = dict(PRESETS[preset])
    for key, value in (("residents", residents), ("ideas", ideas), ("ballots", ballots),
                       ("districts", districts)):
        if value is not None:
            sizes[key] = value
    sys.exit(run_simulation(Options(**sizes, faults=faults, seed=seed, workers=workers,
                                    concurrency=concurrency, embedder=kind)))


@main.command(context_settings={"ignore_unknown_options": True})
@click.argument("name")
@click.option("--rates", default="", help="webhook: comma-separated events/s, e.g. 50,100,200.")
@click.option("--seconds", type=float, default=None, help="Duration of each step, seconds.")
@click.option("--recipients", type=int, default=None, help="broadcast: audience size.")
@click.option("--ideas", type=int, default=None, help="e2e/similar: ideas in the database.")
@click.option("--ballots", type=int, default=None,
              help="ballots: cast only the first N ballots of the instance.")
@click.option("--rows", type=int, default=None,
              help="clustering/similar: use only N Traffy dev rows (default all 62,400).")
@click.option("--seeds", type=int, default=None, help="clustering: splits/seeds to average.")
def bench(name: str, rates: str, seconds: float | None, recipients: int | None,
          ideas: int | None, ballots: int | None, rows: int | None, seeds: int | None) -> None:
    """Run benchmark NAME; prints a table and ends with one JSON line of figures.

    Inputs: NAME (one of siang.bench.BENCHES) and the options it reads.
    """
    import importlib

    from siang.bench import BENCHES

    if name not in BENCHES:
        raise click.ClickException(f"unknown bench {name!r}; one of: {', '.join(sorted(BENCHES))}")
    options = {"rates": [int(r) for r in rates.split(",") if r] or None, "seconds": seconds,
               "recipients": recipients, "ideas": ideas, "ballots": ballots,
               "rows": rows, "seeds": seeds}
    importlib.import_module(BENCHES[name]).run(options)


@main.group()
def line() -> None:
    """The LINE Official Account: rich menu."""


@line.command("richmenu")
@click.option("--image", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=None, help="PNG/JPEG 2500x1686 (default: the shipped bot/static/richmenu.png).")
@click.option("--redraw", is_flag=True,
              help="Draw the image again first (needs Pillow and Debian's fonts-thai-tlwg).")
@click.option("--keep-old", is_flag=True, help="Keep older Siang rich menus instead of deleting them.")
def line_richmenu(image: Path | None, redraw: bool, keep_old: bool) -> None:
    """Create the seven-area rich menu, upload its image and make it the default.

    Inputs: LINE_*, the image. Output: one JSON line {"richMenuId", "default"}.
    """
    settings = _settings()
    from bot import richmenu
    from bot.line import LineClient

    if redraw:
        from bot import richmenu_draw

        if richmenu_draw.main([str(image or richmenu.IMAGE)]) != 0:
            raise click.ClickException("the drawn image is over LINE's 1 MB limit")
    data = (image or richmenu.IMAGE).read_bytes()
    client = LineClient(settings)
    try:
        menu_id = richmenu.install(client, data, replace=not keep_old)
    except (richmenu.RichMenuError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        client.close()
    click.echo(json.dumps({"richMenuId": menu_id, "default": True}))


@main.group()
def pb() -> None:
    """Participatory budgeting: tallies and pabulib files."""


@pb.command("tally")
@click.argument("pb_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--rule", type=click.Choice(["greedy", "mes"]), default="greedy",
              show_default=True)
def pb_tally(pb_file: Path, rule: str) -> None:
    """Tally pabulib file PB_FILE (approval, cumulative or knapsack votes; no database).

    Output: one JSON line {"selected", "rule", "seconds", ...}.
    """
    from pb.tally import tally_file

    result = tally_file(pb_file, rule)
    click.echo(json.dumps(result, ensure_ascii=False))


@pb.command("import")
@click.argument("pb_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--rule", type=click.Choice(["greedy", "mes"]), default="greedy",
              show_default=True, help="The round's tally rule (the other is shown for comparison).")
@click.option("--tally/--no-tally", "run_tally", default=True, show_default=True,
              help="Tally the round from the database after importing it.")
def pb_import(pb_file: Path, rule: str, run_tally: bool) -> None:
    """Create a (closed, city-wide) voting round from a pabulib .pb file, with its ballots.

    Inputs: PB_FILE, DATABASE_URL. Output: one JSON line {"round", "ballots",
    "selected", "rule", "seconds"}.
    """
    import time

    from pb import db as pbdb
    from pb import results, round_io, rounds
    from pb.ballots import BallotError
    from pb.pabulib import PbFormatError, read_pb
    from pb.scope import Scope

    settings = _with_services(_settings(line=False), redis=False).settings
    started = time.perf_counter()
    try:
        instance = read_pb(pb_file)
        with pbdb.connection(settings.database_url) as conn:
            with conn.transaction():
                round_id = round_io.import_pb(conn, Scope.system(), instance, rule=rule)
            out: dict = {"round": round_id, "ballots": len(instance.votes)}
            if run_tally:
                with conn.transaction():
                    stored = results.compute(conn, round_id, rules=(rule,))
                out |= {"selected": stored[rule].winners, "budget_used": stored[rule].budget_used}
    except (PbFormatError, rounds.RoundError, BallotError) as exc:
        raise click.ClickException(f"{pb_file}: {exc}") from None
    out |= {"rule": rule, "seconds": round(time.perf_counter() - started, 3)}
    click.echo(json.dumps(out, ensure_ascii=False))


@pb.command("export")
@click.argument("round_id", type=int)
@click.argument("out_file", type=click.Path(dir_okay=False, writable=True, path_type=Path))
def pb_export(round_id: int, out_file: Path) -> None:
    """Write voting round ROUND_ID and its ballots to OUT_FILE as pabulib (no resident ids).

    Inputs: DATABASE_URL. Output: OUT_FILE and one JSON line {"round", "file"}.
    """
    from pb import db as pbdb
    from pb import round_io, rounds
    from pb.pabulib import write_pb

    settings = _with_services(_settings(line=False), redis=False).settings
    with pbdb.connection(settings.database_url) as conn:
        found = rounds.load(conn, round_id)
        if found is None:
            raise click.ClickException(f"no voting round {round_id}")
        if found.state == "open":
            raise click.ClickException(f"round {round_id} is open: export it once voting has closed")
        text = write_pb(round_io.export_pb(conn, round_id))
    out_file.write_text(text, encoding="utf-8")
    click.echo(json.dumps({"round": round_id, "file": str(out_file)}, ensure_ascii=False))


for _command in cli_ops.COMMANDS:    # up, services, backup, restore, ledger, staff
    main.add_command(_command)
main.add_command(importlib.import_module("siang.status").status)   # siang status (readiness)


if __name__ == "__main__":
    main()
