"""The grouping space (nlp.represent), the scalable recluster, the dev-data cache and the
issue-9 benchmarks' scoring, with the fake embedder (fast; no model, no database).

One test at the end (``-m model``) runs the shipped projection on real E5 vectors.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from nlp import clustering
from nlp.corpus import embed_cached, fold_of
from nlp.embedder import FakeEmbedder
from nlp.pipeline import cluster_csv, group
from nlp.represent import (
    ARTEFACT,
    CentredRepresentation,
    TopicRepresentation,
    for_embedder,
    prepare_text,
)

REPO = Path(__file__).resolve().parents[1]

# Four civic topics, several phrasings each (labels play the reporters' categories).
TOPICS = {
    "ถนน": ["ถนนเป็นหลุมเป็นบ่อ รถตกหลุม", "ถนนหน้าซอยเป็นหลุม", "ถนนชำรุดเป็นหลุมลึก อันตราย",
            "ขอให้ซ่อมถนนที่เป็นหลุม", "ผิวถนนแตกเป็นหลุมใหญ่", "หลุมบนถนนทำให้รถเสียหาย"],
    "แสงสว่าง": ["ไฟส่องสว่างดับ ซอยมืดมาก", "ไฟถนนดับหลายดวง", "ขอไฟส่องสว่างเพิ่มในซอย",
                 "เสาไฟดับ มืดมาก อันตราย", "ไฟทางไม่ติดทั้งซอย", "หลอดไฟถนนเสีย มืด"],
    "น้ำท่วม": ["น้ำท่วมขังหน้าบ้าน ระบายไม่ทัน", "ฝนตกน้ำท่วมถนน", "น้ำท่วมขังทุกครั้งที่ฝนตก",
                "น้ำท่วมซอย รถผ่านไม่ได้", "น้ำรอการระบายท่วมสูง", "ท่วมขังนานหลายวัน"],
    "ความสะอาด": ["ขยะล้นถังส่งกลิ่นเหม็น", "มีคนทิ้งขยะริมทาง", "ไม่มีรถมาเก็บขยะ",
                  "ขยะกองใหญ่หน้าซอย", "ทิ้งขยะบนทางเท้า เหม็นมาก", "ถังขยะเต็มไม่มีคนเก็บ"],
}
TEXTS = [t for ts in TOPICS.values() for t in ts]
LABELS = np.repeat(list(TOPICS), 6)


@pytest.fixture(scope="module")
def fake() -> FakeEmbedder:
    return FakeEmbedder()


@pytest.fixture(scope="module")
def raw(fake: FakeEmbedder) -> np.ndarray:
    return fake.encode(TEXTS)


@pytest.fixture(scope="module")
def topic(raw: np.ndarray) -> TopicRepresentation:
    return TopicRepresentation.fit(TEXTS, raw, LABELS, beta=0.8, svd_dims=10, min_df=1)


# --- TopicRepresentation -------------------------------------------------------


def test_fit_and_transform_give_384_wide_unit_rows(topic: TopicRepresentation, raw: np.ndarray):
    g = topic.transform(TEXTS, raw)
    assert topic.dim == 384 and g.shape == (len(TEXTS), 384) and g.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(g, axis=1), 1.0, atol=1e-5)
    assert topic.meta["components"] == 3 == topic.w_e5.shape[1]   # classes - 1
    assert topic.name.startswith("e5-topic-") and topic.meta["digest"] in topic.name
    one = topic.transform(TEXTS[0], raw[0])
    assert one.shape == (384,)
    np.testing.assert_allclose(one, g[0], atol=1e-6)


def test_cosine_is_the_blend_of_topic_and_content(topic: TopicRepresentation, raw: np.ndarray):
    """cos(g_a, g_b) = beta cos(topic) + (1 - beta) cos(E5 principal part), exactly."""
    g = topic.transform(TEXTS, raw)
    z = topic.topic(TEXTS, raw)
    z /= np.linalg.norm(z, axis=1, keepdims=True)
    e = raw - topic.mean
    e /= np.linalg.norm(e, axis=1, keepdims=True)
    p = e @ topic.basis
    p /= np.linalg.norm(p, axis=1, keepdims=True)
    np.testing.assert_allclose(g @ g.T, 0.8 * (z @ z.T) + 0.2 * (p @ p.T), atol=1e-5)


def test_topic_part_groups_the_labelled_topics(topic: TopicRepresentation, raw: np.ndarray):
    g = topic.with_beta(1.0).transform(TEXTS, raw)
    sims = g @ g.T
    same = LABELS[:, None] == LABELS[None, :]
    off = ~np.eye(len(TEXTS), dtype=bool)
    assert sims[same & off].mean() > sims[~same].mean() + 0.3


def test_tfidf_matches_scikit_learn(topic: TopicRepresentation):
    from sklearn.feature_extraction.text import TfidfVectorizer

    ref = TfidfVectorizer(analyzer="char", ngram_range=(2, 4), preprocessor=prepare_text,
                          sublinear_tf=True,
                          vocabulary={g: i for i, g in enumerate(topic.vocab)}).fit(TEXTS)
    ref.idf_ = topic.idf
    texts = ["ถนนพังเป็นหลุม ไฟดับ", "  น้ำท่วม\u200b ขัง ", ""]
    np.testing.assert_allclose(topic.tfidf(texts).toarray(), ref.transform(texts).toarray(), atol=1e-6)


def test_save_and_load_round_trip_without_texts(topic: TopicRepresentation, raw: np.ndarray,
                                                tmp_path: Path):
    path = tmp_path / "rep.npz"
    topic.save(path)
    loaded = TopicRepresentation.load(path)
    assert loaded.name == topic.name and loaded.beta == topic.beta
    np.testing.assert_allclose(loaded.transform(TEXTS, raw), topic.transform(TEXTS, raw), atol=2e-3)
    with np.load(path) as z:
        assert "text" not in z.files and "texts" not in z.files
        assert max(len(g) for g in z["vocab"].tolist()) <= 4      # n-grams, not texts


def test_e5_only_projection_ignores_text(raw: np.ndarray):
    rep = TopicRepresentation.fit(TEXTS, raw, LABELS, use_text=False)
    assert rep.vocab == []
    np.testing.assert_allclose(rep.transform(TEXTS, raw), rep.transform([""] * len(TEXTS), raw))


def test_bad_inputs_are_refused(topic: TopicRepresentation, raw: np.ndarray):
    with pytest.raises(ValueError, match="texts"):
        topic.transform(TEXTS[:3], raw[:4])
    with pytest.raises(ValueError, match="384"):
        topic.transform(TEXTS[:2], raw[:2, :10])
    with pytest.raises(ValueError, match="two categories"):
        TopicRepresentation.fit(TEXTS, raw, ["x"] * len(TEXTS))
    with pytest.raises(ValueError, match="beta"):
        topic.with_beta(0.0)


def test_for_embedder_fake_is_plain_normalisation(raw: np.ndarray):
    rep = for_embedder("fake-trigram-384")
    assert isinstance(rep, CentredRepresentation) and rep.dim == 384
    np.testing.assert_allclose(rep.transform(TEXTS, raw), raw, atol=1e-6)
    with pytest.raises(KeyError):
        for_embedder("word2vec")


# --- the shipped artefact and the product's constants ----------------------------


def test_shipped_projection_is_small_and_matches_its_record():
    record = json.loads(ARTEFACT.with_suffix(".json").read_text("utf-8"))
    assert ARTEFACT.stat().st_size < 3_000_000
    rep = for_embedder("multilingual-e5-small")
    assert isinstance(rep, TopicRepresentation)
    assert rep.name == record["name"] and rep.dim == 384 and rep.beta == record["beta"]
    assert rep.meta["rows"] == 62_400 and len(rep.meta["classes"]) == 21
    # The product's thresholds are the calibrated ones.
    assert clustering.E5_RECLUSTER_DISTANCE == record["recluster_distance"]
    assert clustering.recluster_distance(rep.name) == record["recluster_distance"]
    assert clustering.default_threshold("multilingual-e5-small") == record["assign_threshold"]
    cal = record["calibration"]
    assert cal["k21"]["ari"] >= 0.5 and cal["k21"]["nmi"] >= 0.68
    assert cal["k21"]["precision_at_3"] >= 0.85


def test_shipped_projection_transforms_one_idea_fast():
    import time

    rep = for_embedder("multilingual-e5-small")
    rng = np.random.default_rng(0)
    x = rep.mean + rng.normal(0, 0.02, 384).astype(np.float32)
    x /= np.linalg.norm(x)
    rep.transform(["warm up"], x)
    t0 = time.perf_counter()
    for _ in range(20):
        g = rep.transform(["ถนนหน้าซอยเป็นหลุมเป็นบ่อ ขอให้ซ่อมด่วน"], x)
    assert (time.perf_counter() - t0) / 20 < 0.05
    assert g.shape == (384,) and abs(float(np.linalg.norm(g)) - 1) < 1e-5


# --- recluster: the sampled path for large inputs --------------------------------


def _blobs(n_per: int, k: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(k, 24))
    y = np.repeat(np.arange(k), n_per)
    x = centres[y] + rng.normal(0, 0.15, size=(len(y), 24))
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32), y


def test_recluster_sampled_path_keeps_k_and_finds_the_groups():
    from sklearn.metrics import adjusted_rand_score

    x, y = _blobs(60, 5)
    labels = clustering.recluster(x, n_clusters=5, exact_max=100)
    assert sorted(set(labels.tolist())) == [0, 1, 2, 3, 4]
    assert adjusted_rand_score(y, labels) > 0.95
    exact = clustering.recluster(x, n_clusters=5)
    assert adjusted_rand_score(exact, labels) > 0.95


def test_recluster_sampled_path_without_k_marks_outliers_as_noise():
    x, _ = _blobs(60, 4)
    rng = np.random.default_rng(1)
    outliers = rng.normal(size=(5, 24)).astype(np.float32)
    x = np.vstack([x, outliers / np.linalg.norm(outliers, axis=1, keepdims=True)])
    labels = clustering.recluster(x, distance_threshold=0.3, exact_max=80, min_cluster_size=3)
    assert len(set(labels[:240].tolist()) - {-1}) == 4
    assert (labels[240:] == -1).all()
    assert (labels[:240] >= 0).mean() > 0.95


def test_recluster_rejects_tiny_exact_max():
    x, _ = _blobs(5, 2)
    with pytest.raises(ValueError, match="exact_max"):
        clustering.recluster(x, n_clusters=2, exact_max=1)


def test_recluster_distance_per_representation():
    assert clustering.recluster_distance("e5-topic-abc") == clustering.E5_RECLUSTER_DISTANCE
    assert clustering.recluster_distance("fake-trigram-384") == clustering.RECLUSTER_DISTANCE
    with pytest.raises(KeyError):
        clustering.recluster_distance("bag-of-words")


# --- pipeline: grouping per district, cluster-csv ----------------------------------


def test_group_per_district_numbers_clusters_uniquely(raw: np.ndarray):
    rep = for_embedder("fake-trigram-384")
    districts = ["บางรัก"] * 12 + ["สาทร"] * 12
    labels = group(TEXTS, raw, rep, districts=districts, distance_threshold=0.9)
    a, b = set(labels[:12].tolist()) - {-1}, set(labels[12:].tolist()) - {-1}
    assert a and b and not (a & b)
    k = group(TEXTS, raw, rep, n_clusters=4, districts=districts)
    assert sorted(set(k.tolist())) == [0, 1, 2, 3]


def test_cluster_csv_with_a_district_column(tmp_path: Path, fake: FakeEmbedder):
    with (tmp_path / "in.csv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "text", "district"])
        for i, t in enumerate(TEXTS):
            w.writerow([f"i{i}", t, "บางรัก" if i < 12 else "สาทร"])
    summary = cluster_csv(tmp_path / "in.csv", tmp_path / "out.csv", fake, progress=False)
    assert summary["representation"] == "fake-trigram-384" and summary["rows"] == 24
    with (tmp_path / "out.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    by_district: dict[str, set[int]] = {}
    for i, r in enumerate(rows):
        if int(r["cluster"]) >= 0:
            by_district.setdefault("บางรัก" if i < 12 else "สาทร", set()).add(int(r["cluster"]))
    assert len(by_district) == 2 and not set.intersection(*by_district.values())
    with pytest.raises(ValueError, match="n_clusters"):
        cluster_csv(tmp_path / "in.csv", tmp_path / "out.csv", fake, n_clusters=25, progress=False)


# --- the dev-data cache and the split ---------------------------------------------


def test_fold_of_is_stable_and_roughly_seventy_thirty():
    ids = [f"2022-{i:06d}" for i in range(5000)]
    a, b = fold_of(ids, 10), fold_of(list(reversed(ids)), 10)[::-1]
    assert (a == b).all() and set(a.tolist()) == set(range(10))
    assert 0.67 < (a < 7).mean() < 0.73
    assert (fold_of(ids, 10, seed=1) != a).mean() > 0.8


def test_embed_cached_resumes_and_keeps_order(tmp_path: Path, fake: FakeEmbedder):
    ids = [f"id{i}" for i in range(25)]
    texts = [TEXTS[i % len(TEXTS)] + f" {i}" for i in range(25)]
    calls: list[int] = []

    def encode(batch: list[str]) -> np.ndarray:
        calls.append(len(batch))
        return fake.encode(batch)

    first = embed_cached(ids[:10], texts[:10], encode, tmp_path, progress=False, chunk=4)
    assert calls == [4, 4, 2] and len(list(tmp_path.glob("chunk-*.npz"))) == 3
    both = embed_cached(ids, texts, encode, tmp_path, progress=False, chunk=8)
    assert calls[3:] == [8, 7]                      # only the 15 missing rows
    np.testing.assert_allclose(both[:10], first)
    np.testing.assert_allclose(both, fake.encode(texts), atol=1e-6)
    again = embed_cached(list(reversed(ids)), list(reversed(texts)), None, tmp_path, progress=False)
    np.testing.assert_allclose(again, both[::-1])
    with pytest.raises(RuntimeError, match="not cached"):
        embed_cached(["new"], ["ถนน"], None, tmp_path, progress=False)


# --- benchmark scoring -------------------------------------------------------------


def test_bench_scores_count_noise_as_singletons():
    from siang.bench.clustering import scores

    y = np.array(["a", "a", "b", "b"])
    perfect = scores(y, np.array([0, 0, 1, 1]))
    assert perfect["ari"] == pytest.approx(1.0) and perfect["noise"] == 0.0
    noisy = scores(y, np.array([0, 0, -1, -1]))
    assert noisy["noise"] == 0.5 and noisy["clusters"] == 1 and noisy["homogeneity"] == pytest.approx(1.0)
    assert noisy["ari"] < 1.0 and "ari_clustered" in noisy


def test_bench_precision_at_3_global_and_within_groups():
    from siang.bench.similar import precision_at_3

    v = np.array([[1, 0], [0.99, 0.14], [0.98, 0.2], [0.97, 0.24], [0, 1], [0.1, 0.99]], dtype=np.float32)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    y = np.array(["a", "a", "a", "a", "b", "b"])
    # a-rows: 3 a-neighbours each; b-rows: 1 b + 2 a among their 3 nearest.
    assert precision_at_3(v, y) == pytest.approx((4 * 3 + 2 * 1) / 18)
    groups = np.array([0, 0, 0, 0, 1, 1])
    assert precision_at_3(v, y, groups) == pytest.approx(1.0)


def test_benches_are_registered():
    from siang.bench import BENCHES

    assert BENCHES["clustering"] == "siang.bench.clustering"
    assert BENCHES["similar"] == "siang.bench.similar"


def test_importing_nlp_loads_no_model_runtime():
    import subprocess
    import sys

    code = ("import nlp.embedder, nlp.represent, nlp.pipeline, nlp.corpus, sys; "
            "print(any(m in sys.modules for m in ('torch', 'onnxruntime', 'sentence_transformers')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# --- the real model (slow) ---------------------------------------------------------


@pytest.mark.model
def test_shipped_projection_on_real_e5_vectors():
    import os

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from nlp.embedder import load_embedder

    data_dir = Path(os.environ.get("SIANG_MODEL_CACHE") or REPO / "var" / "test-models")
    e5 = load_embedder("e5", data_dir)
    texts = ["ถนนหน้าซอยเป็นหลุมเป็นบ่อ", "ถนนชำรุดเป็นหลุมลึกหน้าปากซอย",
             "ไฟส่องสว่างในซอยดับ มืดมาก", "เสาไฟฟ้าดับทั้งซอย",
             "น้ำท่วมขังหน้าบ้านทุกครั้งที่ฝนตก", "ขยะล้นถังส่งกลิ่นเหม็น"]
    raw = e5.encode(texts)
    g = for_embedder(e5.name).transform(texts, raw)
    sims = g @ g.T
    assert sims[0, 1] > 0.7 and sims[2, 3] > 0.7                 # same topic: close
    assert sims[0, 1] > sims[0, 2] + 0.3 and sims[2, 3] > sims[2, 4] + 0.3
    assert max(sims[0, 2], sims[0, 4], sims[2, 5]) < clustering.default_threshold(e5.name) + 0.3
    # The int8 ONNX vectors stay faithful to the float32 sentence-transformers model.
    torch_e5 = load_embedder("e5-torch", data_dir)
    assert ((torch_e5.encode(texts) * raw).sum(axis=1)).min() > 0.985
