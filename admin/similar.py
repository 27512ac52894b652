"""Staff side of the similar-idea check (issue 15): the rule per process, and duplicates.

* ``/admin/similar``: the thresholds of the current process's similar-idea
  rule (radius and cosine of the "near you" path, the cosine of the text-only
  path or none), with the curve measured on held-out Traffy districts
  (``nlp/artefacts/similar_place.json``) beside the setting, as Go Vocal
  lets admins tune its similar-input check per phase. Admins only.
* ``/admin/ideas/<id>/duplicate``: mark an idea as a repeat of another
  (:func:`pb.duplicates.mark`): its supports move, its author becomes a
  supporter of the other idea and is told once in LINE.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from admin.auth import after_commit, current_scope, db, login_required, role_required, \
    write_required
from bot import catalog
from bot import messages as line_messages
from nlp.keywords import cluster_title
from nlp.similar_rule import rule_for
from pb import audit, duplicates, ideas, processes, similar_settings
from pb.scope import ReadOnlyError, ScopeError

bp = Blueprint("similar", __name__)
CURVE = Path(__file__).resolve().parents[1] / "nlp" / "artefacts" / "similar_place.json"
MODEL_OF = {"e5": "multilingual-e5-small", "fake": "fake-trigram-384"}


def _model() -> str:
    return MODEL_OF[current_app.extensions["siang"].settings.embedder]


@lru_cache(maxsize=1)
def measured() -> dict:
    """The calibration record (held-out curves), or {} when it is not shipped."""
    try:
        return json.loads(CURVE.read_text("utf-8"))
    except (OSError, ValueError):
        return {}


@bp.get("/similar")
@login_required
def settings_page():
    with db() as conn:
        process_id = processes.current_id(conn)
        rule = similar_settings.get(conn, process_id, _model())
        custom = similar_settings.is_custom(conn, process_id, _model())
    record = measured()
    held = record.get("curves", {}).get("held_out", {})
    near = [p for p in held.get("near", []) if p["radius_m"] == rule.radius_m] or held.get("near", [])
    return render_template("admin/similar_settings.html", rule=rule, custom=custom,
                           default=rule_for(_model()), record=record, near=near,
                           topic=held.get("topic", []), process_id=process_id)


def _number(name: str, low: float, high: float) -> float:
    try:
        value = float(request.form.get(name, ""))
    except ValueError:
        abort(400)
    if not low <= value <= high:
        abort(400)
    return value


@bp.post("/similar")
@role_required("admin")
def save_settings():
    if request.form.get("reset"):
        with db() as conn, conn.transaction():
            process_id = processes.current_id(conn)
            similar_settings.reset(conn, process_id, _model())
            audit.record(conn, current_scope(), "similar.rule", "process", process_id,
                         after={"reset": True})
        flash(_("The similar-idea check uses the calibrated values again."), "success")
        return redirect(url_for("admin.similar.settings_page"), code=303)
    radius = _number("radius_m", 10, 5000)
    near_min = _number("near_min", -1, 1)
    topic_min = None if request.form.get("topic_off") else _number("topic_min", -1, 1)
    with db() as conn, conn.transaction():
        process_id = processes.current_id(conn)
        before = similar_settings.get(conn, process_id, _model())
        similar_settings.save(conn, process_id, _model(), radius_m=radius, near_min=near_min,
                              topic_min=topic_min, staff_id=current_scope().staff_id)
        audit.record(conn, current_scope(), "similar.rule", "process", process_id,
                     before={"radius_m": before.radius_m, "near_min": before.near_min,
                             "topic_min": before.topic_min},
                     after={"radius_m": radius, "near_min": near_min, "topic_min": topic_min})
    flash(_("Similar-idea settings saved."), "success")
    return redirect(url_for("admin.similar.settings_page"), code=303)


def _told(language: str, original_id: int, text: str, number: int) -> list[dict]:
    return [line_messages.text(catalog.t("duplicate_told", language, number=f"{number:,}",
                                         original=f"{original_id:,}",
                                         text=line_messages.clip(text, 120)))]


def _idea_in_scope(idea_id: int) -> ideas.Idea:
    """The idea, or 404 when it does not exist or is outside the staff member's districts."""
    with db() as conn:
        idea = ideas.get(conn, idea_id)
    if idea is None or not current_scope().allows(idea.district):
        abort(404)
    return idea


@bp.route("/ideas/<int:idea_id>/duplicate", methods=["GET", "POST"])
@write_required
def mark_duplicate(idea_id: int):
    idea = _idea_in_scope(idea_id)
    error = None
    if request.method == "POST":
        raw = request.form.get("original", "").strip().lstrip("#")
        if not raw.isdigit():
            error = _("Give the number of the idea it repeats.")
        else:
            try:
                with db() as conn, conn.transaction():
                    moved, outbox_id = duplicates.mark(
                        conn, current_scope(), idea_id, int(raw),
                        lambda lang, original, text: _told(lang, original, text, idea_id))
            except duplicates.DuplicateError as exc:
                error = {"same": _("An idea cannot repeat itself."),
                         "missing": _("There is no such idea."),
                         "other_process": _("The two ideas belong to different processes."),
                         "not_active": _("Only an active idea can be marked, and only as a "
                                         "repeat of an active idea.")}[exc.code]
            except (ScopeError, ReadOnlyError):
                abort(403)
            else:
                after_commit(outbox_ids=[outbox_id] if outbox_id else [])
                flash(ngettext("Idea %(n)s is marked as a repeat of idea %(o)s; %(num)s support "
                               "moved.", "Idea %(n)s is marked as a repeat of idea %(o)s; "
                               "%(num)s supports moved.", moved, n=idea_id, o=int(raw)),
                      "success")
                return redirect(url_for("admin.similar.mark_duplicate", idea_id=idea_id), code=303)
    with db() as conn:
        row = conn.execute("SELECT duplicate_of FROM ideas WHERE id = %s", (idea_id,)).fetchone()
        original = ideas.get(conn, row[0]) if row and row[0] else None
    return render_template("admin/idea_duplicate.html", idea=idea, original=original,
                           error=error), (400 if error else 200)


def cluster_name(cluster) -> str:
    """A cluster's name for staff: their rename (``label``) first, else a short Thai
    title from its representative idea (:func:`nlp.keywords.cluster_title`), else
    its keywords or number (``ClusterRow.title``). Template filter ``cluster_name``."""
    return (getattr(cluster, "label", None) or cluster_title(getattr(cluster, "medoid_text", None))
            or cluster.title)
