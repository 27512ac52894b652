"""Cluster keywords by class-based TF-IDF (c-TF-IDF).

Source of the rule: M. Grootendorst, "BERTopic: Neural topic modeling with a
class-based TF-IDF procedure" (arXiv:2203.05794), eq. 1, as implemented in
``bertopic.vectorizers.ClassTfidfTransformer``: all documents of a cluster
are joined into one class document; the weight of term t in class c is

    W(t, c) = tf(t, c) * log(1 + A / f(t))

where tf(t, c) is the frequency of t in c divided by the number of words in
c (L1 normalisation), f(t) the frequency of t across all classes and A the
average number of words per class.

Terms are pythainlp ``newmm`` content words (:func:`nlp.thai.content_words`),
never scikit-learn's default ``token_pattern``, which cuts Thai at vowel and
tone marks (DESIGN.md, "BERTopic pitfalls with Thai"), with the vowel and
tone order mended (``pythainlp.util.normalize``: "นำ้" → "น้ำ"). Noise is
kept off the chips (issue 15): in a cluster of two or more ideas a keyword
must occur in at least two of them; a Thai word must be in pythainlp's
dictionary; a Latin word (shop names, "del", "brasserie") must occur in a
quarter of the cluster's ideas.

:func:`cluster_title` gives a cluster a short Thai title staff can read at a
glance: its representative (medoid) idea, trimmed at a word boundary.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Mapping, Sequence
from functools import lru_cache

import numpy as np

from nlp.thai import content_words, normalise, tokenize

__all__ = ["cluster_keywords", "ctfidf", "cluster_title"]

_LATIN = re.compile(r"^[a-z][a-z'.-]*$")
LATIN_SHARE = 0.25       # of a cluster's ideas a Latin keyword must occur in
TITLE_CHARS = 60


@lru_cache(maxsize=1)
def _dictionary() -> frozenset[str]:
    from pythainlp.corpus import thai_words

    return frozenset(thai_words())


def _mend(word: str) -> str:
    from pythainlp.util import normalize

    return normalize(word)


def _eligible(word: str, ideas_with_word: int, n_ideas: int) -> bool:
    """Whether a word may be a chip of a cluster of ``n_ideas`` (module doc)."""
    if n_ideas >= 2 and ideas_with_word < 2:
        return False
    if _LATIN.match(word):
        return ideas_with_word >= max(1.0, LATIN_SHARE * n_ideas)
    return word in _dictionary()


def ctfidf(counts: np.ndarray) -> np.ndarray:
    """Class-based TF-IDF weights from a class x term count matrix.

    Args:
        counts: (k, V) non-negative term counts, one row per class.

    Returns:
        (k, V) float64 weights ``tf * log(1 + A / f)``; rows with no words
        and columns that never occur are 0.
    """
    counts = np.asarray(counts, dtype=np.float64)
    if counts.ndim != 2:
        raise ValueError(f"counts must be 2-D, got shape {counts.shape}")
    words_per_class = counts.sum(axis=1, keepdims=True)
    tf = np.divide(counts, words_per_class, out=np.zeros_like(counts), where=words_per_class > 0)
    f_t = counts.sum(axis=0)
    avg_words = float(words_per_class.mean()) if len(counts) else 0.0
    idf = np.log1p(np.divide(avg_words, f_t, out=np.zeros_like(f_t), where=f_t > 0))
    return tf * idf


def cluster_keywords(
    docs_by_cluster: Mapping[Hashable, Sequence[str]], top_n: int = 5
) -> dict[Hashable, list[str]]:
    """Top c-TF-IDF keywords for each cluster.

    The idf part is computed over all the clusters given, so pass every
    cluster of a clustering together (the noise group too, if you have one:
    it tells which words are common everywhere).

    Args:
        docs_by_cluster: cluster key -> the texts of its ideas (raw Thai).
        top_n: keywords per cluster, at most.

    Returns:
        cluster key -> up to ``top_n`` distinct words, best first (ties
        broken by the word's frequency in the cluster, then alphabetically).
        Only words that occur in the cluster are returned, so a cluster
        whose texts have no content words gets ``[]``.

    Raises:
        ValueError: if ``top_n`` < 1.
    """
    if top_n < 1:
        raise ValueError(f"top_n must be >= 1, got {top_n}")
    keys = list(docs_by_cluster)
    vocab: dict[str, int] = {}
    rows: list[dict[int, int]] = []
    ideas_with: list[dict[int, int]] = []
    for key in keys:
        row: dict[int, int] = {}
        seen_in: dict[int, int] = {}
        for doc in docs_by_cluster[key]:
            words = [_mend(w) for w in content_words(doc)]
            for word in words:
                j = vocab.setdefault(word, len(vocab))
                row[j] = row.get(j, 0) + 1
            for j in {vocab[w] for w in words}:
                seen_in[j] = seen_in.get(j, 0) + 1
        rows.append(row)
        ideas_with.append(seen_in)
    if not vocab:
        return {key: [] for key in keys}
    counts = np.zeros((len(keys), len(vocab)), dtype=np.float64)
    for i, row in enumerate(rows):
        for j, c in row.items():
            counts[i, j] = c
    weights = ctfidf(counts)
    words = np.array(sorted(vocab, key=vocab.get), dtype=object)
    out: dict[Hashable, list[str]] = {}
    for i, key in enumerate(keys):
        n_ideas = len(docs_by_cluster[key])
        present = [j for j in np.flatnonzero(counts[i] > 0)
                   if _eligible(str(words[j]), ideas_with[i].get(int(j), 0), n_ideas)]
        order = sorted(present, key=lambda j: (-weights[i, j], -counts[i, j], words[j]))
        out[key] = [str(words[j]) for j in order[:top_n]]
    return out


@lru_cache(maxsize=4096)
def cluster_title(text: str | None, max_chars: int = TITLE_CHARS) -> str:
    """A short title from an idea's text: its first phrase, cut at a pythainlp word boundary.

    Thai writes a space between phrases: whole phrases are taken while they
    fit in ``max_chars`` (when that gives at least 12 characters); otherwise
    words (``newmm``) are taken up to ``max_chars``; "…" marks a cut.

    Args:
        text: the cluster's representative idea (None or empty → "").
        max_chars: the longest title, in characters (before "…").

    Returns:
        The title ("" for no text).
    """
    text = normalise(text or "")
    if not text:
        return ""
    phrases = text.split(" ")
    taken = ""
    for phrase in phrases:
        joined = f"{taken} {phrase}" if taken else phrase
        if len(joined) > max_chars:
            break
        taken = joined
    if len(taken) >= 12:
        return taken + ("…" if len(taken) < len(text) else "")
    out = ""
    for token in tokenize(text):
        if len(out) + len(token) > max_chars:
            return out.rstrip() + "…"
        out += token
    return out.rstrip()
