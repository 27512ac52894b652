"""Print the c-TF-IDF keywords of real clusters, to check they read as Thai words (issue 9).

Takes the dev rows of one district, groups them as the product does
(grouping vectors of the shipped projection, :func:`nlp.pipeline.group`,
default cut) and prints, for the largest clusters, their size, keywords
(:func:`nlp.keywords.cluster_keywords`, pythainlp ``newmm`` words) and the
reporters' majority category with its share. Keywords that are not in
pythainlp's Thai word list (and not Latin/numbers) are flagged with ``?``
so fragments stand out. Nothing is written.

Usage::

    python -m nlp.artefacts.keywords_check --district บางรัก --top 15
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter

import numpy as np


def main(argv: list[str] | None = None) -> int:
    from pythainlp.corpus import thai_words

    from nlp.corpus import dev_with_vectors
    from nlp.keywords import cluster_keywords
    from nlp.pipeline import group
    from nlp.represent import for_embedder

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--district", default="บางรัก")
    ap.add_argument("--top", type=int, default=15)
    args = ap.parse_args(argv)

    corpus, raw = dev_with_vectors()
    rows = np.flatnonzero(corpus.districts == args.district)
    if not len(rows):
        print(f"no rows for district {args.district!r}", file=sys.stderr)
        return 2
    texts = [corpus.texts[i] for i in rows]
    labels = group(texts, raw[rows], for_embedder("multilingual-e5-small"))
    docs: dict[int, list[str]] = {}
    for t, lab in zip(texts, labels.tolist()):
        docs.setdefault(lab, []).append(t)
    keywords = cluster_keywords(docs, top_n=5)
    words = thai_words()
    n_clusters = len(set(labels.tolist()) - {-1})
    print(f"{args.district}: {len(rows)} ideas, {n_clusters} clusters, "
          f"{(labels < 0).mean():.0%} unclustered")
    flagged = total = 0
    for lab, _ in Counter(labels[labels >= 0].tolist()).most_common(args.top):
        cats = Counter(corpus.labels[rows][labels == lab].tolist()).most_common(1)[0]
        marks = []
        for w in keywords[lab]:
            ok = w in words or w.isascii()
            flagged += not ok
            total += 1
            marks.append(w if ok else f"{w}?")
        print(f"{len(docs[lab]):4d}  {cats[0]} {cats[1] / len(docs[lab]):.0%}  " + " · ".join(marks))
    print(f"{flagged} of {total} keywords are not in pythainlp's word list")
    return 0


if __name__ == "__main__":
    sys.exit(main())
