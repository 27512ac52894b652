"""The invariants of a simulated cycle, checked at the end from the database and the
emulator's call record. Each returns a :class:`Check`; a failed one fails the run."""

from __future__ import annotations

import json
import tempfile
from collections import Counter, defaultdict
from dataclasses import dataclass, field

import psycopg



@dataclass
class Check:
    name: str
    ok: bool
    detail: str = ""
    figures: dict = field(default_factory=dict)


def _residents(conn: psycopg.Connection) -> dict[str, int]:
    return dict(conn.execute("SELECT line_user_id, id FROM residents").fetchall())


def ideas_once(conn, intents) -> Check:
    """Every idea a resident sent as new is stored once: per resident, stored == meant."""
    ids = _residents(conn)
    stored = Counter(dict(conn.execute(
        "SELECT resident_id, count(*) FROM ideas WHERE resident_id IS NOT NULL GROUP BY 1").fetchall()))
    lost = dup = sent = 0
    for it in intents:
        have = stored.get(ids.get(it.user_id), 0)
        sent += it.new_ideas
        lost += max(0, it.new_ideas - have)
        dup += max(0, have - it.new_ideas)
    total = sum(stored.values())
    return Check("every idea sent is stored once", lost == 0 and dup == 0,
                 f"{sent} meant, {total} stored, {lost} lost, {dup} duplicated",
                 {"ideas_sent": sum(len(i.ideas) for i in intents), "ideas_stored": total,
                  "lost": lost, "duplicated": dup})


def supports_once(conn, intents) -> Check:
    """Every support tapped is stored once: per resident, the ideas supported are those meant."""
    ids = _residents(conn)
    rows = conn.execute("SELECT resident_id, idea_id, count(*) FROM supports "
                        "WHERE idea_id IS NOT NULL GROUP BY 1, 2").fetchall()
    have: dict[int, dict[int, int]] = defaultdict(dict)
    for rid, idea_id, n in rows:
        have[rid][idea_id] = n
    bad = []
    for it in intents:
        mine = have.get(ids.get(it.user_id), {})
        if set(mine) != it.supported or any(n != 1 for n in mine.values()):
            bad.append(it.user_id[-6:])
    meant = sum(len(i.supported) for i in intents)
    return Check("every support once", not bad, f"{meant} meant, {len(rows)} stored; "
                 f"{len(bad)} residents differ", {"supports": len(rows)})


def ballots_once(conn, intents, plans) -> Check:
    """One ballot per voter and round; each resident's last confirmed picks are what is stored."""
    ids = _residents(conn)
    by_round = {p.district: p for p in plans}
    bad = 0
    dup = conn.execute("SELECT count(*) FROM (SELECT round_id, resident_id FROM ballots "
                       "WHERE resident_id IS NOT NULL GROUP BY 1, 2 HAVING count(*) > 1) d"
                       ).fetchone()[0]
    stored = {}
    for rid, round_id, codes in conn.execute(
            """SELECT b.resident_id, b.round_id, array_agg(rp.code ORDER BY rp.code)
                 FROM ballots b JOIN ballot_choices c ON c.ballot_id = b.id
                 JOIN round_projects rp ON rp.id = c.round_project_id
                WHERE b.source = 'chat' GROUP BY b.id""").fetchall():
        stored[(rid, round_id)] = sorted(codes)
    for it in intents:
        plan = by_round.get(it.district)
        if plan is None or plan.round_id is None:
            continue
        got = stored.get((ids.get(it.user_id), plan.round_id))
        want = sorted(plan.codes[plan.project_ids[i]] for i in it.ballot) if it.ballot else None
        if got != want:
            bad += 1
    counted = conn.execute("SELECT count(*) FROM ballots").fetchone()[0]
    return Check("every ballot once, the last choice counted", bad == 0 and dup == 0,
                 f"{counted} ballots stored, {bad} residents differ, {dup} doubled",
                 {"ballots_counted": int(counted)})


def tallies_equal(conn, plans, exported: dict[int, str]) -> Check:
    """Each round's stored winners equal pabutools' on its exported .pb (greedy and MES)."""
    from pb.tally import tally_file

    differ = []
    for plan in plans:
        text = exported.get(plan.round_id)
        if text is None:
            differ.append(f"#{plan.round_id} not exported")
            continue
        with tempfile.NamedTemporaryFile("w", suffix=".pb", encoding="utf-8", delete=False) as f:
            f.write(text)
        for rule in ("greedy", "mes"):
            row = conn.execute("SELECT winners FROM round_results WHERE round_id = %s AND rule = %s",
                               (plan.round_id, rule)).fetchone()
            theirs = sorted(str(x) for x in tally_file(f.name, rule)["selected"])
            if row is None or sorted(row[0]) != theirs:
                differ.append(f"#{plan.round_id} {rule}: {row and sorted(row[0])} vs {theirs}")
    return Check("winners equal pabutools' on the exported .pb", not differ, "; ".join(differ),
                 {"tallies_equal_pabutools": not differ})


