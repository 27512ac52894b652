"""Tests of the pure NLP package with the deterministic fake embedder (no model, no database)."""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import numpy as np
import pytest

from nlp.clustering import (
    assign,
    centre,
    default_threshold,
    mean_for,
    medoid,
    recluster,
    remove_from_centroid,
    update_centroid,
)
from nlp.embedder import Embedder, FakeEmbedder, load_embedder
from nlp.keywords import cluster_keywords, ctfidf
from nlp.pipeline import cluster_csv
from nlp.thai import content_words, normalise, tokenize

# Three topics residents raise every week: potholes, street lights, flooding.
IDEAS = {
    "pothole": [
        "ถนนเป็นหลุมเป็นบ่อ รถตกหลุม",
        "ถนนหน้าซอยเป็นหลุมเป็นบ่อ",
        "ถนนในซอยเป็นหลุมลึก อันตราย",
        "ถนนชำรุดเป็นหลุมเป็นบ่อ ขอให้ซ่อมถนน",
    ],
    "light": [
        "ไฟส่องสว่างดับ ซอยมืดมาก",
        "ไฟส่องสว่างในซอยดับหลายดวง",
        "ขอไฟส่องสว่างเพิ่ม ซอยมืด",
        "เสาไฟส่องสว่างดับ มืดมาก",
    ],
    "flood": [
        "น้ำท่วมขังหน้าบ้าน ระบายไม่ทัน",
        "ฝนตกน้ำท่วมขังถนน",
        "น้ำท่วมขังทุกครั้งที่ฝนตก",
        "น้ำท่วมขังในซอย ระบายน้ำไม่ได้",
    ],
}
TEXTS = [t for texts in IDEAS.values() for t in texts]
TOPIC = np.repeat(np.arange(len(IDEAS)), 4)


@pytest.fixture(scope="module")
def fake() -> FakeEmbedder:
    return FakeEmbedder()


@pytest.fixture(scope="module")
def vectors(fake: FakeEmbedder) -> np.ndarray:
    return fake.encode(TEXTS)


def same_partition(labels: np.ndarray, truth: np.ndarray) -> bool:
    pairs_a = {(i, j) for i in range(len(labels)) for j in range(len(labels)) if labels[i] == labels[j]}
    pairs_b = {(i, j) for i in range(len(truth)) for j in range(len(truth)) if truth[i] == truth[j]}
    return pairs_a == pairs_b


# --- thai -------------------------------------------------------------------


def test_normalise_strips_zero_width_and_collapses_whitespace():
    assert normalise("  ถนน\u200bชำรุด \n\t หน้า\ufeffซอย  ") == "ถนนชำรุด หน้าซอย"


def test_normalise_keeps_thai_and_fixes_double_sara_e():
    assert normalise("เเสงสว่าง") == "แสงสว่าง"
    assert normalise("น้ำท่วม") == "น้ำท่วม"


def test_tokenize_splits_thai_words_without_whitespace_tokens():
    assert tokenize("ถนนหน้าซอย  เป็นหลุม") == ["ถนน", "หน้า", "ซอย", "เป็น", "หลุม"]


def test_content_words_drop_stop_words_digits_punctuation_and_single_chars():
    words = content_words("ไฟดับ 3 วันแล้ว!! โทร [PHONE] และ ก BTS")
    assert "ไฟ" in words and "ดับ" in words and "bts" in words
    for dropped in ("3", "!!", "แล้ว", "และ", "ก", "PHONE", "phone", "[", "]"):
        assert dropped not in words


# --- embedder ---------------------------------------------------------------


def test_fake_embedder_satisfies_protocol(fake: FakeEmbedder):
    assert isinstance(fake, Embedder)
    assert fake.name == "fake-trigram-384"
    assert fake.dim == 384


def test_fake_embedder_is_deterministic_float32_and_normalised(fake: FakeEmbedder, vectors: np.ndarray):
    again = FakeEmbedder().encode(TEXTS)
    assert vectors.dtype == np.float32
    assert vectors.shape == (len(TEXTS), 384)
    np.testing.assert_array_equal(vectors, again)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-6)


def test_fake_embedder_edge_cases(fake: FakeEmbedder):
    assert fake.encode([]).shape == (0, 384)
    empty = fake.encode(["", "   "])
    np.testing.assert_allclose(np.linalg.norm(empty, axis=1), 1.0)
    with pytest.raises(TypeError):
        fake.encode("ถนน")
    np.testing.assert_array_equal(fake.encode(["ถนน  ชำรุด"]), fake.encode(["ถนน ชำรุด"]))


def test_fake_embedder_similar_texts_are_nearer(fake: FakeEmbedder):
    a, b, c = fake.encode(["ถนนหน้าซอยเป็นหลุมเป็นบ่อ", "ถนนในซอยเป็นหลุมเป็นบ่อ", "ขอไฟส่องสว่างในสวนสาธารณะ"])
    assert a @ b > a @ c + 0.3


