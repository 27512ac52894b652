"""Staff settings of the similar-idea rule, per process and embedder (issue 15).

Without a row the process uses the calibrated rule (:data:`nlp.similar_rule.RULES`).
"""

from __future__ import annotations

import psycopg

from nlp.similar_rule import SimilarRule, rule_for


def get(conn: psycopg.Connection, process_id: int, model: str) -> SimilarRule:
    """The rule a process uses for an embedder's vectors (staff settings over the defaults).

    Raises:
        KeyError: an embedder without a calibrated rule (:func:`nlp.similar_rule.rule_for`).
    """
    base = rule_for(model)
    row = conn.execute(
        "SELECT radius_m, near_min, topic_min FROM similar_rule_settings "
        "WHERE process_id = %s AND model = %s", (process_id, model)).fetchone()
    if row is None:
        return base
    return base.with_values(radius_m=float(row[0]), near_min=float(row[1]),
                            topic_min=None if row[2] is None else float(row[2]))


def is_custom(conn: psycopg.Connection, process_id: int, model: str) -> bool:
    """True if staff changed the rule for this process and embedder."""
    return conn.execute("SELECT 1 FROM similar_rule_settings WHERE process_id = %s AND model = %s",
                        (process_id, model)).fetchone() is not None


def save(conn: psycopg.Connection, process_id: int, model: str, *, radius_m: float,
         near_min: float, topic_min: float | None, staff_id: int | None) -> None:
    """Store a process's rule (metres; cosines in [-1, 1]; ``topic_min`` None = no
    carousel without a location).

    Raises:
        ValueError: a value out of range (radius 10–5,000 m, cosines −1..1).
    """
    if not 10 <= radius_m <= 5000 or not -1 <= near_min <= 1 or \
            (topic_min is not None and not -1 <= topic_min <= 1):
        raise ValueError("similar-idea rule value out of range")
    conn.execute(
        """INSERT INTO similar_rule_settings (process_id, model, radius_m, near_min, topic_min,
                                              updated_by)
           VALUES (%s, %s, %s, %s, %s, %s)
           ON CONFLICT (process_id, model) DO UPDATE SET radius_m = EXCLUDED.radius_m,
               near_min = EXCLUDED.near_min, topic_min = EXCLUDED.topic_min,
               updated_by = EXCLUDED.updated_by, updated_at = now()""",
        (process_id, model, radius_m, near_min, topic_min, staff_id))


def reset(conn: psycopg.Connection, process_id: int, model: str) -> None:
    """Go back to the calibrated rule."""
    conn.execute("DELETE FROM similar_rule_settings WHERE process_id = %s AND model = %s",
                 (process_id, model))
