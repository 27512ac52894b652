"""Issue 18: the BMA indicator panel: PB's rule, the panel's arithmetic, the admin and public pages.

Each rule is shown failing before the fact that meets it. The three
programmes' sources are test doubles here (``pb.indicators.default_sources``);
tests/test_whats_open_programmes.py runs the real ones.
"""

from __future__ import annotations

import datetime as dt

import pytest

from pb import indicators, results
from pb.processes import Indicator
from pb.thaidate import BANGKOK
from tests.admin_support import HOME, OTHER, accounts, signed_in  # noqa: F401
from tests.voting_support import end_voting, open_round, project


def _round_with_results(db, district: str | None, closes: dt.datetime | None = None,
                        tally: bool = True) -> int:
    """A round of ``district`` closed (and tallied), closing at ``closes`` (default now)."""
    round_id = open_round(db, [project(db, f"โครงการ {district}", 100_000, district or HOME)],
                          k=1, district=district, title=f"โหวต {district}")
    end_voting(db, round_id)
    if tally:
        with db.transaction():
            results.compute(db, round_id)
    if closes is not None:
        db.execute("UPDATE voting_rounds SET opens_at = %s - interval '1 day', closes_at = %s "
                   "WHERE id = %s", (closes, closes, round_id))
    db.commit()
    return round_id


def _fy_now() -> int:
    return indicators.current_fiscal_year()


def test_pb_rule_needs_a_round_closed_with_results(db, clean):
    fy = _fy_now()
    assert indicators.pb_indicator(db, fy).districts_met == frozenset()
    open_round(db, [project(db, "ซ่อมถนน", 100_000)], k=1)                # open: not yet
    assert indicators.pb_indicator(db, fy).districts_met == frozenset()
    closed = _round_with_results(db, OTHER, tally=False)                 # closed, no results
    assert indicators.pb_indicator(db, fy).districts_met == frozenset()
    with db.transaction():
        results.compute(db, closed)                                      # now tallied
    found = indicators.pb_indicator(db, fy)
    assert found.districts_met == {OTHER}
    assert found.percent == pytest.approx(2.0) and found.districts_total == 50
    assert found.detail["rounds"] == 1 and found.detail["city_rounds"] == 0


def test_pb_rule_counts_the_fiscal_year_of_the_close_in_bangkok(db, clean):
    # 30 September 2568, 23:30 Bangkok: still FY2568; 1 October 00:10: FY2569.
    _round_with_results(db, HOME, dt.datetime(2025, 9, 30, 23, 30, tzinfo=BANGKOK))
    _round_with_results(db, OTHER, dt.datetime(2025, 10, 1, 0, 10, tzinfo=BANGKOK))
    assert indicators.pb_indicator(db, 2568).districts_met == {HOME}
    assert indicators.pb_indicator(db, 2569).districts_met == {OTHER}
    assert {2568, 2569} <= set(indicators.fiscal_years(db))


def test_pb_rule_leaves_out_city_wide_rounds_and_pabulib_imports(db, clean):
    fy = _fy_now()
    city = _round_with_results(db, None)
    found = indicators.pb_indicator(db, fy)
    assert found.districts_met == frozenset() and found.detail["city_rounds"] == 1
    db.execute("UPDATE voting_rounds SET district = %s WHERE id = %s", (HOME, city))
    assert indicators.pb_indicator(db, fy).districts_met == {HOME}
    db.execute("UPDATE voting_rounds SET origin = 'pabulib' WHERE id = %s", (city,))
    assert indicators.pb_indicator(db, fy).districts_met == frozenset()


def test_fiscal_year_bounds():
    start, end = indicators.fiscal_year_bounds(2569)
    assert (start.date(), end.date()) == (dt.date(2025, 10, 1), dt.date(2026, 10, 1))
    assert indicators.current_fiscal_year(dt.date(2026, 9, 30)) == 2569
    assert indicators.current_fiscal_year(dt.date(2026, 10, 1)) == 2570
    with pytest.raises(ValueError):
        indicators.fiscal_year_bounds(2026)          # a CE year typed by mistake


def _doubles(met: dict[str, set[str]], broken: tuple[str, ...] = ()):
    def source(key):
        def run(conn, fy):
            if key in broken:
                conn.execute("SELECT * FROM no_such_table")
            return Indicator(key, frozenset(met.get(key, ())), 50, {"plans": 3} if key ==
                             "community_plan" else {})
        return run
    return {key: source(key) for key in indicators.KEYS if key != "pb"} | {
        "pb": indicators.pb_indicator}


