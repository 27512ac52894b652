"""The chat page: a person talks to the bot as a resident, in the browser.

``GET /chat?user=U...`` serves plain HTML plus a small vanilla script
(``static/chat.js``, no build step) that polls
``/_sim/users/<id>/messages?with_user=1`` and sends actions through
``/_sim/users/<id>/events``. The script builds every node with
``textContent``; no user or bot text goes through ``innerHTML``.
"""

from __future__ import annotations

from flask import Blueprint, Response, redirect, render_template, request, url_for

from linesim.state import new_user_id

bp = Blueprint("chat", __name__, template_folder="templates", static_folder="static",
               static_url_path="/chat/static")


@bp.get("/chat")
def chat_page() -> Response | str:
    """The chat page for ``?user=U...``; without it, redirect to a fresh user id."""
    user_id = request.args.get("user", "").strip()
    if not user_id:
        return redirect(url_for("chat.chat_page", user=new_user_id()))
    return render_template("chat.html", user_id=user_id)


@bp.get("/")
def index() -> Response:
    """The emulator's root sends a person to a fresh chat."""
    return redirect(url_for("chat.chat_page"))
