"""The grouping space: the one vector per idea that clustering and the similar-idea search compare.

An idea is embedded once (raw multilingual-E5-small vector, stored as is);
:meth:`Representation.transform` turns the raw vector *and the text* into its
*grouping vector*, a 384-d unit vector compared by cosine. Every consumer
(online assignment in the worker, the full recluster, the similar-idea
search, ``siang nlp cluster-csv``) goes through this module, so they agree.

Two representations:

* :class:`TopicRepresentation` (E5, the product default): a supervised
  linear projection learned on labelled Traffy Fondue dev rows
  (``nlp/artefacts/make_representation.py``), blended with the centred E5
  vector. In numbers, for raw vector x and text t::

      e  = unit(x - m)                                  centred E5 (384)
      h  = tfidf(t)                                     char 2-4-gram TF-IDF, unit rows
      z  = e @ We + h @ Wt - b                          linear discriminants (k = 20)
      g  = [ sqrt(beta) unit(z) , sqrt(1 - beta) unit(e @ P) ]   (384 = 20 + 364)

  ``We``, ``Wt``, ``b`` are linear discriminant analysis (LDA; Fisher 1936,
  as in scikit-learn's ``LinearDiscriminantAnalysis(solver="svd")``) fitted
  on [centred E5 ⊕ LSA(char TF-IDF → truncated SVD 200)] against the 21
  reporter categories; the SVD is folded into ``Wt`` (F x k), so no SVD
  basis ships. ``P`` (384 x 364) are the leading principal directions of
  centred E5 (99.6 % of its variance), so ``g`` stays 384 wide and fits the
  ``vector(384)`` columns. Because both halves are unit vectors, the cosine
  of two grouping vectors is exactly
  ``beta * cos(topic) + (1 - beta) * cos(E5 content)``: the topic part puts
  ideas of one civic topic together, the E5 part orders ideas within a topic
  by what they actually say (same street, same problem).

* :class:`CentredRepresentation`: the centred raw vector only (the fake
  embedder in tests, and the "E5 centred" baseline of the benchmark).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from nlp.thai import normalise

__all__ = [
    "Representation",
    "CentredRepresentation",
    "TopicRepresentation",
    "for_embedder",
    "ARTEFACT",
    "GROUPING_DIM",
    "prepare_text",
]

_ARTEFACTS = Path(__file__).resolve().parent / "artefacts"
#: The shipped E5 projection (made by ``nlp/artefacts/make_representation.py``).
ARTEFACT = _ARTEFACTS / "representation_e5.npz"
#: Width of every grouping vector (the database's ``vector(384)`` columns).
GROUPING_DIM = 384
_FORMAT = 1


def _unit(x: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(x, axis=-1, keepdims=True)
    return (x / np.maximum(norms, 1e-12)).astype(np.float32, copy=False)


def prepare_text(text: str) -> str:
    """What the character n-grams are taken from: :func:`nlp.thai.normalise`, lower case."""
    return normalise(text).lower()


@runtime_checkable
class Representation(Protocol):
    """Raw embeddings + texts → grouping vectors.

    Attributes:
        name: stable identifier (changes whenever the vectors would change).
        dim: length of each grouping vector.
    """

    name: str
    dim: int

    def transform(self, texts: Sequence[str], raw: np.ndarray) -> np.ndarray:
        """Grouping vectors.

        Args:
            texts: n raw texts (as typed; normalised here).
            raw: (n, d) or (d,) raw unit embeddings of those texts.

        Returns:
            float32 (n, dim) (or (dim,) for one 1-D ``raw``), unit rows.

        Raises:
            ValueError: when the number of texts and vectors differ or the
                vector width is wrong.
        """
        ...


def _check(texts: Sequence[str], raw: np.ndarray, width: int) -> tuple[list[str], np.ndarray, bool]:
    if isinstance(texts, str):
        texts = [texts]
    raw = np.asarray(raw, dtype=np.float32)
    single = raw.ndim == 1
    if single:
        raw = raw[None, :]
    if raw.ndim != 2 or raw.shape[1] != width:
        raise ValueError(f"raw vectors must be (n, {width}), got shape {raw.shape}")
    if len(texts) != raw.shape[0]:
        raise ValueError(f"{len(texts)} texts but {raw.shape[0]} vectors")
    return list(texts), raw, single


class CentredRepresentation:
    """Grouping vector = unit(raw - mean); the text is not used.

    Args:
        mean: (d,) centring vector (zeros: plain re-normalisation).
        name: identifier.
    """

    def __init__(self, mean: np.ndarray, name: str) -> None:
        self.mean = np.asarray(mean, dtype=np.float32)
        self.dim = int(self.mean.shape[0])
        self.name = name

    def transform(self, texts: Sequence[str], raw: np.ndarray) -> np.ndarray:
        texts, x, single = _check(texts, raw, self.dim)
        out = _unit(x - self.mean)
        return out[0] if single else out


class TopicRepresentation:
    """The supervised E5 + character n-gram projection (see the module docstring).

    Build with :meth:`fit` (from labelled rows) or :meth:`load` (the shipped
    artefact). Memory: ~4 MB; one text transforms in well under 1 ms.

    Attributes:
        mean: (384,) centring vector of raw E5.
        w_e5: (384, k) discriminant weights of the centred E5 part.
        vocab: F character n-grams; ``idf``: (F,) their inverse document
            frequencies (scikit-learn's smoothed idf).
        w_text: (F, k) discriminant weights of the TF-IDF part (SVD folded in).
        offset: (k,) subtracted after projecting.
        basis: (384, 384 - k) principal directions of centred E5.
        beta: weight of the topic part in the cosine, in (0, 1].
        ngram_range: (min, max) character n-gram lengths.
        meta: provenance (rows fitted, parameters), JSON-serialisable.
    """

    def __init__(self, *, mean, w_e5, vocab, idf, w_text, offset, basis, beta: float,
                 ngram_range: tuple[int, int], meta: dict | None = None) -> None:
        self.mean = np.asarray(mean, dtype=np.float32)
        self.w_e5 = np.asarray(w_e5, dtype=np.float32)
        self.vocab = [str(v) for v in vocab]
        self.idf = np.asarray(idf, dtype=np.float32)
        self.w_text = np.asarray(w_text, dtype=np.float32)
        self.offset = np.asarray(offset, dtype=np.float32)
        self.basis = np.asarray(basis, dtype=np.float32)
        self.beta = float(beta)
        self.ngram_range = (int(ngram_range[0]), int(ngram_range[1]))
        self.meta = dict(meta or {})
        k = self.w_e5.shape[1]
        if not 0.0 < self.beta <= 1.0:
            raise ValueError(f"beta must be in (0, 1], got {beta}")
        if self.w_text.shape != (len(self.vocab), k) or self.offset.shape != (k,):
            raise ValueError("inconsistent projection shapes")
        self.dim = k + (self.basis.shape[1] if self.beta < 1.0 else 0)
        digest = self.meta.get("digest", "")
        self.name = f"e5-topic-{digest}" if digest else "e5-topic"
        self._vectorizer = None

    # -- transform -----------------------------------------------------

    def _counts(self, texts: list[str]):
        if self._vectorizer is None:
            from sklearn.feature_extraction.text import CountVectorizer

            self._vectorizer = CountVectorizer(
                analyzer="char", ngram_range=self.ngram_range, preprocessor=prepare_text,
                vocabulary={v: i for i, v in enumerate(self.vocab)}, dtype=np.float32)
        return self._vectorizer.transform(texts)

    def tfidf(self, texts: Sequence[str]):
        """Sublinear char n-gram TF-IDF with unit rows, as ``TfidfVectorizer`` computes it.

        Returns:
            scipy CSR (n, F) float32.
        """
        from scipy import sparse
        from sklearn.preprocessing import normalize

        if not self.vocab:  # fitted without text features
            return sparse.csr_matrix((len(texts), 0), dtype=np.float32)
        x = self._counts(list(texts)).tocsr()
        x.data = 1.0 + np.log(x.data)
        x = x.multiply(self.idf[None, :]).tocsr()
        return normalize(x, copy=False).astype(np.float32)

    def topic(self, texts: Sequence[str], raw: np.ndarray) -> np.ndarray:
        """The k = 20 discriminant coordinates (before normalisation), (n, k) float32."""
        texts, x, _ = _check(texts, raw, self.mean.shape[0])
        e = _unit(x - self.mean)
        z = e @ self.w_e5 + np.asarray(self.tfidf(texts) @ self.w_text) - self.offset
        return z.astype(np.float32, copy=False)

    def transform(self, texts: Sequence[str], raw: np.ndarray) -> np.ndarray:
        texts, x, single = _check(texts, raw, self.mean.shape[0])
        e = _unit(x - self.mean)
        z = e @ self.w_e5 + np.asarray(self.tfidf(texts) @ self.w_text) - self.offset
        out = np.sqrt(self.beta) * _unit(z)
        if self.beta < 1.0:
            out = np.hstack([out, np.sqrt(1.0 - self.beta) * _unit(e @ self.basis)])
        out = np.ascontiguousarray(out, dtype=np.float32)
        return out[0] if single else out

    # -- fitting -------------------------------------------------------

    @classmethod
    def fit(cls, texts: Sequence[str], raw: np.ndarray, labels: Sequence[str], *,
            mean: np.ndarray | None = None, beta: float = 0.8,
            ngram_range: tuple[int, int] = (2, 4), max_features: int = 30_000, min_df: int = 2,
            svd_dims: int = 200, seed: int = 0, use_text: bool = True) -> "TopicRepresentation":
        """Learn the projection from labelled rows.

        Steps: centre E5 (``mean`` or the rows' own mean); char n-gram
        TF-IDF (sublinear tf, the ``max_features`` most frequent n-grams seen
        in >= ``min_df`` texts) → truncated SVD (``svd_dims``, LSA); LDA on
        [centred E5 ⊕ LSA] against ``labels``; fold the SVD into the text
        weights; principal directions of centred E5 for the content half.

        Args:
            texts: n texts; raw: (n, 384) raw unit E5 vectors; labels: n
                category names (>= 2 distinct).
            mean: centring vector; default the mean of ``raw``.
            beta: topic weight in (0, 1].
            seed: for the randomised SVD.
            use_text: False for a projection of E5 alone (a benchmark variant).

        Returns:
            A fitted representation (``meta`` records the parameters and a
            digest of the weights).

        Raises:
            ValueError: with fewer than two categories or mismatched inputs.
        """
        import hashlib

        from sklearn.decomposition import TruncatedSVD
        from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
        from sklearn.feature_extraction.text import TfidfVectorizer

        texts, x, _ = _check(texts, raw, np.asarray(raw).shape[-1])
        labels = np.asarray(labels)
        if len(labels) != len(texts):
            raise ValueError(f"{len(texts)} texts but {len(labels)} labels")
        if len(set(labels.tolist())) < 2:
            raise ValueError("need at least two categories to fit")
        mean = x.mean(axis=0) if mean is None else np.asarray(mean, dtype=np.float32)
        e = _unit(x - mean)
        if use_text:
            vec = TfidfVectorizer(analyzer="char", ngram_range=ngram_range, preprocessor=prepare_text,
                                  sublinear_tf=True, min_df=min_df, max_features=max_features,
                                  dtype=np.float32)
            h = vec.fit_transform(texts)
            svd_dims = max(1, min(svd_dims, h.shape[1] - 1, h.shape[0] - 1))
            svd = TruncatedSVD(svd_dims, random_state=seed).fit(h)
            components = svd.components_.astype(np.float64)
            lsa = np.asarray(h @ svd.components_.T, dtype=np.float32)
            vocab = [None] * len(vec.vocabulary_)
            for gram, j in vec.vocabulary_.items():
                vocab[j] = gram
            idf = vec.idf_
        else:
            components = np.zeros((0, 0))
            lsa = np.zeros((len(texts), 0), dtype=np.float32)
            vocab, idf, svd_dims = [], np.zeros(0, dtype=np.float32), 0
        lda = LinearDiscriminantAnalysis(solver="svd").fit(np.hstack([e, lsa]), labels)
        k = min(len(lda.classes_) - 1, lda.scalings_.shape[1])
        s = lda.scalings_[:, :k].astype(np.float64)
        d = e.shape[1]
        w_e5 = s[:d]
        w_text = components.T @ s[d:]
        offset = lda.xbar_ @ s
        # Principal directions of centred E5 (already near zero mean; no
        # re-centring): eigenvectors of e'e, largest first, all d of them
        # available even when fitted on fewer than d rows.
        eigenvalues, eigenvectors = np.linalg.eigh(e.astype(np.float64).T @ e.astype(np.float64))
        basis = eigenvectors[:, np.argsort(-eigenvalues)[: d - k]]
        arrays = [mean, w_e5, idf, w_text, offset, basis]
        digest = hashlib.sha256(b"".join(np.asarray(a, np.float32).tobytes() for a in arrays)
                                + "\n".join(vocab).encode()).hexdigest()[:10]
        meta = {"rows": len(texts), "classes": [str(c) for c in lda.classes_],
                "ngram_range": list(ngram_range), "max_features": max_features,
                "min_df": min_df, "svd_dims": svd_dims, "beta": beta, "seed": seed,
                "components": k, "digest": digest}
        return cls(mean=mean, w_e5=w_e5, vocab=vocab, idf=idf, w_text=w_text, offset=offset,
                   basis=basis, beta=beta, ngram_range=ngram_range, meta=meta)

    def with_beta(self, beta: float) -> "TopicRepresentation":
        """The same projection with another topic weight (for comparisons)."""
        meta = {**self.meta, "beta": beta}
        if meta.get("digest"):
            meta["digest"] = f"{meta['digest']}b{beta:g}"
        return TopicRepresentation(mean=self.mean, w_e5=self.w_e5, vocab=self.vocab, idf=self.idf,
                                   w_text=self.w_text, offset=self.offset, basis=self.basis,
                                   beta=beta, ngram_range=self.ngram_range, meta=meta)

    # -- persistence ---------------------------------------------------

    def save(self, path: Path) -> None:
        """Write a compressed ``.npz`` (weights as float32/float16, meta as JSON); no data rows."""
        np.savez_compressed(
            path, format=np.int64(_FORMAT), mean=self.mean, w_e5=self.w_e5,
            vocab=np.array(self.vocab), idf=self.idf, w_text=self.w_text.astype(np.float16),
            offset=self.offset, basis=self.basis.astype(np.float16),
            beta=np.float64(self.beta), ngram_range=np.array(self.ngram_range),
            meta=np.array(json.dumps(self.meta, ensure_ascii=False)))

    @classmethod
    def load(cls, path: Path = ARTEFACT) -> "TopicRepresentation":
        """Read an artefact written by :meth:`save`.

        Raises:
            FileNotFoundError: if ``path`` is missing.
            ValueError: for an unknown format version.
        """
        with np.load(Path(path), allow_pickle=False) as z:
            if int(z["format"]) != _FORMAT:
                raise ValueError(f"{path}: representation format {int(z['format'])}, expected {_FORMAT}")
            return cls(mean=z["mean"], w_e5=z["w_e5"], vocab=z["vocab"].tolist(), idf=z["idf"],
                       w_text=z["w_text"].astype(np.float32), offset=z["offset"],
                       basis=z["basis"].astype(np.float32), beta=float(z["beta"]),
                       ngram_range=tuple(z["ngram_range"].tolist()),
                       meta=json.loads(str(z["meta"])))


@lru_cache(maxsize=4)
def for_embedder(embedder_name: str) -> Representation:
    """The product's representation for an embedder's vectors (loaded once per process).

    Args:
        embedder_name: ``Embedder.name``: "multilingual-e5-small" → the shipped
            :class:`TopicRepresentation` (:data:`ARTEFACT`);
            "fake-trigram-<dim>" → :class:`CentredRepresentation` with a zero
            mean (tests).

    Raises:
        KeyError: for an unknown embedder.
        FileNotFoundError: if the E5 artefact is missing.
    """
    if embedder_name == "multilingual-e5-small":
        return TopicRepresentation.load(ARTEFACT)
    if embedder_name.startswith("fake-trigram-"):
        dim = int(embedder_name.rsplit("-", 1)[1])
        return CentredRepresentation(np.zeros(dim, dtype=np.float32), name=embedder_name)
    raise KeyError(f"no representation for embedder {embedder_name!r}")