def test_load_embedder_fake_and_unknown(tmp_path: Path):
    assert isinstance(load_embedder("fake", tmp_path), FakeEmbedder)
    with pytest.raises(ValueError):
        load_embedder("word2vec", tmp_path)


def test_no_model_loaded_at_import():
    # Importing nlp must not pull in torch or sentence-transformers.
    import subprocess

    code = "import nlp.embedder, nlp.clustering, nlp.pipeline, nlp.keywords, nlp.thai, sys; print('torch' in sys.modules, 'sentence_transformers' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


# --- clustering -------------------------------------------------------------


def test_recluster_separates_potholes_lights_and_flooding(vectors: np.ndarray):
    labels = recluster(vectors, min_cluster_size=3)
    assert labels.dtype == np.int64 and labels.shape == (len(TEXTS),)
    assert same_partition(labels, TOPIC)


@pytest.mark.parametrize("k", [1, 2, 3, 5, 12])
def test_recluster_n_clusters_is_exact_and_noise_free(vectors: np.ndarray, k: int):
    labels = recluster(vectors, n_clusters=k)
    assert sorted(set(labels.tolist())) == list(range(k))


def test_recluster_n_clusters_three_matches_topics(vectors: np.ndarray):
    assert same_partition(recluster(vectors, n_clusters=3), TOPIC)


def test_recluster_rejects_bad_arguments(vectors: np.ndarray):
    with pytest.raises(ValueError):
        recluster(vectors, n_clusters=len(TEXTS) + 1)
    with pytest.raises(ValueError):
        recluster(vectors, n_clusters=0)
    with pytest.raises(ValueError):
        recluster(vectors, min_cluster_size=1)
    with pytest.raises(ValueError):
        recluster(vectors[0])


def test_recluster_too_few_rows_is_all_noise(vectors: np.ndarray):
    assert recluster(vectors[:2], min_cluster_size=3).tolist() == [-1, -1]


def test_recluster_labels_numbered_by_size(fake: FakeEmbedder):
    texts = IDEAS["light"][:3] + IDEAS["flood"] + ["ถนนเป็นหลุม"]
    labels = recluster(fake.encode(texts), n_clusters=2)
    # the biggest group gets label 0
    counts = np.bincount(labels)
    assert counts[0] >= counts[1]


def test_centre_with_zero_mean_is_identity_for_unit_rows(vectors: np.ndarray):
    np.testing.assert_allclose(centre(vectors, mean_for("fake-trigram-384")), vectors, atol=1e-6)
    assert mean_for("fake-trigram-384").shape == (384,)


def test_centre_removes_a_shared_component():
    rng = np.random.default_rng(0)
    shared = np.ones(8, dtype=np.float32)
    x = shared + 0.1 * rng.standard_normal((5, 8)).astype(np.float32)
    c = centre(x, x.mean(axis=0))
    np.testing.assert_allclose(np.linalg.norm(c, axis=1), 1.0, atol=1e-6)
    assert np.abs((c @ c.T)[~np.eye(5, dtype=bool)]).mean() < 0.6
    with pytest.raises(ValueError):
        centre(x, np.zeros(3))


def test_mean_for_unknown_embedder():
    with pytest.raises(KeyError):
        mean_for("bag-of-words")


def test_assign_joins_matching_cluster_and_starts_new_one(fake: FakeEmbedder, vectors: np.ndarray):
    threshold = default_threshold(fake.name)
    centroids = np.stack([vectors[TOPIC == t].mean(axis=0) for t in range(3)])
    new = fake.encode(["น้ำท่วมขังหน้าซอย ฝนตกทีไรท่วมทุกที", "ขอให้เพิ่มที่จอดจักรยานหน้าสถานีรถไฟฟ้า"])
    assert assign(new[0], centroids, threshold) == 2
    assert assign(new[1], centroids, threshold) is None
    assert assign(new[0], np.zeros((0, 384), np.float32), threshold) is None
    # the threshold is inclusive
    sim = float(centroids[2] / np.linalg.norm(centroids[2]) @ new[0])
    assert assign(new[0], centroids, sim) == 2
    assert assign(new[0], centroids, sim + 1e-4) is None


def test_online_assignment_rebuilds_the_three_topics(fake: FakeEmbedder, vectors: np.ndarray):
    threshold = default_threshold(fake.name)
    order = [0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11]  # ideas arrive interleaved
    centroids: list[np.ndarray] = []
    counts: list[int] = []
    labels = np.full(len(TEXTS), -1)
    for i in order:
        k = assign(vectors[i], np.array(centroids).reshape(-1, 384), threshold)
        if k is None:
            centroids.append(vectors[i].copy())
            counts.append(1)
            k = len(centroids) - 1
        else:
            centroids[k] = update_centroid(centroids[k], counts[k], vectors[i])
            counts[k] += 1
        labels[i] = k
    assert same_partition(labels, TOPIC)


