"""How fast the staff pages are at 2,000 and at 60,000 ideas (synthetic rows made in SQL).

Prints a table of median server times (ms) for the cluster list (default,
one district, a Thai keyword, newest first, a later page) and a cluster page
(the largest cluster and a typical one). Marked slow; the bound asserted is
generous (this machine has 2 shared cores), the printed numbers are the point.
"""

from __future__ import annotations

import csv
import statistics
import time
from pathlib import Path

import pytest

from pb import districts
from tests.admin_support import StaffClient, accounts  # noqa: F401

pytestmark = pytest.mark.slow
SAMPLE = Path(__file__).resolve().parents[1] / "data" / "traffy_sample" / "ideas_sample.csv"
CLUSTERS_PER_DISTRICT = {2_000: 20, 60_000: 400}


def make_ideas(conn, n: int) -> None:
    """``n`` ideas over the 50 districts and the last 90 days, a third located, in
    skewed clusters (a few large, many small), with supports; keywords and medoids set."""
    with SAMPLE.open(encoding="utf-8", newline="") as f:
        texts = [r["text"] for r in csv.DictReader(f) if r["text"].strip()]
    k = CLUSTERS_PER_DISTRICT[n]
    with conn.transaction():
        process_id = conn.execute("INSERT INTO processes (title, fiscal_year) VALUES "
                                  "('perf', 2569) RETURNING id").fetchone()[0]
        conn.execute("CREATE TEMP TABLE sample_texts (n int PRIMARY KEY, text text) "
                     "ON COMMIT DROP")
        with conn.cursor().copy("COPY sample_texts (n, text) FROM STDIN") as copy:
            for i, text in enumerate(texts):
                copy.write_row((i, text[:1900]))
        conn.execute(
            """INSERT INTO residents (line_user_id, district, consent_at)
               SELECT 'Uperf' || g, (%(d)s::text[])[1 + g %% 50], now()
                 FROM generate_series(1, %(r)s) g""",
            {"d": list(districts.THAI_NAMES), "r": max(n // 3, 10)})
        conn.execute(
            """INSERT INTO ideas (process_id, resident_id, district, text, normalised_text,
                                  created_at, latitude, longitude, source)
               SELECT %(p)s, 1 + g %% %(r)s, (%(d)s::text[])[1 + g %% 50], t.text, lower(t.text),
                      now() - (g %% 90) * interval '1 day' - (g %% 1440) * interval '1 minute',
                      CASE WHEN g %% 3 = 0 THEN 13.6 + (g %% 997) / 3300.0 END,
                      CASE WHEN g %% 3 = 0 THEN 100.4 + (g %% 991) / 3300.0 END, 'import'
                 FROM generate_series(1, %(n)s) g JOIN sample_texts t ON t.n = g %% %(m)s""",
            {"p": process_id, "r": max(n // 3, 10), "d": list(districts.THAI_NAMES), "n": n,
             "m": len(texts)})
        # Slot within the district: cubed uniform → a few big clusters, many small ones
        # (about 5 ideas per cluster on average at 60,000 ideas).
        conn.execute(
            """CREATE TEMP TABLE slots ON COMMIT DROP AS
               SELECT id AS idea_id, district, created_at,
                      floor(power(abs(hashtext(id::text)) / 2147483648.0, 3) * %(k)s)::int AS slot
                 FROM ideas WHERE process_id = %(p)s""", {"k": k, "p": process_id})
        conn.execute(
            """CREATE TEMP TABLE slot_keys ON COMMIT DROP AS
               SELECT district, slot, min(idea_id) AS first_idea, count(*) AS size,
                      max(created_at) AS newest
                 FROM slots GROUP BY district, slot""")
        conn.execute(
            """INSERT INTO clusters (process_id, district, keywords, size, medoid_idea_id,
                                     keywords_at, last_idea_at)
               SELECT %(p)s, district, ARRAY['ถนน', 'ขยะ', 'น้ำท่วม', 'ไฟฟ้า', 'ทางเท้า'],
                      size, first_idea, now(), newest FROM slot_keys""", {"p": process_id})
        conn.execute(
            """INSERT INTO cluster_members (idea_id, cluster_id)
               SELECT s.idea_id, c.id FROM slots s
                 JOIN slot_keys k USING (district, slot)
                 JOIN clusters c ON c.medoid_idea_id = k.first_idea""")
        conn.execute(
            """INSERT INTO supports (process_id, resident_id, idea_id)
               SELECT %(p)s, 1 + (i.id * 31) %% %(r)s, i.id FROM ideas i
                WHERE i.id %% 10 = 0 ON CONFLICT DO NOTHING""",
            {"p": process_id, "r": max(n // 3, 10)})
    conn.execute("ANALYZE")
    conn.commit()


def median_ms(staff: StaffClient, url: str, runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        response = staff.client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return statistics.median(times)


@pytest.mark.parametrize("n", [2_000, 60_000])
def test_page_load_times(n, stack, db, accounts, capsys):
    started = time.perf_counter()
    make_ideas(db, n)
    made_s = time.perf_counter() - started
    largest, district = db.execute(
        "SELECT id, district FROM clusters ORDER BY size DESC LIMIT 1").fetchone()
    typical = db.execute(
        """SELECT id FROM clusters ORDER BY abs(size - (SELECT percentile_disc(0.5)
                  WITHIN GROUP (ORDER BY size) FROM clusters)), id LIMIT 1""").fetchone()[0]
    counts = db.execute("SELECT (SELECT count(*) FROM ideas), (SELECT count(*) FROM clusters), "
                        "(SELECT max(size) FROM clusters)").fetchone()
    db.commit()
    staff = StaffClient(stack["app"], "admin")
    pages = {
        "dashboard (all districts)": "/admin/",       # issue 16: the home page
        "cluster list": "/admin/clusters",
        "list, one district": f"/admin/clusters?district={district}",
        "list, Thai keyword": "/admin/clusters?q=ถนน",
        "list, newest first": "/admin/clusters?sort=newest",
        "list, page 10": "/admin/clusters?page=10",
        "largest cluster page": f"/admin/clusters/{largest}",
        "typical cluster page": f"/admin/clusters/{typical}",
    }
    results = {name: median_ms(staff, url) for name, url in pages.items()}
    with capsys.disabled():
        print(f"\n{counts[0]:,} ideas, {counts[1]:,} clusters (largest {counts[2]:,}); "
              f"rows made in {made_s:.1f} s; median of 5, ms:")
        for name, ms in results.items():
            print(f"  {name:<26} {ms:8.1f}")
    assert max(results.values()) < 2_000
