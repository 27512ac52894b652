"""The similar-idea rule (issue 15): pure functions, the CSV replay, the calibration record."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from nlp.similar_rule import (RULES, SimilarRule, distances_m, is_place_idea, pick, replay,
                              rule_for)

REPO = Path(__file__).resolve().parents[1]


def test_distances_in_metres():
    d = distances_m(13.7262, 100.5146, np.array([13.7262, 13.7289, np.nan]),
                    np.array([100.5146, 100.5146, 100.5]))
    assert d[0] == 0 and 295 < d[1] < 305 and math.isnan(d[2])


def test_near_path_needs_both_place_and_text():
    rule = SimilarRule(radius_m=300, near_min=0.5, topic_min=0.9, max_shown=2)
    sim = np.array([0.95, 0.6, 0.7, 0.4, 0.8])
    dist = np.array([900.0, 100.0, 250.0, 10.0, np.nan])
    order, near = pick(sim, dist, rule)
    assert near and order.tolist() == [2, 1]        # far, unrelated and unlocated left out
    order, near = pick(sim, None, rule)
    assert not near and order.tolist() == [0]       # text only: the strict cosine
    order, _ = pick(sim, None, rule.with_values(topic_min=None))
    assert order.tolist() == []                      # no carousel without a place


def test_replay_looks_back_within_the_window_and_the_district():
    day = 86400.0
    districts = np.array(["ก", "ก", "ข", "ก"])
    created = np.array([0, 10 * day, 11 * day, 35 * day])
    v = np.tile(np.eye(4, dtype=np.float32)[0], (4, 1))
    lats = np.array([13.7, 13.7, 13.7, np.nan])
    lons = np.array([100.5, 100.5, 100.5, np.nan])
    got = replay(districts, created, v, lats, lons, SimilarRule(topic_min=0.9, window_days=30))
    assert [s.shown for s in got] == [[], [0], [], [1]]
    assert [s.near for s in got[:2]] == [True, True] and got[3].near is False


def test_place_ideas():
    assert is_place_idea("ถนนหน้าซอย 5 เป็นหลุมเป็นบ่อ")
    assert is_place_idea("น้ำท่วมขังหน้าบ้านทุกครั้งที่ฝนตก")
    assert not is_place_idea("อยากให้มีคอร์สสอนภาษาอังกฤษสำหรับผู้สูงอายุ")


def test_rules_match_the_calibration_record():
    record = json.loads((REPO / "nlp/artefacts/similar_place.json").read_text("utf-8"))
    e5 = rule_for("multilingual-e5-small")
    assert record["chosen"] == {"radius_m": e5.radius_m, "near_min": e5.near_min,
                                "topic_min": e5.topic_min}
    figures = record["held_out_figures"]
    assert figures["with_location"]["precision"] >= 0.85
    assert figures["without_location"]["carousel"] <= 0.10
    assert set(record["calibrate"]).isdisjoint(record["held_out"])
    assert rule_for("fake-trigram-64") == RULES["fake-trigram-384"]
    with pytest.raises(KeyError):
        rule_for("unknown-model")


def test_similar_csv_replays_a_file_without_a_database(tmp_path):
    from siang.cli import main

    src = tmp_path / "in.csv"
    with open(src, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "text", "district", "created_at", "lat", "lon"])
        w.writerow(["a", "ถนนหน้าซอยเจริญกรุง 30 เป็นหลุมเป็นบ่อ อันตรายมาก", "บางรัก",
                    "2022-06-01T10:00:00Z", "13.7262", "100.5146"])
        w.writerow(["b", "ถนนหน้าซอยเจริญกรุง 30 เป็นหลุมเป็นบ่อ อันตรายมากค่ะ", "บางรัก",
                    "2022-06-02T10:00:00Z", "13.7263", "100.5147"])
        w.writerow(["c", "ถนนหน้าซอยเจริญกรุง 30 เป็นหลุมเป็นบ่อ อันตรายมากค่ะ", "บางรัก",
                    "2022-08-20T10:00:00Z", "", ""])
        w.writerow(["d", "ถนนหน้าซอยเจริญกรุง 30 เป็นหลุมเป็นบ่อ อันตรายมาก", "สาทร",
                    "2022-06-03T10:00:00Z", "", ""])
    out = tmp_path / "out.csv"
    result = CliRunner().invoke(main, ["nlp", "similar-csv", str(src), str(out),
                                       "--embedder", "fake", "--window-days", "30"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(open(out, encoding="utf-8")))
    assert [r["id"] for r in rows] == ["a", "b", "c", "d"]
    assert rows[1]["suggested_ids"] == "a" and rows[1]["near"] == "1"
    assert float(rows[1]["scores"]) > 0.9
    assert rows[2]["suggested_ids"] == ""          # 80 days later: outside the window
    assert rows[3]["suggested_ids"] == ""          # another district
    summary = json.loads(result.output.strip().splitlines()[-1])
    assert summary["rows"] == 4 and summary["with_location"] == 2


def test_similar_csv_counts_a_half_location_as_none(tmp_path):
    """A row with lat but no lon takes the text-only path; the summary must agree."""
    from siang.similar_csv import run
    from nlp.embedder import load_embedder

    src = tmp_path / "in.csv"
    with open(src, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "text", "district", "created_at", "lat", "lon"])
        w.writerow(["a", "ไฟทางดับ", "บางรัก", "2022-06-01T10:00:00Z", "13.7262", ""])
        w.writerow(["b", "ไฟทางดับ", "บางรัก", "2022-06-02T10:00:00Z", "13.7262", "100.5146"])
    summary = run(src, tmp_path / "out.csv", load_embedder("fake", tmp_path))
    assert summary["with_location"] == 1
    got = replay(np.array(["ก"]), np.array([0.0]), np.eye(1, dtype=np.float32),
                 np.array([13.7]), np.array([np.nan]), SimilarRule())
    assert got[0].near is False
