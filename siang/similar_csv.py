"""``siang nlp similar-csv IN.csv OUT.csv``: the similar-idea rule on anyone's data, no database.

Reads ``id,text,district,created_at[,lat,lon]`` (UTF-8, header; times in
ISO 8601, a trailing ``Z`` allowed; empty lat/lon = no location), embeds the
texts with the product's embedder and grouping projection, replays the rows
in time order per district through the production rule
(:func:`nlp.similar_rule.replay`; a row with a location takes the "near
you" path, one without the text-only path) and writes, in input order,
``id,suggested_ids,scores,near``: the ids shown (best first, ``;``
separated), their cosines, and ``1`` when the "near you" path chose them.
"""

from __future__ import annotations

import csv
import json
import time
from pathlib import Path

import click

REQUIRED = ("id", "text", "district", "created_at")


def run(in_csv: Path, out_csv: Path, embedder, *, window_days: float = 30.0,
        rule=None) -> dict:
    """Replay a CSV through the similar-idea rule (module doc); returns a summary.

    Args:
        embedder: an :class:`nlp.embedder.Embedder` (its grouping projection
            comes from :func:`nlp.represent.for_embedder`).
        window_days: how many days back a row is compared.
        rule: a :class:`nlp.similar_rule.SimilarRule` (default: the
            embedder's production rule).

    Returns:
        ``rows``, ``with_location``, ``carousel`` (share shown a suggestion)
        per path, ``seconds``, ``rule``.

    Raises:
        click.ClickException: a missing column or a bad ``created_at``.
    """
    import numpy as np

    from nlp.represent import for_embedder
    from nlp.similar_rule import csv_degrees, csv_seconds, replay, rule_for

    t0 = time.perf_counter()
    with open(in_csv, encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in REQUIRED if c not in (reader.fieldnames or [])]
        if missing:
            raise click.ClickException(f"{in_csv}: missing column(s) {', '.join(missing)}")
        rows = list(reader)
    try:
        created = np.array([csv_seconds(r["created_at"]) for r in rows], dtype=np.float64)
    except ValueError as exc:
        raise click.ClickException(f"{in_csv}: bad created_at ({exc})") from None
    lats = np.array([csv_degrees(r.get("lat")) for r in rows])
    lons = np.array([csv_degrees(r.get("lon")) for r in rows])
    texts = [r["text"] or "" for r in rows]
    raw = embedder.encode(texts) if rows else np.zeros((0, 384), dtype=np.float32)
    grouping = for_embedder(embedder.name).transform(texts, raw) if rows else raw
    rule = (rule or rule_for(embedder.name)).with_values(window_days=window_days)
    got = replay(np.array([r["district"] for r in rows]), created, grouping, lats, lons, rule)
    out_csv.parent.mkdir(parents=True, exist_ok=True)
    with open(out_csv, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "suggested_ids", "scores", "near"])
        for r, s in zip(rows, got):
            w.writerow([r["id"], ";".join(rows[j]["id"] for j in s.shown),
                        ";".join(f"{x:.4f}" for x in s.scores), int(bool(s.shown) and s.near)])
    placed = ~(np.isnan(lats) | np.isnan(lons))   # as replay: both or no location
    shown = np.array([bool(s.shown) for s in got], dtype=bool)
    return {"rows": len(rows), "with_location": int(placed.sum()),
            "carousel_with_location": round(float(shown[placed].mean()), 4) if placed.any() else None,
            "carousel_without_location":
                round(float(shown[~placed].mean()), 4) if (~placed).any() else None,
            "seconds": round(time.perf_counter() - t0, 1),
            "rule": {"radius_m": rule.radius_m, "near_min": rule.near_min,
                     "topic_min": rule.topic_min, "window_days": rule.window_days}}


@click.command("similar-csv")
@click.argument("in_csv", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("out_csv", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--window-days", type=float, default=30.0, show_default=True,
              help="Compare each row with its district's rows of this many days before it.")
@click.option("--embedder", "kind", type=click.Choice(["e5", "fake"]), default="e5",
              show_default=True)
@click.option("--data-dir", type=click.Path(path_type=Path), default=Path("var"),
              show_default=True)
@click.option("--radius-m", type=float, default=None, help="Override the rule's radius.")
@click.option("--near-min", type=float, default=None, help="Override the cosine within the radius.")
@click.option("--topic-min", type=float, default=None,
              help="Override the text-only cosine (2 = no carousel without a location).")
def similar_csv(in_csv: Path, out_csv: Path, window_days: float, kind: str, data_dir: Path,
                radius_m: float | None, near_min: float | None, topic_min: float | None) -> None:
    """Replay IN_CSV through the similar-idea rule and write OUT_CSV; no database.

    IN_CSV has columns id,text,district,created_at[,lat,lon]; rows are replayed in time
    order per district, each against the earlier rows of the last --window-days.
    Writes OUT_CSV with id,suggested_ids,scores,near for every row (near = the
    place-first path was used) and prints a JSON summary line.
    """
    from nlp.embedder import load_embedder
    from nlp.similar_rule import rule_for

    embedder = load_embedder(kind, data_dir.absolute())
    rule = rule_for(embedder.name)
    overrides = {k: v for k, v in (("radius_m", radius_m), ("near_min", near_min),
                                   ("topic_min", topic_min)) if v is not None}
    if overrides.get("topic_min", 0) > 1:
        overrides["topic_min"] = None
    summary = run(in_csv, out_csv, embedder, window_days=window_days,
                  rule=rule.with_values(**overrides))
    click.echo(json.dumps(summary, ensure_ascii=False))
