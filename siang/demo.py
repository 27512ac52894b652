"""``siang demo``: the whole of Siang on one machine, fed with real Bangkok ideas.

It starts the embedded PostgreSQL and Redis once (and hands their sockets
to the children, see ``siang.services``), applies migrations, starts the
LINE emulator, the web app under gunicorn and a worker, then replays real
Traffy Fondue reports (``data/traffy_sample/ideas_sample.csv``) as a few
hundred residents through the signed webhook: follow → consent → district →
ideas. With ``--exit`` it waits until every idea is embedded and clustered,
prints a summary and one JSON line, and stops everything.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import os
import secrets
import signal
import subprocess
import sys
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psutil
import requests
from tqdm import tqdm

from bot.settings import Settings
from bot.messages import postback_data
from pb import db as pbdb
from pb import staff
from siang import demo_seeds
from siang.services import bring_up

REPO = Path(__file__).resolve().parents[1]
SAMPLE_CSV = REPO / "data" / "traffy_sample" / "ideas_sample.csv"
DEMO_SECRET = "siang-demo-channel-secret"
DEMO_TOKEN = "siang-demo-channel-access-token"
DEMO_ADMIN = "admin"          # the admin staff account `siang demo` creates (or resets)


@dataclasses.dataclass(frozen=True)
class DemoOptions:
    n_ideas: int = 2000
    ideas_per_resident: int = 7
    port: int = 5000
    sim_port: int = 8090
    embedder: str = "e5"
    data_dir: Path = Path("var").absolute()
    exit_after: bool = False
    replay_threads: int = 4


@dataclasses.dataclass
class DemoResident:
    user_id: str
    district: str
    ideas: list[str]


def load_residents(path: Path, n_ideas: int, ideas_per_resident: int) -> list[DemoResident]:
    """Group the sample's ideas by district into residents of about ``ideas_per_resident`` each."""
    with path.open(encoding="utf-8", newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["text"].strip() and r["district"]][:n_ideas]
    by_district: dict[str, list[str]] = defaultdict(list)
    for row in rows:
        by_district[row["district"]].append(row["text"])
    residents: list[DemoResident] = []
    for district, texts in sorted(by_district.items()):
        for start in range(0, len(texts), ideas_per_resident):
            user_id = "U" + secrets.token_hex(16)
            residents.append(DemoResident(user_id, district,
                                          texts[start:start + ideas_per_resident]))
    return residents


class Children:
    """The demo's child processes, stopped together."""

    def __init__(self) -> None:
        self.procs: dict[str, subprocess.Popen] = {}

    def start(self, name: str, args: list[str], env: dict[str, str], log_dir: Path) -> None:
        log = (log_dir / f"{name}.log").open("ab")
        self.procs[name] = subprocess.Popen(args, env=env, stdout=log, stderr=subprocess.STDOUT,
                                            start_new_session=True)

    def check(self) -> None:
        for name, proc in self.procs.items():
            if proc.poll() is not None:
                raise RuntimeError(f"{name} exited with {proc.returncode}; see var/logs/{name}.log")

    def rss_mb(self) -> float:
        total = 0
        for proc in self.procs.values():
            try:
                parent = psutil.Process(proc.pid)
                for p in [parent, *parent.children(recursive=True)]:
                    total += p.memory_info().rss
            except psutil.NoSuchProcess:
                continue
        return total / 2**20

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        for proc in self.procs.values():
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)


def _wait_http(url: str, children: Children, timeout_s: float = 180) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        children.check()
        try:
            if requests.get(url, timeout=1).status_code < 500:
                return
        except requests.RequestException:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer within {timeout_s:.0f} s")


def _wait_warm(readyz: str, children: Children, timeout_s: float = 600) -> None:
    """Wait until ``/readyz`` says a conversation worker has its model loaded, and say so.

    Issue 14 #4: events sent before that wait in the queue (the first
    follow was answered after 17.5 s), so the replay starts only now.
    """
    started = time.monotonic()
    print("waiting for the first conversation worker to load the model ...", flush=True)
    while time.monotonic() - started < timeout_s:
        children.check()
        try:
            if requests.get(readyz, timeout=2).status_code == 200:
                print(f"first worker warm (model loaded) after {time.monotonic() - started:.1f} s",
                      flush=True)
                return
        except requests.RequestException:
            pass
        time.sleep(0.25)
    raise RuntimeError(f"no warm worker within {timeout_s:.0f} s ({readyz})")


def _answer_to(sim, user_id: str, since: int, calls: int = 1, timeout_s: float = 60.0
               ) -> tuple[list[dict], int]:
    """The bot's messages to ``user_id`` after ``since`` once ``calls`` replies arrived.

    Returns (messages, last seq); what arrived so far at the timeout.
    """
    deadline = time.monotonic() + timeout_s
    got: list[dict] = []
    while time.monotonic() < deadline:
        got = sim.messages(user_id, since=since)
        if len({g["request_id"] for g in got}) >= calls:
            break
        time.sleep(0.05)
    return [g["message"] for g in got], (got[-1]["seq"] if got else since)


