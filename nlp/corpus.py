"""The Traffy Fondue dev split and a resumable cache of its E5 vectors.

Used by the artefact script (``nlp/artefacts/make_representation.py``) and
the benchmarks (``siang bench clustering`` / ``similar``). Nothing here is
used by the product at run time.

The data (``../shared/data/traffy/dev.csv.gz``, 62,400 rows, columns
``id,text,category,district,...``) never enters the repository; the vectors
are cached under ``var/cache/`` (gitignored), in chunk files of
:data:`CHUNK` rows so that an interrupted run keeps what it finished.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
DEV_CSV = (REPO / ".." / "shared" / "data" / "traffy" / "dev.csv.gz").resolve()
CACHE_DIR = REPO / "var" / "cache"
#: Rows per cache chunk file.
CHUNK = 2000


@dataclass(frozen=True)
class Corpus:
    """Labelled rows, in a fixed order.

    Attributes:
        ids: ticket ids, (n,) str.
        texts: report texts, length n.
        labels: reporter categories ("" when missing), (n,) str.
        districts: district names, (n,) str.
        created: report times, ISO 8601 UTC strings (sortable), (n,) str.
    """

    ids: np.ndarray
    texts: list[str]
    labels: np.ndarray
    districts: np.ndarray
    created: np.ndarray

    def __len__(self) -> int:
        return len(self.texts)

    def take(self, idx: np.ndarray) -> "Corpus":
        """The rows at positions ``idx`` (int array), in that order."""
        return Corpus(self.ids[idx], [self.texts[i] for i in idx], self.labels[idx], self.districts[idx],
                      self.created[idx])


def load_dev(path: Path = DEV_CSV, labelled_only: bool = True) -> Corpus:
    """Read the dev CSV.

    Args:
        path: gzip (or plain) CSV with ``id,text,category,district``.
        labelled_only: drop rows with an empty category or empty text.

    Returns:
        A :class:`Corpus` in file order.

    Raises:
        FileNotFoundError: if ``path`` does not exist.
    """
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    ids, texts, labels, districts, created = [], [], [], [], []
    with opener(path, "rt", encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            text = (row.get("text") or "").strip()
            label = (row.get("category") or "").strip()
            if labelled_only and (not text or not label):
                continue
            ids.append(row["id"])
            texts.append(text)
            labels.append(label)
            districts.append(row.get("district") or "")
            created.append(row.get("created_at") or "")
    return Corpus(np.array(ids), texts, np.array(labels), np.array(districts), np.array(created))


def fold_of(ids: Sequence[str], folds: int, seed: int = 0) -> np.ndarray:
    """Deterministic fold number in ``[0, folds)`` for each id.

    SHA-1 of ``"{seed}:{id}"``: stable across runs, machines and row order,
    so "fit" and "report" rows never mix whatever subset is loaded.

    Returns:
        int array (n,).
    """
    out = np.empty(len(ids), dtype=np.int64)
    for i, x in enumerate(ids):
        h = hashlib.sha1(f"{seed}:{x}".encode()).digest()
        out[i] = int.from_bytes(h[:8], "big") % folds
    return out


def _shuffled_order(ids: Sequence[str]) -> np.ndarray:
    """Positions of ``ids`` in a fixed pseudo-random order (by hash of id)."""
    keys = [hashlib.sha1(f"order:{x}".encode()).hexdigest() for x in ids]
    return np.argsort(np.array(keys), kind="stable")


def cache_folder(embedder_name: str, max_seq_length: int | None, root: Path = CACHE_DIR) -> Path:
    """Folder holding cached vectors for one embedder configuration."""
    tag = embedder_name if max_seq_length is None else f"{embedder_name}-{max_seq_length}"
    return Path(root) / f"dev-{tag}"


def read_cache(folder: Path) -> dict[str, np.ndarray]:
    """All cached vectors in ``folder`` as {id: (dim,) float32}."""
    out: dict[str, np.ndarray] = {}
    for f in sorted(Path(folder).glob("chunk-*.npz")):
        try:
            with np.load(f) as z:
                for i, v in zip(z["ids"], z["vectors"]):
                    out[str(i)] = v
        except (OSError, ValueError, KeyError):
            continue  # a chunk being written; skipped
    return out


def embed_cached(
    ids: Sequence[str],
    texts: Sequence[str],
    encode: Callable[[list[str]], np.ndarray] | None,
    folder: Path,
    progress: bool = True,
    chunk: int = CHUNK,
) -> np.ndarray:
    """Vectors for ``texts``, read from ``folder`` or computed and cached.

    Missing rows are embedded in a fixed pseudo-random order, :data:`CHUNK`
    at a time, each chunk written atomically as ``chunk-NNNNN.npz`` (ids,
    vectors), so partial progress survives and any prefix of the work is a
    random sample.

    Args:
        ids: n unique ids.
        texts: n texts.
        encode: texts -> (k, dim) float32 unit rows; may be ``None`` when
            everything is cached.
        folder: cache folder (created).
        progress: show a tqdm bar on stderr.
        chunk: rows per chunk file.

    Returns:
        float32 (n, dim), in the order of ``ids``.

    Raises:
        RuntimeError: if rows are missing and ``encode`` is ``None``.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    have = read_cache(folder)
    missing = [i for i, x in enumerate(ids) if x not in have]
    if missing:
        if encode is None:
            raise RuntimeError(f"{len(missing)} rows are not cached in {folder}")
        order = [missing[j] for j in _shuffled_order([ids[i] for i in missing])]
        from tqdm import tqdm

        bar = tqdm(total=len(order), desc="embedding", unit="text", disable=not progress, file=sys.stderr)
        n_done = len(list(folder.glob("chunk-*.npz")))
        for start in range(0, len(order), chunk):
            part = order[start : start + chunk]
            vecs = np.asarray(encode([texts[i] for i in part]), dtype=np.float32)
            part_ids = np.array([ids[i] for i in part])
            name = folder / f"chunk-{n_done:05d}-{os.getpid()}.npz"
            tmp = name.with_suffix(".tmp.npz")
            np.savez(tmp, ids=part_ids, vectors=vecs)
            os.replace(tmp, name)
            n_done += 1
            for x, v in zip(part_ids, vecs):
                have[str(x)] = v
            bar.update(len(part))
        bar.close()
    return np.stack([have[x] for x in ids]).astype(np.float32, copy=False)