def test_update_and_remove_centroid_are_running_means(vectors: np.ndarray):
    c = update_centroid(np.zeros(384, np.float32), 0, vectors[0])
    c = update_centroid(c, 1, vectors[1])
    c = update_centroid(c, 2, vectors[2])
    np.testing.assert_allclose(c, vectors[:3].mean(axis=0), atol=1e-6)
    np.testing.assert_allclose(remove_from_centroid(c, 3, vectors[2]), vectors[:2].mean(axis=0), atol=1e-6)
    with pytest.raises(ValueError):
        update_centroid(c, -1, vectors[0])


def test_medoid_picks_the_central_row():
    x = np.array([[1, 0], [0.8, 0.6], [0.6, 0.8], [0, 1]], dtype=np.float32)
    assert medoid(x) in (1, 2)
    assert medoid(x[:1]) == 0
    with pytest.raises(ValueError):
        medoid(np.zeros((0, 2), np.float32))


def test_default_threshold_known_and_unknown():
    assert 0 < default_threshold("multilingual-e5-small") < 1
    with pytest.raises(KeyError):
        default_threshold("bag-of-words")


# --- keywords ---------------------------------------------------------------


def test_cluster_keywords_are_thai_words_of_each_topic():
    keywords = cluster_keywords(IDEAS, top_n=3)
    assert set(keywords) == set(IDEAS)
    assert "หลุม" in keywords["pothole"]
    assert "ไฟ" in keywords["light"] or "ส่องสว่าง" in keywords["light"]
    assert "น้ำท่วม" in keywords["flood"]
    tokens_seen = {w for text in TEXTS for w in tokenize(text)}
    for words in keywords.values():
        assert 1 <= len(words) <= 3
        assert len(set(words)) == len(words)
        for w in words:
            assert w in tokens_seen  # a whole newmm token, never a fragment
            assert len(w) >= 2


def test_cluster_keywords_empty_and_bad_arguments():
    assert cluster_keywords({"a": ["", "123"], "b": []}) == {"a": [], "b": []}
    with pytest.raises(ValueError):
        cluster_keywords(IDEAS, top_n=0)


def test_ctfidf_formula():
    counts = np.array([[2, 0, 2], [0, 4, 0]], dtype=float)
    w = ctfidf(counts)
    avg = 4.0  # words per class
    expected = np.array(
        [[0.5 * np.log1p(avg / 2), 0, 0.5 * np.log1p(avg / 2)], [0, 1.0 * np.log1p(avg / 4), 0]]
    )
    np.testing.assert_allclose(w, expected)


# --- pipeline ---------------------------------------------------------------


def write_ideas_csv(path: Path) -> list[str]:
    ids = [f"idea-{i:02d}" for i in range(len(TEXTS))]
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "text", "district"])
        for i, t in zip(ids, TEXTS):
            w.writerow([i, t, "บางรัก"])
    return ids


def read_labels(path: Path) -> tuple[list[str], np.ndarray]:
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == ["id", "cluster"]
    return [r["id"] for r in rows], np.array([int(r["cluster"]) for r in rows])


def test_cluster_csv_round_trip(tmp_path: Path, fake: FakeEmbedder):
    ids = write_ideas_csv(tmp_path / "ideas.csv")
    summary = cluster_csv(tmp_path / "ideas.csv", tmp_path / "out" / "labels.csv", fake, progress=False)
    out_ids, labels = read_labels(tmp_path / "out" / "labels.csv")
    assert out_ids == ids
    assert same_partition(labels, TOPIC)
    assert summary["rows"] == 12 and summary["clusters"] == 3 and summary["noise_share"] == 0.0
    assert summary["seconds"] >= 0


def test_cluster_csv_with_n_clusters(tmp_path: Path, fake: FakeEmbedder):
    write_ideas_csv(tmp_path / "ideas.csv")
    summary = cluster_csv(tmp_path / "ideas.csv", tmp_path / "labels.csv", fake, n_clusters=5, progress=False)
    _, labels = read_labels(tmp_path / "labels.csv")
    assert summary["clusters"] == 5 and sorted(set(labels.tolist())) == [0, 1, 2, 3, 4]


def test_cluster_csv_requires_id_and_text(tmp_path: Path, fake: FakeEmbedder):
    (tmp_path / "bad.csv").write_text("id,body\n1,ถนน\n", encoding="utf-8")
    with pytest.raises(ValueError, match="text"):
        cluster_csv(tmp_path / "bad.csv", tmp_path / "labels.csv", fake, progress=False)
