"""``siang bench clustering``: how well Siang groups real Bangkok reports, against what a city would otherwise use.

Data: the 62,400 Traffy Fondue dev rows (``../shared/data/traffy``), each
with the category its reporter chose (21 topics; a noisy yardstick). Raw
multilingual-E5-small vectors come from ``var/cache`` (filled by
``python -m nlp.corpus``) or are embedded here with a progress bar.

For each seed s the rows are split by a hash of the ticket id (seed s):
70 % *fit* rows, 30 % *report* rows. Everything that learns from labels
(Siang's projection, :class:`nlp.represent.TopicRepresentation`) is fitted
on fit rows only; every method then clusters the report rows without their
labels, and is scored on them (``../shared/data/traffy/README.md``,
"Evaluating a clustering"): ARI, NMI (arithmetic), V-measure, homogeneity,
completeness, with noise rows as singleton clusters, plus ARI/NMI without
the noise rows. Wall time and peak memory are per method on the report rows
(the projection's fitting time is reported apart: it is done once, offline).

Methods:

* Siang K=21: the production pipeline (:func:`nlp.pipeline.group`) with
  ``n_clusters=21``; Siang per district: the product's own granularity
  (each district clustered alone, default cut, min size 3), measured at the
  density of a real round on districts held out whole (a fifth of them,
  ~1,400 ideas each) with a projection fitted on the other districts.
* char TF-IDF + k-means; LSA (char TF-IDF → SVD 200) + k-means: the
  lexical baselines of the data README.
* BERTopic 0.17 with its defaults (UMAP 5-d + HDBSCAN) on the same raw E5
  vectors, and reduced to 21 topics (``reduce_topics``).
* variants: centred E5 + k-means / average linkage (Siang before the
  projection), the projection on E5 only, the topic part alone (beta 1),
  k-means instead of average linkage, exact linkage without sampling.

Options: ``rows`` (use N dev rows), ``seeds`` (default 3).
"""

from __future__ import annotations

import gc
import threading
import time
import warnings
from collections.abc import Callable

import numpy as np

from siang.bench.common import finish, print_table

K = 21
PER_DISTRICT = "Siang per district (product granularity)*"


class PeakMemory:
    """Peak resident memory above the starting level, sampled every 20 ms (MB).

    Freed heap memory is first returned to the system (glibc ``malloc_trim``),
    so that re-used allocations count again.
    """

    def __enter__(self) -> "PeakMemory":
        import ctypes

        import psutil

        self._proc = psutil.Process()
        gc.collect()
        try:
            ctypes.CDLL("libc.so.6").malloc_trim(0)
        except OSError:
            pass
        self.base = self._proc.memory_info().rss
        self.peak = self.base
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()
        self.t0 = time.perf_counter()
        return self

    def _watch(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, self._proc.memory_info().rss)

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self.t0
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._proc.memory_info().rss)
        self.mb = (self.peak - self.base) / 2**20


def scores(y: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    """The data README's scores; noise (-1) rows count as singleton clusters."""
    from sklearn import metrics

    labels = np.asarray(labels, dtype=np.int64).copy()
    noise = labels < 0
    singles = labels.copy()
    singles[noise] = labels.max(initial=0) + 1 + np.arange(int(noise.sum()))
    h, c, v = metrics.homogeneity_completeness_v_measure(y, singles)
    out = {"ari": metrics.adjusted_rand_score(y, singles),
           "nmi": metrics.normalized_mutual_info_score(y, singles),
           "v": v, "homogeneity": h, "completeness": c,
           "clusters": float(len(set(labels[~noise].tolist()))),
           "noise": float(noise.mean())}
    if noise.any() and (~noise).sum() > 1:
        out["ari_clustered"] = metrics.adjusted_rand_score(y[~noise], labels[~noise])
        out["nmi_clustered"] = metrics.normalized_mutual_info_score(y[~noise], labels[~noise])
    return {k: float(v) for k, v in out.items()}


def _tfidf(texts: list[str]):
    from sklearn.feature_extraction.text import TfidfVectorizer

    from nlp.represent import prepare_text

    return TfidfVectorizer(analyzer="char", ngram_range=(2, 4), preprocessor=prepare_text,
                           sublinear_tf=True, min_df=2, dtype=np.float32).fit_transform(texts)


def _kmeans(x, seed: int) -> np.ndarray:
    from sklearn.cluster import KMeans

    return KMeans(K, n_init=1, random_state=seed).fit_predict(x)


def _unit(x: np.ndarray) -> np.ndarray:
    return (x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)).astype(np.float32)