def dev_with_vectors(rows: int | None = None, *, path: Path = DEV_CSV, data_dir: Path | None = None,
                     progress: bool = True) -> tuple[Corpus, np.ndarray]:
    """The dev rows and their raw E5 vectors (``max_seq_length`` 128), from the cache.

    Rows missing from the cache are embedded with the production embedder
    (loaded only then; progress bar on stderr) and cached.

    Args:
        rows: use only this many rows: the first ones in the fixed
            pseudo-random order the cache is filled in (so a partly filled
            cache is used first); ``None`` for all.
        path: the dev CSV.
        data_dir: folder holding ``models/e5-small`` (default
            ``$SIANG_DATA_DIR`` or ``var``).

    Returns:
        (corpus, float32 (n, 384) unit vectors), rows in file order.
    """
    corpus = load_dev(path)
    if rows is not None and rows < len(corpus):
        corpus = corpus.take(np.sort(_shuffled_order(list(corpus.ids))[:rows]))
    state: dict = {}

    def encode(texts: list[str]) -> np.ndarray:
        if "embedder" not in state:
            from nlp.embedder import load_embedder

            root = data_dir or Path(os.environ.get("SIANG_DATA_DIR", REPO / "var"))
            state["embedder"] = load_embedder("e5", Path(root), max_seq_length=128)
        return state["embedder"].encode(texts, batch_size=32)

    folder = cache_folder("multilingual-e5-small", 128)
    return corpus, embed_cached(list(corpus.ids), corpus.texts, encode, folder, progress=progress)


def main(argv: list[str] | None = None) -> int:
    """Fill the cache for the whole dev split (``python -m nlp.corpus``)."""
    import argparse

    ap = argparse.ArgumentParser(description="Embed the dev split into var/cache (resumable).")
    ap.add_argument("--dev", type=Path, default=DEV_CSV)
    ap.add_argument("--data-dir", type=Path, default=REPO / "var" / "test-models")
    ap.add_argument("--max-seq-length", type=int, default=128)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--batch-size", type=int, default=32)
    args = ap.parse_args(argv)

    from nlp.embedder import load_embedder

    corpus = load_dev(args.dev)
    emb = load_embedder("e5", args.data_dir, max_seq_length=args.max_seq_length, threads=args.threads)
    folder = cache_folder(emb.name, args.max_seq_length)
    t0 = time.perf_counter()
    vecs = embed_cached(
        list(corpus.ids), corpus.texts, lambda t: emb.encode(t, batch_size=args.batch_size), folder
    )
    print(f"{len(vecs)} vectors in {folder} ({time.perf_counter() - t0:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
