"""Staff-facing words for domain codes: error codes, states, roles, audit actions.

``pb`` raises errors with stable codes; this module turns them into text in
the staff member's language (msgids in English, Thai in the catalog).
"""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

ERRORS = {
    # pb.review
    "bad_sort": _l("Unknown sort order."),
    "bad_status": _l("Unknown status."),
    "no_ideas": _l("Select at least one idea first."),
    "not_members": _l("Some of the selected ideas are no longer in this cluster. "
                      "Reload the page and try again."),
    "label_too_long": _l("The name is too long (at most %(limit)s characters)."),
    "self_merge": _l("A cluster cannot be merged into itself."),
    "different_process": _l("These clusters belong to different participatory processes."),
    "locked": _l("This cluster is locked. Unlock it first."),
    "same_cluster": _l("The ideas are already in that cluster."),
    "all_ideas": _l("Select some of the ideas, not all of them (to rename the cluster, "
                    "use Rename)."),
    "reason_required": _l("Give a reason for hiding or marking spam."),
    "reason_too_long": _l("The reason is too long (at most %(limit)s characters)."),
    "nothing_to_restore": _l("None of the selected ideas is hidden or spam."),
    "bad_target": _l("Choose the cluster to move or merge into."),
    "not_flagged": _l("Some of these ideas were already decided by someone else. Nothing was "
                      "saved: check the list again."),
    # pb.projects
    "title_required": _l("The project needs a title."),
    "title_too_long": _l("The title is too long (at most %(limit)s characters)."),
    "bad_district": _l("Choose one of Bangkok's 50 districts."),
    "bad_cost": _l("The estimated cost must be a whole number of baht, 0 or more."),
    "ends_before_start": _l("The end date is before the start date."),
    "bad_fiscal_year": _l("The fiscal year must be a Buddhist Era year, e.g. 2568."),
    "field_too_long": _l("A field is too long (at most %(limit)s characters)."),
    "no_clusters": _l("Select at least one cluster."),
    "empty_clusters": _l("The selected clusters have no active ideas."),
    "not_draft": _l("Only a draft can be changed. Send it back to draft first."),
    "bad_transition": _l("This project cannot go from that state to the one chosen."),
    "incomplete": _l("Fill in every field before sending the project to the vote. Missing: "
                     "%(fields)s."),
    # pb.staff
    "password_length": _l("The new password must be 12 to 256 characters long."),
    "password_simple": _l("The new password is too simple."),
    "username": _l("A username is 3–64 lowercase letters, digits or . _ @ -."),
    "role": _l("Unknown role."),
    "district": _l("Unknown district."),
    "taken": _l("That username is taken."),
    "no_staff": _l("No such staff member."),
    "language": _l("Unknown language."),
}

CLUSTER_STATUSES = {
    "new": _l("Not reviewed yet"),
    "reviewed": _l("Reviewed by staff"),
    "locked": _l("Locked"),
    "project": _l("Promoted to a project"),
}

IDEA_STATUSES = {
    "active": _l("Active"),
    "hidden": _l("Hidden"),
    "spam": _l("Spam"),
    "merged": _l("Merged"),
    "withdrawn": _l("Withdrawn"),
    "flagged": _l("Flagged for review"),
}

PROJECT_STATES = {
    "draft": _l("Draft"),
    "ready_for_vote": _l("Ready for vote"),
    "selected": _l("Selected"),
    "not_selected": _l("Not selected"),
    "in_progress": _l("In progress"),
    "done": _l("Done"),
}

ROLES = {
    "admin": _l("Admin"),
    "officer": _l("District officer"),
    "viewer": _l("Viewer"),
    "community": _l("Community committee"),
}

PROJECT_FIELDS = {
    "title": _l("Title"),
    "description": _l("Description"),
    "district": _l("District"),
    "location": _l("Location"),
    "estimated_cost_baht": _l("Estimated cost (baht)"),
    "starts_on": _l("Start date"),
    "ends_on": _l("End date"),
    "kpi_indicator": _l("KPI indicator"),
    "kpi_target": _l("KPI target"),
    "responsible_unit": _l("Responsible unit"),
    "fiscal_year": _l("Fiscal year (BE)"),
}

ACTIONS = {
    "staff.create": _l("created a staff account"),
    "staff.login": _l("signed in"),
    "staff.login_failed": _l("failed to sign in"),
    "staff.logout": _l("signed out"),
    "staff.password_change": _l("changed a password"),
    "cluster.rename": _l("renamed a cluster"),
    "cluster.lock": _l("locked a cluster"),
    "cluster.unlock": _l("unlocked a cluster"),
    "cluster.merge": _l("merged clusters"),
    "cluster.move": _l("moved ideas"),
    "cluster.split": _l("split a cluster"),
    "idea.hidden": _l("hid ideas"),
    "idea.spam": _l("marked ideas as spam"),
    "idea.restore": _l("restored ideas"),
    "idea.flag_publish": _l("published flagged ideas"),
    "idea.flag_hidden": _l("hid flagged ideas"),
    "idea.flag_spam": _l("marked flagged ideas as spam"),
    "project.create": _l("created a project"),
    "project.add_clusters": _l("added clusters to a project"),
    "project.update": _l("edited a project"),
    "project.transition": _l("changed a project's state"),
    "progress.form": _l("edited a progress-report form"),
    "progress.report": _l("filed a progress report"),
    "announcement.create": _l("drafted an announcement"),
    "announcement.update": _l("edited an announcement"),
    "announcement.queue": _l("sent an announcement"),
    "announcement.cancel": _l("stopped an announcement"),
}


def error_text(exc: Exception) -> str:
    """A translated sentence for a ``pb`` error with a ``code`` (ReviewError,
    ProjectError, StaffError)."""
    code = getattr(exc, "code", "")
    values = dict(getattr(exc, "values", {}) or {})
    if "fields" in values:
        values["fields"] = ", ".join(str(PROJECT_FIELDS.get(f, f)) for f in values["fields"])
    template = ERRORS.get(code)
    if template is None:
        return _("That could not be done.")
    return str(template) % values if values else str(template)