def _bertopic(texts: list[str], raw: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """BERTopic defaults on precomputed vectors; (labels, labels reduced to 21 topics)."""
    from bertopic import BERTopic

    model = BERTopic()
    topics, _ = model.fit_transform(texts, embeddings=raw)
    free = np.asarray(topics, dtype=np.int64)
    try:
        model.reduce_topics(texts, nr_topics=K + 1)  # + the noise topic -1
        reduced = np.asarray(model.topics_, dtype=np.int64)
    except Exception:  # too few topics to reduce
        reduced = free
    return free, reduced


def run(options: dict) -> dict:
    from nlp import clustering as nc
    from nlp.corpus import dev_with_vectors, fold_of
    from nlp.pipeline import group
    from nlp.represent import CentredRepresentation, TopicRepresentation

    warnings.filterwarnings("ignore")
    n_rows = options.get("rows")
    n_seeds = int(options.get("seeds") or 3)
    corpus, raw = dev_with_vectors(n_rows)
    mean = nc.mean_for("multilingual-e5-small")
    print(f"{len(corpus):,} labelled dev rows, {len(set(corpus.labels.tolist()))} categories; "
          f"{n_seeds} seed(s), 70 % fit / 30 % report rows", flush=True)

    results: dict[str, list[dict]] = {}
    fit_seconds: list[float] = []

    def record(name: str, y: np.ndarray, fn: Callable[[], np.ndarray | tuple]) -> np.ndarray:
        with PeakMemory() as pm:
            labels = fn()
        s = scores(y, labels)
        s.update(seconds=pm.seconds, peak_mb=pm.mb)
        results.setdefault(name, []).append(s)
        print(f"  {name:42s} ARI {s['ari']:.3f} NMI {s['nmi']:.3f} clusters {s['clusters']:.0f} "
              f"noise {s['noise']:.2f} {pm.seconds:.1f} s {pm.mb:.0f} MB", flush=True)
        return labels

    for seed in range(n_seeds):
        fold = fold_of(list(corpus.ids), 10, seed=seed)
        fit = np.flatnonzero(fold < 7)
        rep = np.flatnonzero(fold >= 7)
        y = corpus.labels[rep]
        texts = [corpus.texts[i] for i in rep]
        x = raw[rep]
        print(f"seed {seed}: {len(fit):,} fit rows, {len(rep):,} report rows", flush=True)
        t0 = time.perf_counter()
        topic = TopicRepresentation.fit([corpus.texts[i] for i in fit], raw[fit], corpus.labels[fit],
                                        seed=seed)
        fit_seconds.append(time.perf_counter() - t0)
        print(f"  projection fitted in {fit_seconds[-1]:.0f} s", flush=True)
        e5_only = TopicRepresentation.fit([""] * len(fit), raw[fit], corpus.labels[fit],
                                          seed=seed, use_text=False)
        centred = CentredRepresentation(mean, "multilingual-e5-small")

        record("Siang K=21", y, lambda: group(texts, x, topic, n_clusters=K))
        record("char TF-IDF + k-means", y, lambda: _kmeans(_tfidf(texts), seed))

        def lsa() -> np.ndarray:
            from sklearn.decomposition import TruncatedSVD

            return _kmeans(_unit(TruncatedSVD(200, random_state=seed).fit_transform(_tfidf(texts))), seed)

        record("LSA (char TF-IDF, SVD 200) + k-means", y, lsa)
        bt: dict[str, np.ndarray] = {}

        def bertopic_free() -> np.ndarray:
            bt["free"], bt["reduced"] = _bertopic(texts, x)
            return bt["free"]

        record("BERTopic defaults (same E5 vectors)", y, bertopic_free)
        results.setdefault("BERTopic reduce_topics(21) (fewer if found fewer)", []).append(
            {**scores(y, bt["reduced"]), "seconds": float("nan"), "peak_mb": float("nan")})
        # -- variants ------------------------------------------------------
        record("E5 centred + k-means", y, lambda: _kmeans(centred.transform(texts, x), seed))
        record("E5 centred + average linkage", y, lambda: group(texts, x, centred, n_clusters=K))
        record("projection of E5 only + avg linkage", y,
               lambda: group([""] * len(texts), x, e5_only.with_beta(1.0), n_clusters=K))
        record("topic part only (beta 1) + avg linkage", y,
               lambda: group(texts, x, topic.with_beta(1.0), n_clusters=K))
        record("Siang vectors + k-means", y, lambda: _kmeans(topic.transform(texts, x), seed))
        if len(rep) <= 20_000:
            record("Siang K=21 exact (no sampling)", y,
                   lambda: nc.recluster(topic.transform(texts, x), n_clusters=K, exact_max=len(rep)))
        # The product's own granularity: each district clustered alone, at the
        # density of a real round: districts held out whole (a fifth, by a hash
        # of the name), projection fitted on the other districts' rows.
        names = sorted(set(corpus.districts.tolist()))
        held = [d for d, f in zip(names, fold_of(names, 5, seed=seed)) if f == 0]
        mask = np.isin(corpus.districts, held)
        d_fit, d_rep = np.flatnonzero(~mask), np.flatnonzero(mask)
        d_topic = TopicRepresentation.fit([corpus.texts[i] for i in d_fit], raw[d_fit],
                                          corpus.labels[d_fit], seed=seed)
        d_texts = [corpus.texts[i] for i in d_rep]
        labels = record(PER_DISTRICT, corpus.labels[d_rep],
                        lambda: group(d_texts, raw[d_rep], d_topic, districts=corpus.districts[d_rep]))
        results[PER_DISTRICT][-1]["rows"] = float(len(d_rep))
        results[PER_DISTRICT][-1]["districts"] = float(len(held))
        results[PER_DISTRICT][-1]["ideas_per_cluster"] = float((labels >= 0).sum() / max(labels.max() + 1, 1))
        gc.collect()

    # Speed of a full recluster of every cached idea with the shipped projection.
    from nlp.represent import for_embedder

    shipped = for_embedder("multilingual-e5-small")
    full: dict[str, dict] = {}
    for name, fn in (
        ("project all ideas (text + E5 -> grouping vectors)",
         lambda: shipped.transform(corpus.texts, raw)),
        ("recluster per district (the product)",
         lambda: group(corpus.texts, raw, shipped, districts=corpus.districts)),
        ("recluster whole city, K=21 (cluster-csv)", lambda: group(corpus.texts, raw, shipped, n_clusters=K)),
    ):
        with PeakMemory() as pm:
            out = fn()
        full[name] = {"seconds": pm.seconds, "peak_mb": pm.mb}
        if out.ndim == 1:
            full[name]["clusters"] = int(len(set(out[out >= 0].tolist())))
            full[name]["noise"] = float((out < 0).mean())
        print(f"  {name}: {pm.seconds:.1f} s, {pm.mb:.0f} MB", flush=True)

    order = list(results)
    rows = []
    figures: dict = {"rows": len(corpus), "seeds": n_seeds, "k": K,
                     "projection_fit_seconds": float(np.mean(fit_seconds)), "methods": {}}
    for name in order:
        runs = results[name]
        agg = {key: (float(np.nanmean([r[key] for r in runs])), float(np.nanstd([r[key] for r in runs])))
               for key in runs[0] if all(key in r for r in runs)}
        figures["methods"][name] = {k: {"mean": m, "sd": s} for k, (m, s) in agg.items()}
        rows.append([name, f"{agg['ari'][0]:.3f} ± {agg['ari'][1]:.3f}", f"{agg['nmi'][0]:.3f}",
                     f"{agg['v'][0]:.3f}", f"{agg['homogeneity'][0]:.3f}", f"{agg['clusters'][0]:.0f}",
                     f"{agg['noise'][0]:.2f}", f"{agg['seconds'][0]:.1f}", f"{agg['peak_mb'][0]:.0f}"])
    print()
    print(f"report rows per seed ~{int(len(corpus) * 0.3):,}; mean over {n_seeds} seed(s); "
          f"noise rows scored as singletons; projection fit {np.mean(fit_seconds):.0f} s (offline)")
    print_table(["method", "ARI", "NMI", "V", "homog.", "clusters", "noise", "s", "peak MB"], rows)
    if PER_DISTRICT in results:
        pd_ = figures["methods"][PER_DISTRICT]
        print(f"* on {pd_['districts']['mean']:.0f} districts held out whole (~{pd_['rows']['mean']:,.0f} rows, "
              f"~{pd_['rows']['mean'] / pd_['districts']['mean']:,.0f} per district; projection fitted on the "
              f"other districts), each clustered alone with the default cut: "
              f"~{pd_['ideas_per_cluster']['mean']:.0f} ideas per cluster. ARI/NMI across districts "
              "are low by design (one topic spans many districts); read homogeneity.")
    print()
    print(f"full recluster of all {len(corpus):,} cached ideas (shipped projection; "
          "targets < 60 s, < 4 GB):")
    print_table(["step", "s", "peak MB", "clusters", "noise"],
                [[k, f"{v['seconds']:.1f}", f"{v['peak_mb']:.0f}", v.get("clusters", ""),
                  f"{v['noise']:.2f}" if "noise" in v else ""] for k, v in full.items()])
    figures["full_recluster"] = full
    return finish("clustering", figures)