def _replay_one(sim, resident: DemoResident, bar: tqdm) -> None:
    sim.set_profile(resident.user_id, f"ผู้อยู่อาศัย {resident.user_id[-4:]}", "th")
    sim.follow(resident.user_id)
    sim.tap(resident.user_id, postback_data("consent", v="yes"), display_text="ยินยอม")
    sim.say(resident.user_id, f"เขต{resident.district}")
    _, seen = _answer_to(sim, resident.user_id, 0, calls=3)  # welcome, consent, district
    for text in resident.ideas:
        sim.say(resident.user_id, text)
        answer, seen = _answer_to(sim, resident.user_id, seen)
        # The similar-idea check (issue 4) may show similar ideas first; a demo
        # resident sends theirs as new, so every idea is stored and clustered.
        new = [item["action"] for m in answer for item in (m.get("quickReply") or {}).get("items", [])
               if item["action"].get("data", "").startswith("a=sim&c=n")]
        if new:
            sim.tap(resident.user_id, new[0]["data"], display_text=new[0].get("displayText"))
            _, seen = _answer_to(sim, resident.user_id, seen)
        bar.update(1)


def _progress(conn) -> dict[str, int]:
    row = conn.execute(
        """SELECT (SELECT count(*) FROM ideas),
                  (SELECT count(*) FROM idea_embeddings),
                  (SELECT count(*) FROM cluster_members),
                  (SELECT count(*) FROM webhook_events WHERE processed_at IS NULL),
                  (SELECT count(*) FROM clusters WHERE size > 0),
                  (SELECT count(*) FROM residents WHERE consent_at IS NOT NULL),
                  (SELECT count(*) FROM clusters WHERE size > 0
                      AND (keywords_at IS NULL OR keywords_at < updated_at)),
                  (SELECT count(*) FROM ideas WHERE status = 'active')""").fetchone()
    conn.commit()
    keys = ("ideas", "embedded", "clustered", "pending_events", "clusters", "residents",
            "stale_keywords", "active")
    return dict(zip(keys, (int(v) for v in row)))