def test_panel_shows_a_failing_source_as_unavailable_not_zero(db, clean):
    panel = indicators.panel(db, 2569, _doubles({"hearing": {HOME, OTHER}, "council": {HOME}},
                                                broken=("council_monthly",)))
    assert panel.unavailable == ("council_monthly",)
    assert panel.indicators["hearing"].percent == pytest.approx(4.0)
    assert panel.met("council", HOME) and not panel.met("council", OTHER)
    assert panel.met("council_monthly", HOME) is None
    assert panel.met_count(HOME) == 2
    rows = dict(panel.district_rows([HOME]))
    assert rows[HOME] == {"hearing": True, "community_plan": False, "council": True,
                          "council_monthly": None, "pb": False}
    with pytest.raises(ValueError):
        indicators.panel(db, 99, {})


@pytest.fixture
def doubled(monkeypatch):
    met = {"hearing": {HOME, OTHER}, "council": {HOME}, "community_plan": {OTHER}}
    monkeypatch.setattr(indicators, "default_sources", lambda: _doubles(met))
    return met


def test_admin_page_figures_chart_and_own_districts_only(stack, db, doubled, signed_in):
    _round_with_results(db, HOME)
    fy = _fy_now()
    officer = signed_in("officer")                  # an officer of HOME only
    page = officer.get("/admin/indicators").get_data(as_text=True)
    assert "ตัวชี้วัดการมีส่วนร่วม" in page and f"ปีงบประมาณ {fy}" in page
    assert "2 / 50" in page and "4.0%" in page          # hearing: two districts
    assert "<svg" in page and 'role="img"' in page
    table = page.split("indicators-districts")[1]
    assert f'<th scope="row">{HOME}</th>' in table and f'<th scope="row">{OTHER}</th>' not in table
    csv_text = officer.get(f"/admin/indicators/export.csv?fy={fy}").get_data(as_text=True)
    lines = csv_text.lstrip("\ufeff").splitlines()
    assert lines[0] == "fiscal_year,district,district_en,hearing,community_plan,council," \
                       "council_monthly,pb"
    assert lines[1] == f"{fy},{HOME},Thung Khru,1,0,1,0,1" and len(lines) == 3
    assert lines[2] == f"{fy},ทั้งกรุงเทพฯ,All Bangkok,2,1,1,0,1"
    admin = signed_in("admin").get(f"/admin/indicators?fy={fy}").get_data(as_text=True)
    assert f'<th scope="row">{OTHER}</th>' in admin
    bad = officer.get("/admin/indicators?fy=abc")
    assert bad.status_code == 400
    assert officer.get("/admin/indicators?fy=2025").status_code == 400   # a CE year
    assert officer.get("/admin/indicators?fy=2560").status_code == 200   # any past year


def test_public_page_in_thai_and_english_without_login(stack, db, doubled):
    client = stack["app"].test_client()
    page = client.get("/indicators")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "ตัวชี้วัดการมีส่วนร่วม" in body and "สภาคนเมืองประจำเขต" in body
    assert body.count('<th scope="row">') >= 50 + 5          # every district, every indicator
    english = client.get("/indicators?lang=en").get_data(as_text=True)
    assert "District city council" in english and "Thung Khru" in english
    bad = client.get("/indicators?fy=%3Cscript%3E")
    assert bad.status_code == 400 and "แสดงปีงบประมาณที่ระบุไม่ได้" in bad.get_data(as_text=True)
    assert "<script>" not in bad.get_data(as_text=True)


def test_demo_runs_every_seed_and_prints_the_panel(db, clean, doubled, monkeypatch):
    import sys
    import types

    from siang import demo_seeds

    calls = []

    def fake(kind, fail=False):
        module = types.ModuleType(f"siang.seeds.{kind}")

        def seed(conn, districts):
            calls.append((kind, districts[0]))
            if fail:
                raise RuntimeError("no sample texts")
            conn.execute("SELECT 1")
            return {"items": 1, "answers": 12}
        module.seed = seed
        return module

    for kind in demo_seeds.KINDS:
        monkeypatch.setitem(sys.modules, f"siang.seeds.{kind}", fake(kind, kind == "council"))
    made = demo_seeds.run_seeds(db, [HOME, OTHER])
    assert calls == [(k, HOME) for k in demo_seeds.KINDS]
    assert made["hearing"] == {"items": 1, "answers": 12}
    assert made["council"].startswith("RuntimeError")
    figures = demo_seeds.panel_figures(db, 2569)
    assert figures["hearing"]["met"] == 2 and figures["hearing"]["percent"] == 4.0
    lines = "\n".join(demo_seeds.summary_lines(made, figures))
    assert "hearing          items 1, answers 12" in lines
    assert "council          FAILED (RuntimeError: no sample texts)" in lines
    assert " 2/50 (  4.0 %)" in lines and "fiscal year 2569" in lines