def announcements_once(conn, calls, announcement_ids: list[int]) -> Check:
    """Every intended recipient got each announcement exactly once; no opted-out resident."""
    users = {v: k for k, v in _residents(conn).items()}
    opted = {r[0] for r in conn.execute(
        "SELECT line_user_id FROM residents WHERE announcements_opt_out").fetchall()}
    delivered = dup = missing = to_opted = 0
    for aid in announcement_ids:
        text = conn.execute("SELECT text_th FROM announcements WHERE id = %s", (aid,)).fetchone()[0]
        intended = {users[r[0]] for r in conn.execute(
            "SELECT resident_id FROM announcement_recipients WHERE announcement_id = %s "
            "AND dropped_at IS NULL", (aid,)).fetchall() if r[0] in users}
        got = Counter()
        for call in calls:
            if call["status"] != 200 or "/message/" not in call["path"]:
                continue
            body = call.get("body") or {}
            if text not in json.dumps(body.get("messages", []), ensure_ascii=False):
                continue
            to = body.get("to")
            for user in (to if isinstance(to, list) else [to]):
                got[user] += 1
        delivered += sum(1 for u in intended if got[u] >= 1)
        dup += sum(n - 1 for n in got.values() if n > 1)
        missing += sum(1 for u in intended if got[u] == 0)
        to_opted += sum(1 for u in got if u in opted)
    ok = dup == 0 and missing == 0 and to_opted == 0
    return Check("every announcement once to every intended recipient, none to opted-out", ok,
                 f"{delivered} delivered, {missing} missing, {dup} duplicates, {to_opted} opted-out",
                 {"announcements_delivered": delivered, "announcement_duplicates": dup})


def answers_once(conn, calls, intents) -> Check:
    """Every event that deserves an answer got exactly one; no reply token used twice.

    Each resident's act is an event that deserves an answer (1:1 follow, message,
    postback). Its answer is the outbox row keyed by its ``webhook_event_id``; the
    emulator's record must hold exactly one accepted call for it: the reply with
    the row's token, or the push with the row's retry key (a retry answered 409
    or "invalid reply token" repeats an accepted call, it is not a second answer).
    """
    accepted_tokens, accepted_keys = Counter(), Counter()
    for call in calls:
        if call["status"] != 200:
            continue
        if call["path"].endswith("/message/reply"):
            accepted_tokens[(call.get("body") or {}).get("replyToken")] += 1
        elif call["path"].endswith("/message/push"):
            accepted_keys[(call.get("headers") or {}).get("x-line-retry-key")] += 1
    rows = defaultdict(list)
    for event_id, token, key in conn.execute(
            "SELECT webhook_event_id, reply_token, retry_key::text FROM outbox "
            "WHERE webhook_event_id IS NOT NULL AND kind IN ('reply', 'push')").fetchall():
        rows[event_id].append((token, key))
    sent = [e for i in intents for e in i.events]
    none = twice = 0
    for event_id in sent:
        n = sum(accepted_tokens.get(token, 0) + accepted_keys.get(key, 0)
                for token, key in rows.get(event_id, []))
        none += n == 0
        twice += n > 1
    reused = sum(1 for n in accepted_tokens.values() if n > 1)
    unanswered = sum(i.unanswered for i in intents)
    ok = none == 0 and twice == 0 and reused == 0 and unanswered == 0
    return Check("every event answered exactly once; no reply token used twice", ok,
                 f"{len(sent)} events: {none} without an answer, {twice} answered twice, "
                 f"{reused} reply tokens reused, {unanswered} turns left waiting")


def within_limits(calls) -> Check:
    """Every outbound message within LINE's limits: the emulator refuses (400) any that is not."""
    bad = [c for c in calls if c["status"] == 400 and "/message/" in c["path"]
           # a reply retried after a slow answer that LINE carried out: the token is spent
           and "reply token" not in str(c.get("response")).lower()]
    detail = "; ".join(str(c.get("response"))[:200] for c in bad[:3])
    return Check("every outbound message within LINE's limits", not bad,
                 f"{len(bad)} refused as malformed" + (f": {detail}" if detail else ""))