def run_demo(options: DemoOptions) -> int:
    """Run the demo; returns the process exit status."""
    base = Settings(
        channel_secret=DEMO_SECRET, channel_access_token=DEMO_TOKEN,
        line_api_base=f"http://127.0.0.1:{options.sim_port}",
        line_data_api_base=f"http://127.0.0.1:{options.sim_port}",
        database_url=os.environ.get("DATABASE_URL", ""), redis_url=os.environ.get("REDIS_URL", ""),
        data_dir=options.data_dir, embedder=options.embedder,
        admin_password=os.environ.get("SIANG_ADMIN_PASSWORD") or secrets.token_urlsafe(12),
        # One session key for every process started below (both gunicorn workers
        # must sign and check staff sessions alike); it reaches them in as_env().
        secret_key=os.environ.get("SIANG_SECRET_KEY") or secrets.token_hex(32),
        public_base_url=f"http://127.0.0.1:{options.port}",
    )
    print("เสียง (Siang) demo: starting PostgreSQL + pgvector and Redis ...", flush=True)
    services = bring_up(base)     # as `siang up`: servers once, migrations, the model once
    settings = services.settings
    log_dir = options.data_dir / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    children = Children()
    try:
        with pbdb.connection(settings.database_url) as conn:
            with conn.transaction():   # the admin's staff account (issue 5)
                staff.ensure(conn, username=DEMO_ADMIN, display_name="ผู้ดูแลระบบ (demo)",
                             password=settings.admin_password, role="admin")
        env = {**os.environ, **settings.as_env()}
        python = sys.executable
        children.start("linesim", [python, "-m", "linesim", "--port", str(options.sim_port),
                                   "--webhook-url", f"http://127.0.0.1:{options.port}/callback"],
                       env, log_dir)
        children.start("web", [python, "-m", "gunicorn", "--workers", "2", "--threads", "4",
                               "--bind", f"127.0.0.1:{options.port}",
                               "siang.wsgi:app_from_env()"], env, log_dir)
        children.start("worker", [python, "-m", "siang.cli", "worker", "--queue", "conversation"],
                       env, log_dir)
        children.start("upkeep", [python, "-m", "siang.cli", "worker", "--queue", "upkeep",
                                  "--queue", "conversation"], env, log_dir)
        _wait_http(f"http://127.0.0.1:{options.port}/healthz", children)
        _wait_http(f"http://127.0.0.1:{options.sim_port}/chat", children)
        _wait_warm(f"http://127.0.0.1:{options.port}/readyz", children)

        residents = load_residents(SAMPLE_CSV, options.n_ideas, options.ideas_per_resident)
        n_ideas = sum(len(r.ideas) for r in residents)
        print(f"replaying {n_ideas:,} real Bangkok ideas from {len(residents)} residents "
              f"through the signed LINE webhook ...", flush=True)
        from linesim.client import SimClient

        replay_started = time.monotonic()
        peak_rss = children.rss_mb()
        with tqdm(total=n_ideas, unit="idea", desc="sent") as bar, \
                ThreadPoolExecutor(options.replay_threads) as pool:
            clients = [SimClient(f"http://127.0.0.1:{options.sim_port}")
                       for _ in range(options.replay_threads)]
            futures = [pool.submit(_replay_one, clients[k % len(clients)], r, bar)
                       for k, r in enumerate(residents)]
            for future in futures:
                future.result()
                peak_rss = max(peak_rss, children.rss_mb())

        with pbdb.connection(settings.database_url) as conn, \
                tqdm(total=n_ideas, unit="idea", desc="clustered") as bar:
            while True:
                children.check()
                progress = _progress(conn)
                bar.n = progress["clustered"]
                bar.refresh()
                peak_rss = max(peak_rss, children.rss_mb())
                # Every stored active idea clustered (too long or flagged ideas are not).
                if (progress["clustered"] >= progress["active"] and progress["pending_events"] == 0
                        and progress["stale_keywords"] == 0):
                    break
                time.sleep(0.5)
        seconds = time.monotonic() - replay_started
        progress["districts"] = len({r.district for r in residents})
        # Issue 18: one hearing, one community plan, one council meeting, then the panel.
        busiest = [d for d, _n in Counter(r.district for r in residents).most_common()]
        with pbdb.connection(settings.database_url) as conn:
            seeded = demo_seeds.run_seeds(conn, busiest)
            panel = demo_seeds.panel_figures(conn)
            conn.commit()
        _print_summary(options, settings, progress, seconds)
        print("\n".join(demo_seeds.summary_lines(seeded, panel)) + "\n", flush=True)
        scraped = metric_totals(f"http://127.0.0.1:{options.port}/metrics")
        _print_metrics(scraped)
        figures = {"ideas": progress["ideas"], "clusters": progress["clusters"],
                   "residents": progress["residents"], "seconds": round(seconds, 1),
                   "ideas_per_s": round(progress["ideas"] / seconds, 1),
                   "peak_rss_mb": round(peak_rss),
                   "metrics_nonzero": sorted(k for k, v in scraped.items() if v),
                   "metrics_zero": sorted(k for k, v in scraped.items() if not v),
                   "seeds": seeded, "indicators": panel}
        if options.exit_after:
            print(json.dumps(figures), flush=True)
            return 0
        print("serving until Ctrl-C ...", flush=True)
        while True:
            children.check()
            time.sleep(1)
    except KeyboardInterrupt:
        print("\nstopping ...", flush=True)
        return 0
    finally:
        children.stop()
        services.stop()


def metric_totals(url: str) -> dict[str, float]:
    """One scrape of ``/metrics`` summed per metric family: a counter's total, a
    histogram's observation count, a gauge's sum over its labels.

    Raises:
        requests.RequestException: the web did not answer.
    """
    text = requests.get(url, timeout=10).text
    families: dict[str, str] = {}
    totals: dict[str, float] = {}
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ", 3)
            families[name] = kind
            totals.setdefault(name, 0.0)
            continue
        if not line or line.startswith("#"):
            continue
        sample, _, value = line.rpartition(" ")
        name = sample.split("{", 1)[0]
        for family, kind in families.items():
            wanted = {"counter": (family, f"{family}_total"), "histogram": (f"{family}_count",),
                      "gauge": (family,)}.get(kind, (family,))
            if name in wanted:
                totals[family] += float(value)
    return totals


def _print_metrics(totals: dict[str, float]) -> None:
    print("  /metrics after the replay (counters: total; histograms: observations; gauges: now)")
    for name, total in sorted(totals.items()):
        print(f"    {name:<44} {total:>12,.0f}")
    print(flush=True)


def _print_summary(options: DemoOptions, settings: Settings, progress: dict, seconds: float) -> None:
    web = f"http://127.0.0.1:{options.port}"
    sim = f"http://127.0.0.1:{options.sim_port}"
    print(f"""
  ideas        {progress['ideas']:>7,}  (embedded {progress['embedded']:,}, clustered {progress['clustered']:,})
  clusters     {progress['clusters']:>7,}  in {progress['districts']} districts
  residents    {progress['residents']:>7,}  (consented)
  time         {seconds:>7.1f} s   ({progress['ideas'] / seconds:.1f} ideas/s)

  Admin (dashboard, clusters):    {web}/admin/
  Indicator panel (public):       {web}/indicators
                                  user: {DEMO_ADMIN}   password: {settings.admin_password}
  Chat as a resident:             {sim}/chat
""", flush=True)
