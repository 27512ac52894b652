"""Ideas residents send, and their embeddings."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import psycopg
from psycopg.rows import class_row

from nlp.centroids import centre, remove_from_centroid
from nlp.represent import GROUPING_DIM
from pb.vectors import as_array, register as register_vectors

MAX_IDEA_CHARS = 2000


@dataclass
class Idea:
    id: int
    process_id: int
    resident_id: int | None
    district: str
    text: str
    status: str
    created_at: dt.datetime


def insert(conn: psycopg.Connection, *, process_id: int, resident_id: int | None, district: str,
           text: str, normalised_text: str, webhook_event_id: str | None,
           source: str = "line") -> tuple[int, bool]:
    """Store an idea once per webhook event, with the resident's community if it is in
    the idea's district (``community_members``, issue 18).

    Returns:
        (idea id, True if it was created now; False if this event already made it).
    """
    row = conn.execute(
        """
        INSERT INTO ideas (process_id, resident_id, district, text, normalised_text,
                           webhook_event_id, source, community_id)
        VALUES (%(p)s, %(r)s, %(d)s, %(t)s, %(n)s, %(e)s, %(s)s, (SELECT cm.community_id
                FROM community_members cm JOIN communities c ON c.id = cm.community_id
                WHERE cm.resident_id = %(r)s AND c.district = %(d)s))
        ON CONFLICT (webhook_event_id) DO NOTHING
        RETURNING id
        """,
        {"p": process_id, "r": resident_id, "d": district, "t": text, "n": normalised_text,
         "e": webhook_event_id, "s": source},
    ).fetchone()
    if row is not None:
        return int(row[0]), True
    existing = conn.execute("SELECT id FROM ideas WHERE webhook_event_id = %s",
                            (webhook_event_id,)).fetchone()
    assert existing is not None
    return int(existing[0]), False


def store_embedding(conn: psycopg.Connection, idea_id: int, model: str, vector: np.ndarray,
                    grouping: np.ndarray | None = None) -> None:
    """Store an idea's embedding once: the raw vector and its grouping vector.

    Args:
        vector: the embedder's raw vector (384 float32, L2-normalised, uncentred).
        grouping: the idea's grouping vector (384 float32, unit;
            ``nlp.represent``: what clustering and the similar-idea search
            compare). ``None`` stores the raw vector as its own grouping
            vector, which is right only for representations that do not
            change unit vectors (the fake embedder's).
    """
    register_vectors(conn)
    raw = np.asarray(vector, dtype=np.float32)
    conn.execute(
        """INSERT INTO idea_embeddings (idea_id, model, embedding, grouping) VALUES (%s, %s, %s, %s)
           ON CONFLICT (idea_id) DO NOTHING""",
        (idea_id, model, raw, raw if grouping is None else np.asarray(grouping, dtype=np.float32)),
    )


def get(conn: psycopg.Connection, idea_id: int) -> Idea | None:
    with conn.cursor(row_factory=class_row(Idea)) as cur:
        cur.execute("SELECT id, process_id, resident_id, district, text, status, created_at "
                    "FROM ideas WHERE id = %s", (idea_id,))
        return cur.fetchone()


def embeddings_for(conn: psycopg.Connection, process_id: int, *, district: str | None = None
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Active ideas' grouping vectors in a process (optionally one district).

    Returns:
        (ids (n,) int64, grouping vectors (n, 384) float32), ordered by idea
        id; ideas without a grouping vector yet are left out.
    """
    register_vectors(conn)
    rows = conn.execute(
        """SELECT i.id, e.grouping FROM ideas i JOIN idea_embeddings e ON e.idea_id = i.id
            WHERE i.process_id = %s AND i.status = 'active' AND e.grouping IS NOT NULL
              AND (%s::text IS NULL OR i.district = %s)
            ORDER BY i.id""",
        (process_id, district, district),
    ).fetchall()
    if not rows:
        return np.zeros(0, dtype=np.int64), np.zeros((0, GROUPING_DIM), dtype=np.float32)
    ids = np.array([r[0] for r in rows], dtype=np.int64)
    return ids, np.stack([as_array(r[1]) for r in rows])


def embeddings_to_regroup(conn: psycopg.Connection, model: str, *, after_id: int = 0,
                          limit: int = 2000) -> list[tuple[int, str, np.ndarray]]:
    """Stored embeddings of one embedder, in idea id order, for recomputing grouping vectors.

    Returns:
        Up to ``limit`` (idea id, text, raw vector (384,) float32) with id > ``after_id``.
    """
    register_vectors(conn)
    rows = conn.execute(
        """SELECT i.id, i.text, e.embedding FROM ideas i JOIN idea_embeddings e ON e.idea_id = i.id
            WHERE e.model = %s AND i.id > %s ORDER BY i.id LIMIT %s""",
        (model, after_id, limit)).fetchall()
    return [(int(r[0]), r[1], as_array(r[2])) for r in rows]


def set_groupings(conn: psycopg.Connection, idea_ids: list[int], vectors: np.ndarray) -> None:
    """Replace ideas' grouping vectors ((n, 384) float32 unit rows, ``nlp.represent``)."""
    register_vectors(conn)
    with conn.cursor() as cur:
        cur.executemany("UPDATE idea_embeddings SET grouping = %s WHERE idea_id = %s",
                        [(np.asarray(v, dtype=np.float32), int(i)) for i, v in zip(idea_ids, vectors)])


def count(conn: psycopg.Connection, *, embedded: bool = False) -> int:
    sql = ("SELECT count(*) FROM ideas i JOIN idea_embeddings e ON e.idea_id = i.id"
           if embedded else "SELECT count(*) FROM ideas")
    row = conn.execute(sql).fetchone()
    return int(row[0]) if row else 0


# --- the resident's side (issue 4): similar ideas, own ideas, edits ----------

#: Statuses a resident may still edit or withdraw (while the process collects ideas).
EDITABLE_STATUSES = ("active", "flagged")


@dataclass
class SimilarIdea:
    """An active idea near a new one; ``similarity`` is a cosine in centred space."""

    id: int
    text: str
    cluster_id: int | None
    similarity: float


def similar_in_district(conn: psycopg.Connection, *, process_id: int, district: str,
                        model: str, grouping: np.ndarray, limit: int = 20,
                        exclude_resident: int | None = None) -> list[SimilarIdea]:
    """The active ideas of one district most similar to a new idea, best first.

    Similarity is the cosine between *grouping* vectors (``nlp.represent``;
    column ``idea_embeddings.grouping``, issue 9). They are already centred
    unit vectors, so the cosine is their dot product.

    The search is exact over the district's ideas (a materialised subset
    reached through ``ideas_process_district``), not through the HNSW index:
    with pgvector 0.6 an HNSW scan returns its ``ef_search`` (40) nearest
    neighbours city-wide *before* the district filter, so with 50 districts a
    query would see about one candidate; and HNSW orders by raw cosine, where
    E5 crowds everything into 0.85–0.93. One district holds a few thousand
    ideas even in a city-wide round of 100k, which an exact scan reads in
    milliseconds.

    Args:
        grouping: the new idea's grouping vector, (GROUPING_DIM,) float32.
        model: embedder name; only vectors of the same model are compared.
        limit: how many to return.
        exclude_resident: leave out this resident's own ideas.

    Returns:
        Up to ``limit`` ideas with their cluster (None if not clustered yet).
    """
    register_vectors(conn)
    query = np.asarray(grouping, dtype=np.float32)
    query = centre(query, np.zeros_like(query))   # a zero mean only re-normalises
    with conn.cursor(row_factory=class_row(SimilarIdea)) as cur:
        cur.execute(
            """
            WITH d AS MATERIALIZED (
                SELECT i.id, i.text, e.grouping AS embedding FROM ideas i
                  JOIN idea_embeddings e ON e.idea_id = i.id
                 WHERE i.process_id = %(p)s AND i.district = %(d)s AND i.status = 'active'
                   AND e.model = %(model)s AND e.grouping IS NOT NULL
                   AND (%(r)s::bigint IS NULL OR i.resident_id IS DISTINCT FROM %(r)s)
            )
            SELECT d.id, d.text, m.cluster_id, -(d.embedding <#> %(q)s) AS similarity
              FROM d LEFT JOIN cluster_members m ON m.idea_id = d.id
             ORDER BY similarity DESC, d.id LIMIT %(k)s
            """,
            {"p": process_id, "d": district, "model": model, "r": exclude_resident,
             "q": query, "k": limit})
        return cur.fetchall()


@dataclass
class NearIdea:
    """An active located idea near a new idea's place; ``similarity`` as in :class:`SimilarIdea`."""

    id: int
    text: str
    cluster_id: int | None
    similarity: float
    latitude: float
    longitude: float


def similar_near(conn: psycopg.Connection, *, process_id: int, model: str, grouping: np.ndarray,
                 latitude: float, longitude: float, radius_m: float, limit: int = 50,
                 exclude_resident: int | None = None) -> list[tuple[NearIdea, float]]:
    """The process's active located ideas within ``radius_m`` of a place, most similar first.

    Any district: a place near a district line is near ideas filed in the
    next district. Reached through the ``ideas_process_place`` index (a
    latitude band, migration 0015), then the exact distance
    (:func:`nlp.similar_rule.distances_m`).

    Args:
        grouping: the new idea's grouping vector, (GROUPING_DIM,) float32.
        latitude, longitude: the new idea's place, WGS84 degrees.
        radius_m: metres.
        limit: candidates read from the box (best cosine first).

    Returns:
        [(idea, metres)] within the radius, best cosine first.
    """
    from nlp.similar_rule import degrees_box, distances_m

    register_vectors(conn)
    dlat, dlon = degrees_box(latitude, radius_m)
    query = np.asarray(grouping, dtype=np.float32)
    query = centre(query, np.zeros_like(query))
    with conn.cursor(row_factory=class_row(NearIdea)) as cur:
        cur.execute(
            """
            WITH d AS MATERIALIZED (
                SELECT i.id, i.text, i.latitude, i.longitude, e.grouping FROM ideas i
                  JOIN idea_embeddings e ON e.idea_id = i.id
                 WHERE i.process_id = %(p)s AND i.status = 'active'
                   AND i.latitude BETWEEN %(lat0)s AND %(lat1)s
                   AND i.longitude BETWEEN %(lon0)s AND %(lon1)s
                   AND e.model = %(model)s AND e.grouping IS NOT NULL
                   AND (%(r)s::bigint IS NULL OR i.resident_id IS DISTINCT FROM %(r)s)
            )
            SELECT d.id, d.text, m.cluster_id, -(d.grouping <#> %(q)s) AS similarity,
                   d.latitude, d.longitude
              FROM d LEFT JOIN cluster_members m ON m.idea_id = d.id
             ORDER BY similarity DESC, d.id LIMIT %(k)s
            """,
            {"p": process_id, "model": model, "r": exclude_resident, "q": query, "k": limit,
             "lat0": latitude - dlat, "lat1": latitude + dlat,
             "lon0": longitude - dlon, "lon1": longitude + dlon})
        rows = cur.fetchall()
    if not rows:
        return []
    metres = distances_m(latitude, longitude, np.array([r.latitude for r in rows]),
                         np.array([r.longitude for r in rows]))
    return [(r, float(d)) for r, d in zip(rows, metres) if d <= radius_m]


@dataclass
class ResidentIdea:
    """One of a resident's ideas as "my ideas" shows it."""

    id: int
    process_id: int
    text: str
    status: str
    district: str
    created_at: dt.datetime
    edited_at: dt.datetime | None
    cluster_id: int | None
    cluster_size: int | None
    photos: int
    has_location: bool
    stage: str


def of_resident(conn: psycopg.Connection, resident_id: int, *, limit: int = 50,
                include_withdrawn: bool = False) -> list[ResidentIdea]:
    """A resident's ideas, newest first, with their cluster and process stage."""
    with conn.cursor(row_factory=class_row(ResidentIdea)) as cur:
        cur.execute(
            """SELECT i.id, i.process_id, i.text, i.status, i.district, i.created_at, i.edited_at,
                      m.cluster_id, c.size AS cluster_size,
                      (SELECT count(*) FROM idea_photos p WHERE p.idea_id = i.id)::int AS photos,
                      i.latitude IS NOT NULL AS has_location, pr.stage
                 FROM ideas i
                 JOIN processes pr ON pr.id = i.process_id
                 LEFT JOIN cluster_members m ON m.idea_id = i.id
                 LEFT JOIN clusters c ON c.id = m.cluster_id
                WHERE i.resident_id = %s AND (%s OR i.status <> 'withdrawn')
                ORDER BY i.created_at DESC, i.id DESC LIMIT %s""",
            (resident_id, include_withdrawn, limit))
        return cur.fetchall()


def count_of_resident(conn: psycopg.Connection, resident_id: int) -> dict[str, int]:
    """{status: number of ideas} of one resident."""
    rows = conn.execute("SELECT status, count(*) FROM ideas WHERE resident_id = %s GROUP BY 1",
                        (resident_id,)).fetchall()
    return {status: int(n) for status, n in rows}


def editable(conn: psycopg.Connection, idea_id: int, resident_id: int) -> Idea | None:
    """The idea, row-locked, if this resident may still edit or withdraw it.

    That is: it is theirs, it is active or flagged, and its process is still
    in the idea stage (BMA PB stage 1); otherwise None.
    """
    with conn.cursor(row_factory=class_row(Idea)) as cur:
        cur.execute(
            """SELECT i.id, i.process_id, i.resident_id, i.district, i.text, i.status, i.created_at
                 FROM ideas i JOIN processes p ON p.id = i.process_id
                WHERE i.id = %s AND i.resident_id = %s AND i.status = ANY(%s)
                  AND p.stage = 'ideas'
                  FOR UPDATE OF i""",
            (idea_id, resident_id, list(EDITABLE_STATUSES)))
        return cur.fetchone()


def latest_of_resident(conn: psycopg.Connection, resident_id: int, within_s: float
                       ) -> Idea | None:
    """The resident's newest editable idea sent in the last ``within_s`` seconds, or None."""
    with conn.cursor(row_factory=class_row(Idea)) as cur:
        cur.execute(
            """SELECT i.id, i.process_id, i.resident_id, i.district, i.text, i.status, i.created_at
                 FROM ideas i JOIN processes p ON p.id = i.process_id
                WHERE i.resident_id = %s AND i.status = ANY(%s) AND p.stage = 'ideas'
                  AND i.created_at > now() - make_interval(secs => %s)
                ORDER BY i.created_at DESC, i.id DESC LIMIT 1""",
            (resident_id, list(EDITABLE_STATUSES), within_s))
        return cur.fetchone()


def same_text_of_resident(conn: psycopg.Connection, resident_id: int, process_id: int,
                          normalised_text: str) -> int | None:
    """Id of this resident's live idea with exactly this normalised text, if any."""
    row = conn.execute(
        """SELECT id FROM ideas WHERE resident_id = %s AND process_id = %s
              AND normalised_text = %s AND status <> 'withdrawn' ORDER BY id LIMIT 1""",
        (resident_id, process_id, normalised_text)).fetchone()
    return int(row[0]) if row else None


def update_text(conn: psycopg.Connection, idea_id: int, text: str, normalised_text: str) -> None:
    """Replace an idea's text (an edit by its author); its embedding is dropped for re-embedding."""
    conn.execute("UPDATE ideas SET text = %s, normalised_text = %s, edited_at = now() WHERE id = %s",
                 (text, normalised_text, idea_id))
    conn.execute("DELETE FROM idea_embeddings WHERE idea_id = %s", (idea_id,))


def set_status(conn: psycopg.Connection, idea_id: int, status: str) -> None:
    conn.execute("UPDATE ideas SET status = %s WHERE id = %s", (status, idea_id))


def set_location(conn: psycopg.Connection, idea_id: int, latitude: float, longitude: float) -> None:
    """Where the idea is (WGS84 degrees, from a LINE location message)."""
    conn.execute("UPDATE ideas SET latitude = %s, longitude = %s WHERE id = %s",
                 (latitude, longitude, idea_id))


def detach_from_cluster(conn: psycopg.Connection, idea_id: int) -> int | None:
    """Take an idea out of its cluster (withdrawn, edited, erased or flagged).

    The cluster's size drops by one and its centroid (a running mean of
    centred unit vectors) loses the idea's vector exactly:
    c' = (n·c − v) / (n − 1); a cluster left empty loses its centroid, so no
    vector of an erased idea survives in it. Keywords are refreshed later
    (``updated_at`` moves).

    Returns:
        The cluster id it left, or None if it had none.
    """
    register_vectors(conn)
    row = conn.execute(
        """SELECT m.cluster_id, c.size, c.centroid, e.grouping
             FROM cluster_members m JOIN clusters c ON c.id = m.cluster_id
             LEFT JOIN idea_embeddings e ON e.idea_id = m.idea_id
            WHERE m.idea_id = %s FOR UPDATE OF c""", (idea_id,)).fetchone()
    if row is None:
        return None
    cluster_id, size, centroid, embedding = row
    conn.execute("DELETE FROM cluster_members WHERE idea_id = %s", (idea_id,))
    if size <= 1 or centroid is None or embedding is None:
        new_centroid = None if size <= 1 else centroid
    else:
        vector = as_array(embedding)   # a grouping vector: centred already, re-normalised
        new_centroid = remove_from_centroid(as_array(centroid), size,
                                            centre(vector, np.zeros_like(vector)))
    conn.execute(
        """UPDATE clusters SET size = greatest(size - 1, 0), centroid = %s,
                  medoid_idea_id = NULLIF(medoid_idea_id, %s),
                  updated_at = now(), version = version + 1 WHERE id = %s""",
        (new_centroid, idea_id, cluster_id))
    return int(cluster_id)


@dataclass
class ProjectStatus:
    """What became of an idea in stages 2–4 (issue 5's projects, issue 7's reports)."""

    project_id: int
    title: str
    state: str
    percent: int | None


def project_statuses(conn: psycopg.Connection, idea_ids: list[int]) -> dict[int, ProjectStatus]:
    """The project each idea went into, directly or through its cluster, if any.

    Directly: ``project_ideas``; through its cluster: ``project_clusters``; the
    percent is the project's latest progress report's (None before one). When
    an idea is in several projects, the one furthest along wins (done > in
    progress > selected > ...).
    """
    if not idea_ids:
        return {}
    percent_sql = ("(SELECT r.percent::int FROM progress_reports r WHERE r.project_id = p.id "
                   "ORDER BY r.number DESC LIMIT 1)")
    rows = conn.execute(
        f"""SELECT DISTINCT ON (x.idea_id) x.idea_id, p.id, p.title, p.state, {percent_sql}
              FROM (SELECT pi.idea_id, pi.project_id FROM project_ideas pi
                     WHERE pi.idea_id = ANY(%(ids)s)
                    UNION
                    SELECT m.idea_id, pc.project_id FROM cluster_members m
                      JOIN project_clusters pc ON pc.cluster_id = m.cluster_id
                     WHERE m.idea_id = ANY(%(ids)s)) x
              JOIN projects p ON p.id = x.project_id
             ORDER BY x.idea_id,
                      array_position(ARRAY['done', 'in_progress', 'selected', 'ready_for_vote',
                                           'not_selected', 'draft']::text[], p.state::text),
                      p.id""",
        {"ids": list(idea_ids)}).fetchall()
    return {int(r[0]): ProjectStatus(int(r[1]), r[2], r[3], r[4]) for r in rows}


def has_location(conn: psycopg.Connection, idea_id: int) -> bool:
    row = conn.execute("SELECT latitude IS NOT NULL FROM ideas WHERE id = %s", (idea_id,)).fetchone()
    return bool(row and row[0])
