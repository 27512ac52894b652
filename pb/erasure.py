"""PDPA: withdrawing consent and erasing a resident's data, recorded without personal data.

Thailand's Personal Data Protection Act (B.E. 2562) lets a data subject
withdraw consent at any time (section 19) and ask for erasure (section 33).
Ideas and votes can reveal political opinions, so Siang treats them as
sensitive. Two operations, each one transaction (the caller's):

* :func:`withdraw_consent`: the resident goes back to being a plain
  follower; ideas and supports they sent stay, unlinked from them.
* :func:`erase`: the LINE user id, district and state go; their ideas are
  deleted (text, embeddings, photos, cluster membership) or kept anonymously,
  as the resident chooses; their supports go (or stay as anonymous counts),
  ballots are unlinked, messages sent to them and the user id in stored
  webhook events are removed. An ``erasures`` row records that it happened
  and how much, with no resident id or text, and the erasure ledger
  (:mod:`pb.erasure_ledger`) a keyed hash of the LINE user id, so that a
  restore of an older backup erases them again.
"""

from __future__ import annotations

import dataclasses

import psycopg

from pb import (communities, council_questions, erasure_ledger, hearing_answers, ideas, photos,
                residents, supports)

MODES = ("delete", "anonymise")


@dataclasses.dataclass(frozen=True)
class ErasureCounts:
    ideas: int
    supports: int
    photos: int
    ballots_unlinked: int


def _unlink_ballots(conn: psycopg.Connection, resident_id: int) -> int:
    """Unlink the resident from their ballots (the vote still counts): ``resident_id``
    becomes NULL. Returns the ballots unlinked."""
    # Picks in progress are not a vote yet: they go.
    conn.execute("DELETE FROM ballot_drafts WHERE resident_id = %s", (resident_id,))
    return max(conn.execute("UPDATE ballots SET resident_id = NULL WHERE resident_id = %s",
                            (resident_id,)).rowcount, 0)


def ballots_of(conn: psycopg.Connection, resident_id: int) -> int:
    """How many ballots the resident cast (in every voting round)."""
    row = conn.execute("SELECT count(*) FROM ballots WHERE resident_id = %s",
                       (resident_id,)).fetchone()
    return int(row[0]) if row else 0


def _anonymise_ideas(conn: psycopg.Connection, resident_id: int) -> int:
    photos.unlink_resident(conn, resident_id)
    return max(conn.execute(
        "UPDATE ideas SET resident_id = NULL, webhook_event_id = NULL WHERE resident_id = %s",
        (resident_id,)).rowcount, 0)


def _delete_ideas(conn: psycopg.Connection, resident_id: int) -> tuple[int, int]:
    """Delete the resident's ideas and everything derived from them; (ideas, photos)."""
    idea_ids = [int(r[0]) for r in conn.execute(
        "SELECT id FROM ideas WHERE resident_id = %s ORDER BY id FOR UPDATE",
        (resident_id,)).fetchall()]
    supports.rehome(conn, idea_ids)
    for idea_id in idea_ids:
        ideas.detach_from_cluster(conn, idea_id)
    n_photos = photos.count_of_resident(conn, resident_id)
    # Cascades: idea_embeddings, cluster_members, idea_photos, idea_flags, project links.
    conn.execute("DELETE FROM ideas WHERE id = ANY(%s)", (idea_ids,))
    photos.delete_held(conn, resident_id)
    return len(idea_ids), n_photos


def withdraw_consent(conn: psycopg.Connection, resident_id: int) -> int:
    """Consent withdrawn: unlink ideas, supports and photos; clear district and state.

    Returns:
        How many ideas stay, anonymously.
    """
    n = _anonymise_ideas(conn, resident_id)
    supports.anonymise_of_resident(conn, resident_id)
    photos.delete_held(conn, resident_id)
    _unlink_ballots(conn, resident_id)
    council_questions.erase_resident(conn, resident_id, "anonymise")   # issue 18
    hearing_answers.erase_resident(conn, resident_id, "anonymise")     # issue 18: hearings
    communities.forget_resident(conn, resident_id)                 # issue 18: community
    residents.withdraw_consent(conn, resident_id)
    return n


def erase(conn: psycopg.Connection, resident_id: int, line_user_id: str | None,
          mode: str, *, ledger_key: bytes | None = None) -> ErasureCounts:
    """Erase a resident (PDPA section 33) and record it without personal data.

    Args:
        line_user_id: the resident's LINE user id, to scrub stored webhook events.
        mode: "delete" (their ideas go) or "anonymise" (their ideas stay, unlinked).
        ledger_key: the erasure ledger key (:func:`pb.erasure_ledger.load_key`);
            with it and a LINE user id, the erasure enters the ledger in this
            transaction, so a restore of an older backup re-applies it. None
            when re-applying a ledger entry (it is there already).

    Raises:
        ValueError: unknown mode.
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    if mode == "delete":
        n_ideas, n_photos = _delete_ideas(conn, resident_id)
        n_supports = supports.remove_of_resident(conn, resident_id)
    else:
        n_photos = photos.delete_held(conn, resident_id)
        n_ideas = _anonymise_ideas(conn, resident_id)
        n_supports = supports.anonymise_of_resident(conn, resident_id)
    n_ballots = _unlink_ballots(conn, resident_id)
    council_questions.erase_resident(conn, resident_id, mode)     # issue 18: council questions
    hearing_answers.erase_resident(conn, resident_id, mode)       # issue 18: hearing answers
    # Messages Siang sent them (they may quote their ideas) and their user id in the event log.
    conn.execute("DELETE FROM outbox WHERE resident_id = %s AND state IN ('sent', 'failed')",
                 (resident_id,))
    if line_user_id:
        conn.execute("UPDATE outbox SET recipients = array_remove(recipients, %s) "
                     "WHERE %s = ANY(recipients)", (line_user_id, line_user_id))
        conn.execute("""UPDATE outbox SET state = 'failed', error = 'recipient erased'
                         WHERE recipients = '{}' AND kind IN ('push', 'multicast')
                           AND state IN ('pending', 'sending')""")
        conn.execute(
            """UPDATE webhook_events SET payload = jsonb_set(payload, '{source}', '{"type": "user"}')
                WHERE payload -> 'source' ->> 'userId' = %s AND processed_at IS NOT NULL""",
            (line_user_id,))
        # Pending events keep the user id until they are handled, so a second tap of
        # the erase button is still answered ("already erased") and then scrubbed.
    communities.forget_resident(conn, resident_id)                 # issue 18: community
    residents.erase(conn, resident_id)
    counts = ErasureCounts(n_ideas, n_supports, n_photos, n_ballots)
    conn.execute(
        """INSERT INTO erasures (ideas_mode, ideas, supports, photos, ballots_unlinked)
           VALUES (%s, %s, %s, %s, %s)""",
        (mode, counts.ideas, counts.supports, counts.photos, counts.ballots_unlinked))
    if ledger_key is not None and line_user_id:
        erasure_ledger.record(conn, erasure_ledger.subject_of(ledger_key, line_user_id), mode)
    return counts
